/**
 * How the FreeNAS dialect answers every error: Tastypie's paging errors, domain errors in
 * Django's form-error shape, schema errors, fastify's own client errors, and a 500 that
 * says nothing of the cause.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../domain/errors.js';
import { FieldError, notFoundBody, schemaErrors, type FieldErrors } from './errors.js';
import { FREENAS_STATUS, freenasMessage } from './messages.js';
import { PagingError } from '../http/paging.js';
import { sendPagingError } from './paging.js';
import { type WireField, wireFieldFor } from '../http/fields.js';

/** Errors are shaped per resource; the current resource's field map rides on the request. */
export type FreenasRequest = FastifyRequest & { freenasFields: Record<string, WireField> | null };

export function freenasErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const fields = (request as FreenasRequest).freenasFields ?? {};
  reply.header('Vary', 'Accept');
  if (error instanceof PagingError) return sendPagingError(reply, error);
  if (error instanceof DomainError) return sendDomainError(reply, error, fields);
  if (error instanceof FieldError) return reply.code(400).send({ [error.field]: [error.message] } satisfies FieldErrors);
  if (error.validation) {
    const root = error.validationContext === 'body' ? '__all__' : (error.validationContext ?? '__all__');
    if (error.validationContext === 'params') return reply.code(404).send(notFoundBody());
    return reply.code(400).send(schemaErrors(error.validation, root));
  }
  if (error.statusCode && error.statusCode < 500) {
    return reply.code(error.statusCode).send({ __all__: [clientMessage(error)] } satisfies FieldErrors);
  }
  request.log.error({ err: error }, 'request failed');
  return reply.code(500).send({ error_message: 'Sorry, this request could not be processed. Please try again later.' });
}

function sendDomainError(reply: FastifyReply, error: DomainError, fields: Record<string, WireField>): FastifyReply {
  const status = FREENAS_STATUS[error.code];
  const message = freenasMessage(error);
  if (status === 404) return reply.code(404).send(notFoundBody(message));
  return reply.code(status).send({ [wireFieldFor(fields, error.field)]: [message] } satisfies FieldErrors);
}

function clientMessage(error: FastifyError): string {
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'Unsupported content type: send application/json.';
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'The request body is too large.';
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return 'Malformed JSON body.';
  return error.message;
}

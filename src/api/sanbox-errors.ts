/**
 * The error shape of sanbox's own routes (/api/keys, and the console's to come):
 * `{"error": {"code", "field", "message", "params"}}` with the domain's stable code and
 * words, and REST's statuses (a conflict is 409, not Django's 400).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, notFound } from '../domain/errors.js';
import type { EntityKind } from '../domain/error-codes.js';
import { statusTable } from './http/error-status.js';

export const SANBOX_STATUS = statusTable({ invalid: 400, conflict: 409, referenced: 409, not_found: 404 });

export interface SanboxErrorBody {
  error: { code: string; field: string; message: string; params?: unknown };
}

export function sanboxErrorBody(e: DomainError): SanboxErrorBody {
  return { error: { code: e.code, field: e.field, message: e.message, params: e.params } };
}

export function sendSanboxError(reply: FastifyReply, e: DomainError): FastifyReply {
  return reply.code(SANBOX_STATUS[e.code]).send(sanboxErrorBody(e));
}

export function sendNotFound(reply: FastifyReply, entity: EntityKind): FastifyReply {
  return sendSanboxError(reply, notFound(entity));
}

/** A request refused before the domain saw it (schema, content type, size). */
export function requestErrorBody(field: string, message: string): SanboxErrorBody {
  return { error: { code: 'request.invalid', field, message } };
}

/** The OpenAPI schema of that shape. */
export const errorView = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string', description: 'stable: a domain error code (name.taken, entity.not-found, ...) or request.invalid' },
        field: { type: 'string' },
        message: { type: 'string' },
        params: { type: 'object', additionalProperties: true },
      },
    },
  },
};

/** The error handler of sanbox's own route plugins: a domain error in its shape, schema failures as request.invalid, the rest by status. */
export function sanboxErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if ((error as unknown) instanceof DomainError) return sendSanboxError(reply, error as unknown as DomainError);
  if (error.validation) {
    const v = error.validation[0];
    const missing = (v?.params as { missingProperty?: string; additionalProperty?: string } | undefined) ?? {};
    const field = missing.missingProperty ?? missing.additionalProperty ?? (v?.instancePath.replace(/^\//, '') || '__all__');
    const message = missing.additionalProperty ? `Unknown field "${missing.additionalProperty}".` : `The body ${v?.message ?? 'is not valid'}.`;
    return reply.code(400).send(requestErrorBody(field, message));
  }
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  if (status === 500) request.log.error({ err: error }, 'request failed');
  if (status === 500) return reply.code(500).send({ error: { code: 'internal', field: '__all__', message: 'Internal error.' } });
  return reply.code(status).send(requestErrorBody('__all__', error.message));
}

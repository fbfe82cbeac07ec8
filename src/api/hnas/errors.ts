/**
 * How the HNAS dialect answers a failure, in the seed's shapes: `{"errorCode", "errorMsg"}`
 * for 400, `{"errorMsg"}` alone for 401 and 403, and with `errorDetail` for 404 and 500.
 * A domain error's errorCode is 1090000 + sanbox's number for its code (error-numbers.ts),
 * stable per code; the dialect's own refusals use HNAS's generic codes.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../domain/errors.js';
import { ERROR_NUMBERS } from '../http/error-numbers.js';
import { statusTable } from '../http/error-status.js';

export const HNAS_STATUS = statusTable({ invalid: 400, conflict: 400, referenced: 400, not_found: 404 });

/** HNAS's generic codes (the seed's 1081353 for a bad parameter, 1081345 for a missing object). */
export const HNAS_CODES = {
  invalidParameter: 1081353,
  notFound: 1081345,
  badObjectId: 1081346,
  malformed: 1081350,
  internal: 0,
} as const;

const DOMAIN_BASE = 1090000;

export const FORBIDDEN = 'Forbidden request - the client does not have the required permissions to perform the operation';

export interface ErrorDetail {
  detail: string;
  fault: string;
  fileName: string;
  function: string;
  lineNumber: number;
  message: string;
  reason: string;
  returnedValue: number;
  subCode: number;
}

export class HnasError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number | null,
    message: string,
    /** For 404 and 500: what is true of where it failed (never a stack trace). */
    readonly detail?: Partial<ErrorDetail>,
  ) {
    super(message);
    this.name = 'HnasError';
  }

  body(): object {
    if (this.errorCode === null) return { errorMsg: this.message };
    if (this.status === 404 || this.status >= 500) {
      const d = this.detail ?? {};
      return {
        errorCode: this.errorCode,
        errorDetail: {
          detail: d.detail ?? '',
          fault: d.fault ?? '',
          fileName: d.fileName ?? '',
          function: d.function ?? '',
          lineNumber: d.lineNumber ?? 0,
          message: d.message ?? this.message,
          reason: d.reason ?? this.message,
          returnedValue: 0,
          subCode: d.subCode ?? 0,
        },
        errorMsg: this.message,
      };
    }
    return { errorCode: this.errorCode, errorMsg: this.message };
  }
}

export const forbidden = () => new HnasError(403, null, FORBIDDEN);

/** A bad value for a body or query parameter, in HNAS's words. */
export const invalidParameter = (name: string, rule: string) => new HnasError(400, HNAS_CODES.invalidParameter, `Invalid ${name} parameter - ${rule}`);

/** An object the path names that does not exist. */
export const notFound = (what: string, where: { fileName: string; function: string }) =>
  new HnasError(404, HNAS_CODES.notFound, 'Cannot find the object of the operation on the device', {
    ...where,
    message: `The ${what} does not exist`,
    reason: `The ${what} does not exist`,
  });

/** Wire names of domain fields, for the words of a domain error. */
const WIRE: Record<string, string> = {
  alias: 'alias',
  name: 'name',
  sizeBytes: 'size',
  secret: 'secret',
  accessConfig: 'accessConfig',
  path: 'path',
  lun: 'logicalUnit',
  extentId: 'logicalUnitObjectId',
};

/** HNAS's names for what the domain calls tenants and extents, where its words name them. */
function words(e: DomainError): string {
  const p = e.params as Record<string, unknown>;
  switch (e.code) {
    case 'tenant.not-empty':
      return `Virtual server "${String(p.tenant)}" still holds ${(p.holds as string[])
        .join(', ')
        .replace(/extents/g, 'logical units')
        .replace(/LUN mappings/g, 'target logical units')}`;
    case 'tenant.default-kept':
      return 'Virtual server 1 (the default) cannot be deleted';
    case 'reference.in-use':
      return p.entity === 'extent' ? 'The logical unit is offered by an iSCSI target: remove it from the target first' : e.message;
    case 'lun.taken':
      return `LUN ${String(p.lun)} of the target is already in use`;
    default:
      return e.message;
  }
}

export function fromDomain(e: DomainError, where: { fileName: string; function: string } = { fileName: '', function: '' }): HnasError {
  const status = HNAS_STATUS[e.code];
  const code = DOMAIN_BASE + ERROR_NUMBERS[e.code];
  const field = WIRE[e.field] ?? e.field;
  const message = e.field === '__all__' ? words(e) : `Invalid ${field} parameter - ${words(e)}`;
  if (status === 404)
    return new HnasError(404, code, 'Cannot find the object of the operation on the device', {
      ...where,
      message: e.message,
      reason: e.message,
      subCode: ERROR_NUMBERS[e.code],
    });
  return new HnasError(status, code, message);
}

export const HNAS_AUTH_REFUSALS = {
  unauthorized: { errorMsg: 'Unauthorized - the request was rejected because the credentials or API key were either missing or invalid' },
  throttled: { errorMsg: 'Too many failed authentication attempts from this address; retry later' },
  busy: { errorMsg: 'Too many authentication checks are waiting; retry later' },
};

export function hnasErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof HnasError) return reply.code(error.status).send(error.body());
  if (error instanceof DomainError) {
    const e = fromDomain(error);
    return reply.code(e.status).send(e.body());
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return reply.code(415).send({ errorCode: HNAS_CODES.malformed, errorMsg: 'Unsupported media type - send application/json' });
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send({ errorCode: HNAS_CODES.malformed, errorMsg: 'The request body is too large' });
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return reply.code(400).send({ errorCode: HNAS_CODES.malformed, errorMsg: 'Malformed request - the body is not valid JSON' });
  }
  if (error.statusCode && error.statusCode < 500) return reply.code(error.statusCode).send({ errorCode: HNAS_CODES.invalidParameter, errorMsg: error.message });
  request.log.error({ err: error }, 'request failed');
  return reply.code(500).send(new HnasError(500, HNAS_CODES.internal, 'Internal error', { message: 'Internal error', reason: 'Internal error' }).body());
}

/** Runs a domain call, answering its DomainError in HNAS's shape with where it happened. */
export async function inDomain<T>(where: { fileName: string; function: string }, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof DomainError) throw fromDomain(err, where);
    throw err;
  }
}

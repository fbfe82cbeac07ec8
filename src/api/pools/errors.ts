/**
 * How the share-pool dialect answers a failure: the envelope with the error's scode and
 * words, and an HTTP status by kind (400 invalid, 404 no such object, 409 conflict or in
 * use, 401 unauthenticated, 500 internal). Clients that read only `scode` see every
 * failure; HTTP tools see them too.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../domain/errors.js';
import { statusTable } from '../http/error-status.js';
import { failure } from './envelope.js';
import { SCODES, chineseMessage } from './scodes.js';

export const POOL_STATUS = statusTable({ invalid: 400, conflict: 409, referenced: 409, not_found: 404 });

/** The dialect's own refusals, before the domain sees a request. */
const REQUEST_ERRORS = {
  'request.malformed': { scode: 9001, status: 400, en: 'The request body is not valid JSON.', cn: '请求体不是有效的 JSON。' },
  'request.not-object': { scode: 9002, status: 400, en: 'The request body must be a JSON object.', cn: '请求体必须是 JSON 对象。' },
  'request.media-type': { scode: 9003, status: 415, en: 'Send the request body as application/json.', cn: '请求体须为 application/json。' },
  'request.too-large': { scode: 9004, status: 413, en: 'The request body is too large.', cn: '请求体过大。' },
  'request.no-route': { scode: 9005, status: 404, en: 'No such API.', cn: '接口不存在。' },
  'request.method': { scode: 9006, status: 405, en: 'This API does not take that method.', cn: '该接口不支持此请求方法。' },
  unauthorized: { scode: 9401, status: 401, en: 'Authentication credentials were missing or incorrect.', cn: '认证信息缺失或不正确。' },
  throttled: {
    scode: 9429,
    status: 429,
    en: 'Too many failed authentication attempts from this address; retry later.',
    cn: '该地址认证失败次数过多，请稍后重试。',
  },
  busy: { scode: 9503, status: 503, en: 'Too many authentication checks are waiting; retry later.', cn: '等待中的认证请求过多，请稍后重试。' },
  internal: { scode: 9999, status: 500, en: 'Internal error.', cn: '内部错误。' },
} as const;

export type RequestErrorCode = keyof typeof REQUEST_ERRORS;

export class PoolRequestError extends Error {
  constructor(readonly code: RequestErrorCode) {
    super(REQUEST_ERRORS[code].en);
    this.name = 'PoolRequestError';
  }
}

function envelopeOf(code: RequestErrorCode) {
  const e = REQUEST_ERRORS[code];
  return failure(e.scode, code, e.en, e.cn);
}

/** The authenticator's refusals in the envelope. */
export const POOL_AUTH_REFUSALS = { unauthorized: envelopeOf('unauthorized'), throttled: envelopeOf('throttled'), busy: envelopeOf('busy') };

export function sendRequestError(reply: FastifyReply, code: RequestErrorCode): FastifyReply {
  const e = REQUEST_ERRORS[code];
  return reply.code(e.status).send(failure(e.scode, code, e.en, e.cn));
}

export function sendDomainError(reply: FastifyReply, error: DomainError): FastifyReply {
  const desc = error.field === '__all__' ? error.code : `${error.code}: ${wireField(error.field)}`;
  return reply.code(POOL_STATUS[error.code]).send(failure(SCODES[error.code], desc, error.message, chineseMessage(error)));
}

/** The request field a domain field came from (the seed's snake_case names). */
const WIRE_FIELDS: Record<string, string> = {
  name: 'pool_name',
  type: 'pool_type',
  zoneUuid: 'zone_uuid',
  limitHost: 'limit_host',
  availHosts: 'avail_host',
  availTenants: 'avail_tenant',
  attributes: 'attr',
  clusterUuid: 'cluster_uuid',
  poolUuid: 'pool_uuid',
  tenant: 'tenant',
};

function wireField(field: string): string {
  return WIRE_FIELDS[field] ?? field;
}

export function poolErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof DomainError) return sendDomainError(reply, error);
  if (error instanceof PoolRequestError) return sendRequestError(reply, error.code);
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendRequestError(reply, 'request.media-type');
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendRequestError(reply, 'request.too-large');
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return sendRequestError(reply, 'request.malformed');
  }
  if (error.statusCode && error.statusCode < 500) return sendRequestError(reply, 'request.malformed');
  request.log.error({ err: error }, 'request failed');
  return sendRequestError(reply, 'internal');
}

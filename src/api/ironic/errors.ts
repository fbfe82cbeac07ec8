/**
 * How the Ironic dialect answers a failure, as Ironic does: `{"error_message": "<JSON
 * text>"}` where the text encodes `{"faultcode", "faultstring", "debuginfo"}` (clients
 * decode the inner string), with Ironic's statuses: 400 for bad input and for a node in
 * the wrong power state, 404, 406, 409 for duplicates, 401.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../domain/errors.js';
import { statusTable } from '../http/error-status.js';

export const IRONIC_STATUS = statusTable({ invalid: 400, conflict: 409, referenced: 409, not_found: 404 }, { 'node.powered-on': 400 });

export class IronicError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'IronicError';
  }
}

export function errorBody(status: number, faultstring: string): { error_message: string } {
  return { error_message: JSON.stringify({ faultcode: status >= 500 ? 'Server' : 'Client', faultstring, debuginfo: null }) };
}

const WIRE: Record<string, string> = {
  nodeId: 'node_uuid',
  connectorId: 'connector_id',
  bootIndex: 'boot_index',
  volumeId: 'volume_id',
  volumeType: 'volume_type',
};

/** Ironic's words for the domain's not-found errors ("Node n1 could not be found."). */
export function fromDomain(e: DomainError, ident?: string): IronicError {
  const status = IRONIC_STATUS[e.code];
  const p = e.params as Record<string, unknown>;
  if (e.code === 'entity.not-found') {
    const what = { node: 'Node', 'volume-connector': 'Volume connector', 'volume-target': 'Volume target' }[String(p.entity)] ?? 'Resource';
    return new IronicError(404, `${what} ${ident ?? ''} could not be found.`.replace('  ', ' '));
  }
  if (e.code === 'reference.missing' && p.entity === 'node') return new IronicError(400, `Node ${ident ?? String(p.id)} could not be found.`);
  const field = WIRE[e.field] ?? e.field;
  return new IronicError(
    status,
    e.field === '__all__' || e.code === 'node.powered-on' || status === 409 ? e.message : `Invalid value for ${field}: ${e.message}`,
  );
}

export const IRONIC_AUTH_REFUSALS = {
  unauthorized: errorBody(401, 'The request you have made requires authentication.'),
  throttled: errorBody(429, 'Too many failed authentication attempts from this address; retry later.'),
  busy: errorBody(503, 'Too many authentication checks are waiting; retry later.'),
};

export function ironicErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof IronicError) return reply.code(error.status).send(errorBody(error.status, error.message));
  if (error instanceof DomainError) {
    const e = fromDomain(error);
    return reply.code(e.status).send(errorBody(e.status, e.message));
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return reply.code(415).send(errorBody(415, 'The request media type is not supported: send application/json.'));
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send(errorBody(413, 'The request body is too large.'));
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return reply.code(400).send(errorBody(400, 'The request body is not valid JSON.'));
  }
  if (error.statusCode && error.statusCode < 500) return reply.code(error.statusCode).send(errorBody(error.statusCode, error.message));
  request.log.error({ err: error }, 'request failed');
  return reply.code(500).send(errorBody(500, 'Internal error.'));
}

/** Runs a domain call, answering its DomainError in Ironic's terms (`ident`: the object the request named). */
export async function inDomain<T>(work: () => Promise<T>, ident?: string): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof DomainError) throw fromDomain(err, ident);
    throw err;
  }
}

/**
 * How the ONTAP dialect answers a failure: `{"error": {"message", "code", "target"}}` as
 * ONTAP does (`arguments` when there are any), the code a string, with ONTAP's own codes
 * where its documentation gives one and a status of 400, or 404 for a missing object.
 * Domain errors become ONTAP errors here: the resource's route says which ONTAP code a
 * missing or duplicate object of its kind has, and which wire field a domain field is.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../domain/errors.js';
import type { EntityKind, ErrorCode } from '../../domain/error-codes.js';
import { statusTable } from '../http/error-status.js';
import { OntapQueryError } from './query.js';

export const ONTAP_STATUS = statusTable({ invalid: 400, conflict: 400, referenced: 400, not_found: 404 });

export interface OntapErrorBody {
  error: { message: string; code: string; target?: string; arguments?: { code: string; message: string }[] };
}

export class OntapError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly target?: string,
  ) {
    super(message);
    this.name = 'OntapError';
  }

  body(): OntapErrorBody {
    return { error: { message: this.message, code: this.code, ...(this.target !== undefined ? { target: this.target } : {}) } };
  }
}

/** ONTAP's codes for the errors it documents, by what went wrong. */
export const ONTAP_CODES = {
  entryMissing: '4',
  duplicate: '1',
  unexpectedArgument: '262179',
  invalidValue: '262185',
  missingArgument: '262197',
  fieldNotSettable: '262186',
  svmMissing: '2621462',
  serviceMissing: '5374078',
  serviceExists: '5374077',
  serviceEnabled: '5373960',
  volumeMissing: '917927',
  volumeNotEmpty: '917536',
  lunPathExists: '5374242',
  lunMapped: '1254197',
  igroupMapped: '1254213',
  alreadyMapped: '1254207',
  mapMissing: '5374922',
  igroupExists: '5374023',
  initiatorInvalid: '5374039',
  svmNotEmpty: '13434916',
  notAuthorized: '6691623',
  methodNotAllowed: '3',
} as const;

export const unexpectedArgument = (name: string) => new OntapError(400, ONTAP_CODES.unexpectedArgument, `Unexpected argument "${name}".`, name);
export const invalidValue = (name: string, value: unknown, type: string) =>
  new OntapError(
    400,
    ONTAP_CODES.invalidValue,
    `"${typeof value === 'string' ? value : JSON.stringify(value)}" is an invalid value for field "${name}" (<${type}>)`,
    name,
  );
export const missingArgument = (name: string) => new OntapError(400, ONTAP_CODES.missingArgument, `Missing value for required field "${name}".`, name);
export const notSettable = (name: string) => new OntapError(400, ONTAP_CODES.fieldNotSettable, `Field "${name}" cannot be set in this operation.`, name);
export const entryMissing = (target: string) => new OntapError(404, ONTAP_CODES.entryMissing, "entry doesn't exist", target);
export const svmMissing = (svm: string, target = 'svm.name') => new OntapError(404, ONTAP_CODES.svmMissing, `SVM "${svm}" does not exist.`, target);

/** What a route knows of its resource for mapping domain errors. */
export interface DomainContext {
  /** Domain field -> wire field ("sizeBytes" -> "space.size"). */
  fields?: Record<string, string>;
  /** The ONTAP code of a duplicate of this resource (name.taken). */
  duplicate?: string;
  /** The ONTAP code of deleting this resource while something refers to it. */
  referenced?: string;
}

const NOT_FOUND_CODES: Partial<Record<EntityKind, string>> = {
  tenant: ONTAP_CODES.svmMissing,
  volume: ONTAP_CODES.volumeMissing,
  'lun-map': ONTAP_CODES.mapMissing,
};

/** The ONTAP code of domain errors ONTAP documents one for; others by their kind. */
const SPECIFIC: Partial<Record<ErrorCode, string>> = {
  'iscsi-service.exists': ONTAP_CODES.serviceExists,
  'iscsi-service.missing': ONTAP_CODES.serviceMissing,
  'iscsi-service.enabled': ONTAP_CODES.serviceEnabled,
  'lun-map.exists': ONTAP_CODES.alreadyMapped,
  'initiators.not-iscsi-name': ONTAP_CODES.initiatorInvalid,
  'tenant.not-empty': ONTAP_CODES.svmNotEmpty,
};

/**
 * ONTAP's words for errors whose domain message names sanbox's own objects (tenants,
 * extents, row ids), which an ONTAP client has never heard of; the seed documents 5374078's.
 */
const MESSAGES: Partial<Record<ErrorCode, string>> = {
  'iscsi-service.exists': 'The SVM already has an iSCSI service.',
  'iscsi-service.missing': 'The SVM does not have an iSCSI service.',
  'lun-map.exists': 'The LUN is already mapped to the igroup.',
};

export function fromDomain(e: DomainError, ctx: DomainContext = {}): OntapError {
  const target = ctx.fields?.[e.field] ?? (e.field === '__all__' ? undefined : e.field);
  const status = ONTAP_STATUS[e.code];
  const specific = SPECIFIC[e.code];
  if (specific) return new OntapError(status, specific, MESSAGES[e.code] ?? e.message, target);
  if (e.code === 'entity.not-found' || e.code === 'reference.missing') {
    const entity = (e.params as { entity: EntityKind }).entity;
    return new OntapError(e.code === 'entity.not-found' ? 404 : 400, NOT_FOUND_CODES[entity] ?? ONTAP_CODES.entryMissing, e.message, target);
  }
  if (e.code === 'name.taken') return new OntapError(status, ctx.duplicate ?? ONTAP_CODES.duplicate, e.message, target);
  if (e.kind === 'referenced') return new OntapError(status, ctx.referenced ?? ONTAP_CODES.duplicate, e.message, target);
  if (e.kind === 'conflict') return new OntapError(status, ONTAP_CODES.duplicate, e.message, target);
  return new OntapError(status, ONTAP_CODES.invalidValue, e.message, target);
}

/** Runs a domain call, answering its DomainError in ONTAP's terms. */
export async function inDomain<T>(ctx: DomainContext, work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof DomainError) throw fromDomain(err, ctx);
    throw err;
  }
}

export const ONTAP_AUTH_REFUSALS = {
  unauthorized: new OntapError(401, ONTAP_CODES.notAuthorized, 'not authorized for that command').body(),
  throttled: new OntapError(429, '6', 'Too many failed authentication attempts from this address; retry later.').body(),
  busy: new OntapError(503, '6', 'Too many authentication checks are waiting; retry later.').body(),
};

export function ontapErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof OntapError) return reply.code(error.status).send(error.body());
  if (error instanceof DomainError) {
    const e = fromDomain(error);
    return reply.code(e.status).send(e.body());
  }
  if (error instanceof OntapQueryError) return reply.code(400).send({ error: { message: error.message, code: error.code, target: error.target } });
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return reply.code(415).send(new OntapError(415, ONTAP_CODES.invalidValue, 'Send the request body as application/json.').body());
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return reply.code(413).send(new OntapError(413, ONTAP_CODES.invalidValue, 'The request body is too large.').body());
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return reply.code(400).send(new OntapError(400, ONTAP_CODES.invalidValue, 'The request body is not valid JSON.').body());
  }
  if (error.statusCode && error.statusCode < 500)
    return reply.code(error.statusCode).send(new OntapError(error.statusCode, ONTAP_CODES.invalidValue, error.message).body());
  request.log.error({ err: error }, 'request failed');
  return reply.code(500).send(new OntapError(500, '8', 'Internal error.').body());
}

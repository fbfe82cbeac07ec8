/**
 * What one FreeNAS v1.0 resource is: a CRUD resource (api/http/crud.ts) with integer ids,
 * its path under /api/v1.0/services/iscsi/. Routes, schemas, OpenAPI and error mapping
 * are derived from this description (routes.ts).
 */
import type { FastifyRequest } from 'fastify';
import type { CrudResource } from '../http/crud.js';
import type { WireFields } from '../http/fields.js';
import type { FreenasRequest } from './error-handler.js';

export type Resource<E, I> = CrudResource<E, I, number>;

/** The FreeNAS error handler words errors per resource: the field map rides on the request. */
export function setFields(request: FastifyRequest, fields: WireFields): void {
  (request as FreenasRequest).freenasFields = fields;
}

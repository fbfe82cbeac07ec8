/**
 * What one FreeNAS v1.0 resource is: a CRUD resource (api/http/crud.ts) with integer ids,
 * its path under /api/v1.0/services/iscsi/. Routes, schemas, OpenAPI and error mapping
 * are derived from this description (routes.ts).
 */
import type { FastifyRequest } from 'fastify';
import type { Page } from '../../domain/repository.js';
import type { CrudResource } from '../http/crud.js';
import type { WireFields } from '../http/fields.js';
import type { FreenasRequest } from './error-handler.js';

/**
 * MERGE: today's domain services list a Page as an array. When they answer
 * list(query): ListResult (the domain branch), this becomes CrudResource<E, I, number>
 * and list-shim.ts goes.
 */
export interface LegacyCrudService<E, I> {
  list(page?: Page): E[];
  get(id: number): E;
  create(input: I): Promise<E>;
  update(id: number, input: I): Promise<E>;
  delete(id: number): Promise<void>;
}

export type Resource<E, I> = Omit<CrudResource<E, I, number>, 'service'> & { service: LegacyCrudService<E, I> };

/** The FreeNAS error handler words errors per resource: the field map rides on the request. */
export function setFields(request: FastifyRequest, fields: WireFields): void {
  (request as FreenasRequest).freenasFields = fields;
}

/**
 * What one FreeNAS v1.0 resource is: its wire fields (api/http/fields.ts), the conversions
 * between wire objects and domain entities, and the domain service behind it. Routes,
 * schemas, OpenAPI and error mapping are derived from this description (routes.ts).
 */
import type { Page } from '../../domain/repository.js';
import type { WireFields } from '../http/fields.js';

export interface CrudService<E, I> {
  list(page?: Page): E[];
  get(id: number): E;
  create(input: I): Promise<E>;
  update(id: number, input: I): Promise<E>;
  delete(id: number): Promise<void>;
}

export interface Resource<E extends { id: number }, I> {
  /** Path segment under /api/v1.0/services/iscsi/. */
  path: string;
  title: string;
  fields: WireFields;
  toWire(entity: E): Record<string, unknown>;
  fromWire(body: Record<string, unknown>): I;
  service: CrudService<E, I>;
}

/**
 * What one FreeNAS v1.0 resource is: its wire fields (with their JSON schema and the
 * domain field each maps to), the conversions between wire objects and domain
 * entities, and the domain service behind it. Routes, schemas, OpenAPI and error
 * mapping are derived from this description (routes.ts).
 */
import type { ListQuery, ListResult } from '../../domain/repository.js';

export type JsonSchema = Record<string, unknown>;

export interface WireField {
  schema: JsonSchema;
  /** The domain field it sets (names DomainError fields back to wire names). */
  domain?: string;
  /** Defined by a later FreeNAS release and accepted, but with no effect here. */
  ignored?: boolean;
  /** Part of the response (the seed's fields and honoured extensions). */
  response?: boolean;
  description?: string;
}

export interface CrudService<E, I> {
  list(query?: ListQuery): ListResult<E>;
  get(id: number): E;
  create(input: I): Promise<E>;
  update(id: number, input: I): Promise<E>;
  delete(id: number): Promise<void>;
}

export interface Resource<E extends { id: number }, I> {
  /** Path segment under /api/v1.0/services/iscsi/. */
  path: string;
  title: string;
  fields: Record<string, WireField>;
  toWire(entity: E): Record<string, unknown>;
  fromWire(body: Record<string, unknown>): I;
  service: CrudService<E, I>;
}

/** The wire name for a domain field; `__all__` (non-field errors) stays as is. */
export function wireFieldFor(fields: Record<string, WireField>, domainField: string): string {
  for (const [wire, f] of Object.entries(fields)) if (f.domain === domainField) return wire;
  return '__all__';
}

/** Copies present (not undefined) wire values to domain names. */
export function pick(body: Record<string, unknown>, fields: Record<string, WireField>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [wire, f] of Object.entries(fields)) {
    if (f.domain && !f.ignored && body[wire] !== undefined) out[f.domain] = body[wire];
  }
  return out;
}

export const str = (description?: string): JsonSchema => ({ type: 'string', ...(description ? { description } : {}) });
export const int = (description?: string): JsonSchema => ({ type: 'integer', ...(description ? { description } : {}) });
export const intOrNull = (description?: string): JsonSchema => ({
  type: ['integer', 'null'],
  ...(description ? { description } : {}),
});
export const strOrNull = (description?: string): JsonSchema => ({
  type: ['string', 'null'],
  ...(description ? { description } : {}),
});
export const bool = (description?: string): JsonSchema => ({ type: 'boolean', ...(description ? { description } : {}) });

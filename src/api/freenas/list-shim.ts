/**
 * MERGE: remove with LegacyCrudService (resource.ts) once the domain services answer
 * list(query): ListResult. Until then a FreeNAS resource's service is adapted to the
 * CRUD contract of api/http: the page's offset and limit pass through, and the total is
 * not counted (-1), which FreeNAS's bare-array lists never show.
 */
import type { CrudResource } from '../http/crud.js';
import type { Resource } from './resource.js';

export function withListResult<E, I>(r: Resource<E, I>): CrudResource<E, I, number> {
  const s = r.service;
  return {
    ...r,
    service: {
      list: (q) => ({ items: s.list({ offset: q.offset ?? 0, limit: q.limit ?? 0 }), total: -1 }),
      get: (id) => s.get(id),
      create: (input) => s.create(input),
      update: (id, input) => s.update(id, input),
      delete: (id) => s.delete(id),
    },
  };
}

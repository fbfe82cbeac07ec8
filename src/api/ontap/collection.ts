/**
 * Answering GETs as ONTAP does: a collection as `{records, num_records, _links}` filtered,
 * ordered, paged and projected by query.ts, an instance as the record itself. What ONTAP
 * returns besides the fields asked for, the clients rely on: the resource's key fields
 * (uuid, name, svm) and every field the query filtered on (Ansible's LUN module filters on
 * `location.volume.name` and compares it without asking for it).
 */
import type { FastifyRequest } from 'fastify';
import { type OntapQuery, type OntapResourceShape, collectionBody, matchesFilters, parseCollectionQuery, project, sortRecords } from './query.js';

export interface Resource extends OntapResourceShape {
  /** The collection's path, e.g. /api/svm/svms. */
  path: string;
  /** Returned whatever `fields` says. */
  keys: readonly string[];
  /** Query parameters an operation takes besides fields and filters. */
  params?: readonly string[];
}

/** Every field path of `sample` (parents and leaves; arrays of objects by their items' fields), and `extra`. */
export function fieldPaths(sample: object, extra: readonly string[] = []): string[] {
  const out = new Set<string>(extra);
  const walk = (value: unknown, prefix: string) => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item, prefix);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    for (const [k, v] of Object.entries(value)) {
      if (k === '_links') continue;
      const path = prefix ? `${prefix}.${k}` : k;
      out.add(path);
      walk(v, path);
    }
  };
  walk(sample, '');
  for (const p of [...out]) {
    const parts = p.split('.');
    for (let i = 1; i < parts.length; i++) out.add(parts.slice(0, i).join('.'));
  }
  return [...out];
}

type Query = Record<string, string | string[] | undefined>;

/** The selection a query names, widened by the keys and the filtered fields. */
function widened(q: OntapQuery, resource: Resource): OntapQuery['fields'] {
  if (q.fields === null || q.fields === '*' || q.fields === '**') {
    if (q.fields !== null || q.filters.length === 0) return q.fields;
    return [...new Set([...resource.collectionDefaults, ...resource.keys, ...q.filters.map((f) => f.field)])];
  }
  return [...new Set([...q.fields, ...resource.keys, ...q.filters.map((f) => f.field)])];
}

export function collection(request: FastifyRequest, resource: Resource, records: readonly object[]) {
  const q = parseCollectionQuery(request.query as Query, resource, { extraParams: resource.params });
  const matching = sortRecords(
    records.filter((r) => matchesFilters(r, q.filters)),
    q.orderBy,
  );
  return collectionBody(matching, { ...q, fields: widened(q, resource) }, request.url, resource.path, resource);
}

/** One record, projected on `fields` (default: every field but the expensive ones). */
export function instance(request: FastifyRequest, resource: Resource, record: object) {
  const q = parseCollectionQuery(request.query as Query, resource, { extraParams: resource.params });
  return project(record, widened(q, resource), resource, 'instance');
}

/** The query's fields, widened as a GET's would be: what a POST with return_records=true returns. */
export function wantsRecords(request: FastifyRequest): boolean {
  const v = (request.query as Query).return_records;
  const last = Array.isArray(v) ? v[v.length - 1] : v;
  return typeof last === 'string' && last.toLowerCase() === 'true';
}

/** A boolean query parameter, in ONTAP's words (true/false, any case: Python sends True/False). */
export function boolParam(request: FastifyRequest, name: string): boolean {
  const v = (request.query as Query)[name];
  const last = Array.isArray(v) ? v[v.length - 1] : v;
  return typeof last === 'string' && last.toLowerCase() === 'true';
}

/**
 * What every Ironic route needs: absolute links from the request's own host, Ironic's
 * strict query values, list paging (limit, marker, sort, the `next` URL in Ironic's
 * format), `fields` projection, and RFC 6902 patches limited to the paths Ironic allows.
 */
import type { FastifyRequest } from 'fastify';
import { PatchError, jsonPatch } from '../http/patch.js';
import { IronicError } from './errors.js';

type Query = Record<string, string | string[] | undefined>;

export function baseUrl(request: FastifyRequest): string {
  const host = request.headers.host ?? '127.0.0.1';
  return `${request.protocol}://${host}`;
}

/** Ironic's self and bookmark links of an object at `path` (under /v1, e.g. "volume/connectors/<uuid>"). */
export function links(request: FastifyRequest, path: string) {
  const base = baseUrl(request);
  return [
    { href: `${base}/v1/${path}`, rel: 'self' },
    { href: `${base}/${path}`, rel: 'bookmark' },
  ];
}

function one(query: Query, name: string): string | undefined {
  const v = query[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

const TRUE = ['1', 't', 'true', 'on', 'y', 'yes'];
const FALSE = ['0', 'f', 'false', 'off', 'n', 'no'];

/** oslo's strict bool_from_string, with Ironic's args.boolean words ("Invalid detail: ..."). */
export function strictBool(name: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (TRUE.includes(v)) return true;
  if (FALSE.includes(v)) return false;
  throw new IronicError(
    400,
    `Invalid ${name}: Unrecognized value '${value}', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'`,
  );
}

export function checkQuery(request: FastifyRequest, allowed: readonly string[]): Query {
  const query = request.query as Query;
  // Ironic's args.validate: every unexpected argument, in one message.
  const extra = Object.keys(query).filter((name) => !allowed.includes(name));
  if (extra.length) throw new IronicError(400, `Unexpected arguments: ${extra.join(', ')}`);
  return query;
}

export interface ListOptions {
  detail: boolean;
  fields: string[] | null;
  limit: number;
  marker: string | null;
  sortKey: string;
  sortDir: 'asc' | 'desc';
}

const MAX_LIMIT = 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function listOptions(query: Query, fieldsKnown: readonly string[], unsortable: readonly string[]): ListOptions {
  const detailText = one(query, 'detail');
  const detail = detailText === undefined ? false : strictBool('detail', detailText);
  const fieldsText = one(query, 'fields');
  const fields = fieldsText === undefined ? null : fieldsOf(fieldsText, fieldsKnown);
  if (detail && fields) throw new IronicError(400, "Can't fetch a subset of fields with 'detail' set");
  const limitText = one(query, 'limit');
  let limit = MAX_LIMIT;
  if (limitText !== undefined) {
    if (!/^\s*[-+]?\d+\s*$/.test(limitText)) throw new IronicError(400, `Expected an integer for limit: ${limitText}`);
    const n = Number(limitText);
    if (n <= 0) throw new IronicError(400, 'Limit must be positive');
    limit = Math.min(n, MAX_LIMIT);
  }
  const marker = one(query, 'marker') ?? null;
  if (marker !== null && !UUID.test(marker)) throw new IronicError(400, `Expected UUID for marker: ${marker}`);
  const sortKey = one(query, 'sort_key') ?? 'id';
  // Ironic's words differ: its controllers refuse their unsortable fields unquoted, its database unknown ones quoted.
  if (unsortable.includes(sortKey)) throw new IronicError(400, `The sort_key value ${sortKey} is an invalid field for sorting`);
  if (sortKey !== 'id' && !fieldsKnown.includes(sortKey)) {
    throw new IronicError(400, `The sort_key value "${sortKey}" is an invalid field for sorting`);
  }
  const sortDirText = one(query, 'sort_dir') ?? 'asc';
  if (sortDirText !== 'asc' && sortDirText !== 'desc')
    throw new IronicError(400, `Invalid sort direction: ${sortDirText}. Acceptable values are 'asc' or 'desc'`);
  return { detail, fields, limit, marker: marker?.toLowerCase() ?? null, sortKey, sortDir: sortDirText };
}

export function fieldsOf(text: string, known: readonly string[]): string[] {
  const fields = text
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  const bad = fields.filter((f) => !known.includes(f));
  if (bad.length) throw new IronicError(400, `Field(s) "${bad.join(', ')}" are not valid`);
  return fields;
}

/** The fields of a record named in `fields` (plus links); all of them without. */
export function project(record: Record<string, unknown>, fields: string[] | null): Record<string, unknown> {
  if (!fields) return record;
  const out: Record<string, unknown> = {};
  for (const f of [...fields, 'links']) if (f in record) out[f] = record[f];
  return out;
}

/**
 * One page of `items` (sorted by the options; `id` is creation order), and the `next` URL
 * when the page is full, in Ironic's format: the other query arguments, then limit and marker.
 */
export function page<T extends { id: number; uuid: string }>(
  request: FastifyRequest,
  items: T[],
  o: ListOptions,
  sortValue: (item: T, key: string) => unknown,
  notFoundMarker: (marker: string) => IronicError,
  path: string,
): { items: T[]; next: string | null } {
  const sorted = [...items].sort((a, b) => {
    const x = o.sortKey === 'id' ? a.id : sortValue(a, o.sortKey);
    const y = o.sortKey === 'id' ? b.id : sortValue(b, o.sortKey);
    const c = x === y ? a.id - b.id : x === null || x === undefined ? -1 : y === null || y === undefined ? 1 : x < y ? -1 : 1;
    return o.sortDir === 'desc' ? -c : c;
  });
  let start = 0;
  if (o.marker !== null) {
    const at = sorted.findIndex((i) => i.uuid === o.marker);
    if (at < 0) throw notFoundMarker(o.marker);
    start = at + 1;
  }
  const slice = sorted.slice(start, start + o.limit);
  if (slice.length === 0 || slice.length < o.limit) return { items: slice, next: null };
  const query = request.query as Query;
  const args = Object.entries(query)
    .filter(([k]) => k !== 'limit' && k !== 'marker')
    .map(([k, v]) => `${k}=${encodeURIComponent(String(Array.isArray(v) ? v[v.length - 1] : v)).replace(/%2C/gi, ',')}&`)
    .join('');
  return { items: slice, next: `${baseUrl(request)}/v1/${path}?${args}limit=${o.limit}&marker=${slice[slice.length - 1]!.uuid}` };
}

/**
 * Applies an RFC 6902 patch to `record` where only `allowed` top-level paths (and what is
 * under them) may change, with Ironic's words for the others.
 */
export function applyPatch(record: Record<string, unknown>, patch: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (!Array.isArray(patch)) throw new IronicError(400, 'Invalid patch: a JSON Patch document is a list of operations.');
  for (const op of patch) {
    const path = typeof op === 'object' && op !== null ? (op as { path?: unknown }).path : undefined;
    if (typeof path !== 'string' || !path.startsWith('/')) throw new IronicError(400, "Invalid patch: every operation needs a 'path' starting with '/'.");
    // Ironic's patch_validate_allowed_fields, which runs before anything else looks at the patch.
    const root = path.split('/')[1]!;
    if (!allowed.includes(root)) throw new IronicError(400, `Cannot patch ${path}. Only the following can be updated: ${allowed.join(', ')}`);
  }
  try {
    return jsonPatch(record, patch) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof PatchError) throw new IronicError(400, `Invalid patch: ${err.message}`);
    throw err;
  }
}

/** Ironic masks secrets in the properties it answers with. */
export function masked(properties: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(properties)) out[k] = /password|secret/i.test(k) ? '******' : v;
  return out;
}

/**
 * The list query every repository's list method answers (repository.ts: ListQuery,
 * ListResult), done in memory over one tenant's rows: a configuration is at most a few
 * thousand rows, and one implementation for every entity keeps the rules in one place.
 * Each entity names the domain fields a list may be filtered and sorted on; anything else
 * is refused, never ignored.
 */
import type { AuthCredential, Extent, InitiatorGroup, Lun, Owned, PortalGroup, Target, TargetGroup } from './entities.js';
import { invalid } from './errors.js';
import type { FilterValue, ListQuery, ListResult } from './repository.js';

/** How a field's values compare and which filter values fit it; every field may also be null. */
type FieldKind = 'text' | 'int' | 'bool';

/** The fields of `E` a list may filter and sort on. */
export type ListFields<E> = { readonly [K in keyof E & string]?: FieldKind };

const OWNED = { id: 'int', uuid: 'text', tenantId: 'int' } as const;

export const PORTAL_GROUP_FIELDS: ListFields<PortalGroup> = { ...OWNED, tag: 'int', comment: 'text' };
export const INITIATOR_GROUP_FIELDS: ListFields<InitiatorGroup> = { ...OWNED, tag: 'int', comment: 'text' };
/** Secrets are neither filters nor sort keys: a list must not become a way to guess them. */
export const AUTH_CREDENTIAL_FIELDS: ListFields<AuthCredential> = { ...OWNED, tag: 'int', user: 'text', peerUser: 'text' };
export const TARGET_FIELDS: ListFields<Target> = {
  ...OWNED,
  name: 'text',
  alias: 'text',
  serial: 'text',
  readOnly: 'bool',
  portalGroupId: 'int',
  initiatorGroupId: 'int',
  authMethod: 'text',
  authGroup: 'int',
  digest: 'text',
  queueDepth: 'int',
  blockSize: 'int',
  type: 'text',
};
export const EXTENT_FIELDS: ListFields<Extent> = {
  ...OWNED,
  name: 'text',
  type: 'text',
  path: 'text',
  sizeBytes: 'int',
  comment: 'text',
  blockSize: 'int',
  serial: 'text',
  readOnly: 'bool',
  rpm: 'text',
  insecureTpc: 'bool',
  xen: 'bool',
  availThreshold: 'int',
  naa: 'text',
};
export const LUN_FIELDS: ListFields<Lun> = { ...OWNED, targetId: 'int', extentId: 'int', lun: 'int', autoNumbered: 'bool' };
export const TARGET_GROUP_FIELDS: ListFields<TargetGroup> = {
  ...OWNED,
  targetId: 'int',
  portalGroupId: 'int',
  initiatorGroupId: 'int',
  authMethod: 'text',
  authGroup: 'int',
  digest: 'text',
};

function fits(kind: FieldKind, value: unknown): boolean {
  if (value === null) return true;
  if (kind === 'text') return typeof value === 'string';
  if (kind === 'bool') return typeof value === 'boolean';
  return Number.isSafeInteger(value);
}

/** Null first, then false < true, numbers by value, text by code unit (as SQLite's BINARY). */
function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return (a as number | string | boolean) < (b as number | string | boolean) ? -1 : 1;
}

/**
 * Offset and limit as whole numbers; a float is cut to its whole part, a negative offset
 * is 0 and a limit of 0 or less is none. A value that is no number, or past 2^53, is a
 * RangeError: dialects answer bad paging in their own words before this, so reaching it
 * is a dialect's bug, not a client's.
 */
function window(query: ListQuery): { offset: number; limit: number } {
  const rawOffset = query.offset ?? 0;
  const rawLimit = query.limit ?? 0;
  const limit = rawLimit <= 0 ? Number.POSITIVE_INFINITY : Math.floor(rawLimit);
  const offset = Math.max(0, Math.floor(rawOffset));
  if (!Number.isSafeInteger(offset) || (limit !== Number.POSITIVE_INFINITY && !Number.isSafeInteger(limit))) {
    throw new RangeError(`page offset ${rawOffset}, limit ${rawLimit} is not a pair of whole numbers below 2^53`);
  }
  return { offset, limit };
}

/**
 * Answers `query` over `rows` (which may hold more than the query's tenant): the tenant's
 * rows matching every filter, in the requested order (id ascending by default; ties broken
 * by id ascending), from after the `after` entity or from `offset`, at most `limit`.
 * `total` counts the tenant's matching rows, whatever the page.
 */
export function runListQuery<E extends Owned & { id: number }>(
  rows: readonly E[],
  query: ListQuery | undefined,
  fields: ListFields<E>,
): ListResult<E> {
  const q = query ?? {};
  const { offset, limit } = window(q);
  const filters = Object.entries(q.filters ?? {}) as [string, FilterValue][];
  for (const [field, value] of filters) {
    const kind = (fields as Record<string, FieldKind | undefined>)[field];
    if (!Object.hasOwn(fields, field) || kind === undefined) throw invalid('filter', `Cannot filter on "${field}".`);
    if (!fits(kind, value)) throw invalid('filter', `"${field}" is filtered on a ${kind === 'bool' ? 'boolean' : kind === 'int' ? 'whole number' : 'text'} or null.`);
  }
  const sort = q.sort ?? [];
  for (const key of sort) {
    if (!Object.hasOwn(fields, key.field)) throw invalid('sort', `Cannot sort on "${key.field}".`);
    if (key.descending !== undefined && typeof key.descending !== 'boolean') throw invalid('sort', 'descending is true or false.');
  }
  if (q.after !== undefined && offset > 0) throw invalid('marker', 'A marker and an offset cannot be combined.');

  const value = (e: E, field: string) => (e as unknown as Record<string, unknown>)[field] ?? null;
  const matching = rows.filter(
    (e) => (q.tenantId === undefined || e.tenantId === q.tenantId) && filters.every(([field, v]) => value(e, field) === v),
  );
  matching.sort((a, b) => {
    for (const key of sort) {
      const c = compare(value(a, key.field), value(b, key.field));
      if (c !== 0) return key.descending ? -c : c;
    }
    return a.id - b.id;
  });
  let start = offset;
  if (q.after !== undefined) {
    const at = matching.findIndex((e) => e.uuid === q.after);
    if (at < 0) throw invalid('marker', `No item with uuid "${String(q.after)}" is in this list.`);
    start = at + 1;
  }
  const items = matching.slice(start, limit === Number.POSITIVE_INFINITY ? undefined : start + limit);
  return { items, total: matching.length };
}

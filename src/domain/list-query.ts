/**
 * The rules of the list query every repository's list method answers (repository.ts:
 * ListQuery, ListResult): each entity names the domain fields a list may be filtered and
 * sorted on, and anything else is refused, never ignored. `checkListQuery` is what a
 * repository calls first; it then answers the checked query in its own terms (the store:
 * one SQL query for the page, one for the total, one for the marker's place).
 *
 * The order a repository keeps: the sort keys in turn (null first when ascending, last
 * when descending; false before true; numbers by value; text by code unit), ties broken
 * by id ascending; no sort keys: id ascending.
 */
import type { AuthCredential, Extent, InitiatorGroup, Lun, PortalGroup, Target, TargetGroup } from './entities.js';
import { fail, type DomainError } from './errors.js';
import type { FilterValue, ListQuery } from './repository.js';

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

const KIND_WORDS: Record<FieldKind, string> = { text: 'text', int: 'a whole number', bool: 'true or false' };

/** A ListQuery whose every field a repository may use as it is. */
export interface CheckedListQuery {
  tenantId: number | undefined;
  /** Allow-listed fields, each value of the field's kind or null (IS NULL). */
  filters: [string, FilterValue][];
  sort: { field: string; descending: boolean }[];
  /** Whole numbers below 2^53; `limit` null: no limit. */
  offset: number;
  limit: number | null;
  /** Start after the entity with this uuid in the order asked for (the offset is 0 then). */
  after: string | undefined;
}

/**
 * Refuses what the fields do not allow (field `filter` or `sort`; a marker with an offset:
 * `marker`). Offset and limit are made whole numbers: a float is cut to its whole part, a
 * negative offset is 0, a limit of 0 or less is none; a value that is no number, or past
 * 2^53, is a RangeError: dialects answer bad paging in their own words before this, so
 * reaching it is a dialect's bug, not a client's.
 */
export function checkListQuery<E>(query: ListQuery | undefined, fields: ListFields<E>): CheckedListQuery {
  const q = query ?? {};
  const allowed = fields as Readonly<Record<string, FieldKind | undefined>>;
  const filters = Object.entries(q.filters ?? {});
  for (const [field, value] of filters) {
    const kind = Object.hasOwn(allowed, field) ? allowed[field] : undefined;
    if (kind === undefined) throw fail('list.filter-unknown', 'filter', { field });
    if (!fits(kind, value)) throw fail('list.filter-value', 'filter', { field, kind: KIND_WORDS[kind] });
  }
  const sort = (q.sort ?? []).map((key) => {
    if (!Object.hasOwn(allowed, key.field) || allowed[key.field] === undefined) throw fail('list.sort-unknown', 'sort', { field: key.field });
    if (key.descending !== undefined && typeof key.descending !== 'boolean') throw fail('value.not-boolean', 'sort');
    return { field: key.field, descending: key.descending === true };
  });
  const rawOffset = q.offset ?? 0;
  const rawLimit = q.limit ?? 0;
  const offset = Math.max(0, Math.floor(rawOffset));
  const limit = rawLimit <= 0 ? null : Math.floor(rawLimit);
  if (!Number.isSafeInteger(offset) || (limit !== null && !Number.isSafeInteger(limit))) {
    throw new RangeError(`page offset ${rawOffset}, limit ${rawLimit} is not a pair of whole numbers below 2^53`);
  }
  if (q.after !== undefined && offset > 0) throw fail('list.marker-with-offset', 'marker');
  return { tenantId: q.tenantId, filters, sort, offset, limit, after: q.after };
}

/** The marker names no entity of the list (another tenant's, or one the filters leave out, counts as none). */
export function unknownMarker(uuid: string): DomainError {
  return fail('list.marker-unknown', 'marker', { uuid });
}

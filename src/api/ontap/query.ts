/**
 * The collection-query mechanics of the NetApp ONTAP REST API, apart from any route: reading
 * `fields`, `max_records`, `return_records`, `return_timeout`, `order_by`, our own paging
 * cursor and the field filters from a query string; matching records against ONTAP's query
 * syntax (`*`, `|`, `!`, `<`, `>`, `a..b`); ordering; projecting a record onto the selected
 * fields; and the `{records, num_records, _links}` body of a collection GET with its next link.
 * Records are plain JSON objects; a resource describes itself with an OntapResourceShape.
 */

export interface OntapResourceShape {
  /** Every field path a client may name, dotted leaves and their parents ('svm', 'svm.name', 'space.size'). */
  fields: readonly string[];
  /** Returned by a collection GET without `fields` (ONTAP returns the key fields only), e.g. ['svm', '_links'] or ['uuid','name','_links']. */
  collectionDefaults: readonly string[];
  /** Left out unless named in `fields` or `fields=**` (e.g. 'statistics', 'metric'). */
  expensive: readonly string[];
}

export interface OntapOrder {
  field: string;
  desc: boolean;
}

export interface OntapFilter {
  field: string;
  expr: string;
}

export interface OntapQuery {
  /**
   * null: the default set. A list may hold '*' beside expensive names (`fields=*,statistics`):
   * everything cheap plus those; '**' anywhere collapses to '**'.
   */
  fields: string[] | '*' | '**' | null;
  maxRecords: number | null;
  returnRecords: boolean;
  returnTimeout: number;
  orderBy: OntapOrder[];
  filters: OntapFilter[];
  /** Offset of the page, from our own `start.index` cursor. */
  start: number;
}

type RawQuery = Record<string, string | string[] | undefined>;

/**
 * The cursor of our `_links.next`. ONTAP's own next links carry `start.<key>=` parameters
 * (e.g. `start.uuid=`); a dotted `start.` name keeps ours looking like theirs, and no client
 * sends `start.index` of its own accord.
 */
export const START_PARAM = 'start.index';

/** ONTAP waits at most 120 s for a collection to settle; 15 s is its default. */
const MAX_RETURN_TIMEOUT = 120;
const DEFAULT_RETURN_TIMEOUT = 15;

const RESERVED = new Set(['fields', 'max_records', 'return_records', 'return_timeout', 'order_by', START_PARAM]);

export class OntapQueryError extends Error {
  readonly status = 400;
  constructor(
    readonly code: string,
    message: string,
    readonly target: string,
  ) {
    super(message);
    this.name = 'OntapQueryError';
  }
}

/** ONTAP's 262179: a parameter (or a name inside `fields`/`order_by`) the resource does not have. */
function unexpectedArgument(name: string, target = name): OntapQueryError {
  return new OntapQueryError('262179', `Unexpected argument "${name}".`, target);
}

/** ONTAP's 262185: a known parameter with a value of the wrong type or out of range. */
function invalidValue(value: string, name: string, type: string): OntapQueryError {
  return new OntapQueryError('262185', `"${value}" is an invalid value for field "${name}" (<${type}>)`, name);
}

function valuesOf(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/**
 * A parameter given twice where one value is meant: the last wins, as most query-string
 * readers (and ONTAP's web server, in our reading) take it; refusing would break clients that
 * append an override to a stored link.
 */
function lastOf(v: string | string[] | undefined): string | undefined {
  const all = valuesOf(v);
  return all.length ? all[all.length - 1] : undefined;
}

function parseInteger(value: string, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  // Digits only: Number() would take '1e3', '0x10' and ' 7', none of which ONTAP accepts.
  if (!/^\d+$/.test(value)) throw invalidValue(value, name, 'integer');
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw invalidValue(value, name, 'integer');
  return n;
}

function commaList(values: string[]): string[] {
  return values
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function parseFields(values: string[], known: Set<string>): OntapQuery['fields'] {
  const names = commaList(values);
  // `fields=` alone asks for nothing in particular, which ONTAP answers with the defaults.
  if (names.length === 0) return null;
  if (names.includes('**')) return '**';
  for (const n of names) {
    // An unknown name inside `fields` is refused in the words of an unknown parameter, with
    // `fields` as the target, so a client sees which parameter held it.
    if (n !== '*' && n !== '_links' && !known.has(n)) throw unexpectedArgument(n, 'fields');
  }
  const unique = [...new Set(names)];
  if (unique.length === 1 && unique[0] === '*') return '*';
  return unique;
}

function parseOrderBy(values: string[], known: Set<string>): OntapOrder[] {
  const out: OntapOrder[] = [];
  for (const item of commaList(values)) {
    const [field, dir, ...rest] = item.split(/\s+/);
    // An unknown field is an unknown name, as in `fields`; a bad direction is a bad value.
    if (!known.has(field)) throw unexpectedArgument(field, 'order_by');
    const d = dir?.toLowerCase();
    if (rest.length || (d !== undefined && d !== 'asc' && d !== 'desc')) throw invalidValue(item, 'order_by', 'string');
    out.push({ field, desc: d === 'desc' });
  }
  return out;
}

export function parseCollectionQuery(raw: RawQuery, shape: OntapResourceShape, opts: { extraParams?: readonly string[] } = {}): OntapQuery {
  const known = new Set(shape.fields);
  const extra = new Set(opts.extraParams ?? []);
  const q: OntapQuery = {
    fields: null,
    maxRecords: null,
    returnRecords: true,
    returnTimeout: DEFAULT_RETURN_TIMEOUT,
    orderBy: [],
    filters: [],
    start: 0,
  };
  for (const [name, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    if (RESERVED.has(name)) continue;
    if (extra.has(name)) continue;
    if (!known.has(name)) throw unexpectedArgument(name);
    // Repeated filters are ANDed: `name=a*&name=*z` narrows, as a second condition would.
    for (const expr of valuesOf(v)) q.filters.push({ field: name, expr });
  }
  q.fields = parseFields(valuesOf(raw.fields), known);
  const max = lastOf(raw.max_records);
  if (max !== undefined) q.maxRecords = parseInteger(max, 'max_records', 1);
  const rr = lastOf(raw.return_records);
  if (rr !== undefined) {
    const b = rr.toLowerCase();
    if (b !== 'true' && b !== 'false') throw invalidValue(rr, 'return_records', 'boolean');
    q.returnRecords = b === 'true';
  }
  const rt = lastOf(raw.return_timeout);
  if (rt !== undefined) q.returnTimeout = parseInteger(rt, 'return_timeout', 0, MAX_RETURN_TIMEOUT);
  q.orderBy = parseOrderBy(valuesOf(raw.order_by), known);
  const start = lastOf(raw[START_PARAM]);
  if (start !== undefined) q.start = parseInteger(start, START_PARAM, 0);
  return q;
}

// ---------------------------------------------------------------------------------------
// Filters

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every value at a dotted path, arrays flattened on the way, so `initiators.name` reaches each initiator's name. */
function valuesAt(record: unknown, path: string): unknown[] {
  let current: unknown[] = [record];
  for (const key of path.split('.')) {
    const next: unknown[] = [];
    for (const c of current) {
      for (const item of Array.isArray(c) ? c : [c]) {
        if (isObject(item) && key in item && item[key] !== undefined) next.push(item[key]);
      }
    }
    current = next;
  }
  return current.flatMap((v) => (Array.isArray(v) ? v : [v]));
}

function asNumber(s: string): number | null {
  const t = s.trim();
  if (t === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return null;
  return Number(t);
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 'is');
}

function compare(op: string, a: number | string, b: number | string): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    default:
      return a >= b;
  }
}

/** One term against one scalar. Objects and nulls match no term: ONTAP filters on leaves. */
function termMatches(term: string, value: unknown): boolean {
  if (typeof value === 'boolean') return term.toLowerCase() === String(value);
  if (typeof value !== 'number' && typeof value !== 'string') return false;
  const rel = /^(<=|>=|<|>)(.*)$/s.exec(term);
  if (rel) {
    const [, op, operand] = rel;
    const n = asNumber(operand);
    if (typeof value === 'number') return n !== null && compare(op, value, n);
    // Strings order as text, case-folded, which is what ISO timestamps need (`create_time=>2024-01-01`).
    return compare(op, value.toLowerCase(), operand.toLowerCase());
  }
  if (typeof value === 'number') {
    const range = /^(.+?)\.\.(.+)$/s.exec(term);
    if (range) {
      const lo = asNumber(range[1]);
      const hi = asNumber(range[2]);
      if (lo !== null && hi !== null) return value >= lo && value <= hi;
    }
    const n = asNumber(term);
    if (n !== null) return value === n;
  }
  const text = String(value);
  if (term.includes('*')) return globToRegExp(term).test(text);
  // Case-folded, as ONTAP compares names.
  return text.toLowerCase() === term.toLowerCase();
}

/**
 * `|` splits the expression first, and each alternative may carry its own `!`, so
 * `!a|!b` reads "not a, or not b". A negated alternative holds when no value at the path
 * matches it: an absent field therefore satisfies `!x` and nothing else.
 */
function exprMatches(expr: string, values: unknown[]): boolean {
  return expr.split('|').some((alt) => {
    if (alt.startsWith('!')) {
      const term = alt.slice(1);
      return !values.some((v) => termMatches(term, v));
    }
    return values.some((v) => termMatches(alt, v));
  });
}

export function matchesFilters(record: object, filters: readonly OntapFilter[]): boolean {
  return filters.every((f) => exprMatches(f.expr, valuesAt(record, f.field)));
}

// ---------------------------------------------------------------------------------------
// Ordering

function sortKey(record: object, field: string): unknown {
  // An array field orders by its first element: ONTAP gives no rule, and this one is stable.
  return valuesAt(record, field).find((v) => v !== null && !isObject(v));
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const x = String(a).toLowerCase();
  const y = String(b).toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A new array in `orderBy` order; records without the field come last in either direction. */
export function sortRecords<T extends object>(records: readonly T[], orderBy: readonly OntapOrder[]): T[] {
  const out = [...records];
  if (orderBy.length === 0) return out;
  // Array.prototype.sort is stable (ES2019), so equal keys keep the store's order.
  return out.sort((r1, r2) => {
    for (const { field, desc } of orderBy) {
      const a = sortKey(r1, field);
      const b = sortKey(r2, field);
      if (a === undefined && b === undefined) continue;
      if (a === undefined) return 1;
      if (b === undefined) return -1;
      const c = compareValues(a, b);
      if (c !== 0) return desc ? -c : c;
    }
    return 0;
  });
}

// ---------------------------------------------------------------------------------------
// Projection

type Mode = 'cheap' | 'select';

interface Selection {
  named: Set<string>;
  expensive: Set<string>;
  namedPrefixes: Set<string>;
}

function prefixesOf(paths: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const p of paths) {
    const parts = p.split('.');
    for (let i = 1; i < parts.length; i++) out.add(parts.slice(0, i).join('.'));
  }
  return out;
}

function pickValue(value: unknown, path: string, mode: Mode, sel: Selection): unknown {
  if (Array.isArray(value)) return value.map((v) => pickValue(v, path, mode, sel));
  if (!isObject(value)) return value;
  return pickObject(value, path, mode, sel);
}

function pickObject(obj: Record<string, unknown>, prefix: string, mode: Mode, sel: Selection): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${key}` : key;
    // The record's own `_links` always goes out: clients follow it. Nested `_links` (svm._links)
    // go out with their parent, not on their own, so `fields=svm.name` gives `{svm: {name}}`.
    if (sel.named.has(path) || path === '_links') {
      out[key] = structuredClone(value);
    } else if (mode === 'cheap' && !sel.expensive.has(path)) {
      out[key] = pickValue(value, path, 'cheap', sel);
    } else if (sel.namedPrefixes.has(path)) {
      const picked = pickValue(value, path, 'select', sel);
      // A named leaf the record lacks leaves nothing under its parent; an empty `{}` would be noise.
      if (isObject(picked) && Object.keys(picked).length === 0) continue;
      out[key] = picked;
    }
  }
  return out;
}

export function project(record: object, selection: OntapQuery['fields'], shape: OntapResourceShape, mode: 'collection' | 'instance'): Record<string, unknown> {
  const rec = record as Record<string, unknown>;
  if (selection === '**' || (Array.isArray(selection) && selection.includes('**'))) return structuredClone(rec);
  let named: string[];
  let base: Mode;
  if (selection === null) {
    named = mode === 'collection' ? [...shape.collectionDefaults] : [];
    base = mode === 'collection' ? 'select' : 'cheap';
  } else if (selection === '*') {
    named = [];
    base = 'cheap';
  } else {
    named = selection.filter((n) => n !== '*');
    base = selection.includes('*') ? 'cheap' : 'select';
  }
  const sel: Selection = { named: new Set(named), expensive: new Set(shape.expensive), namedPrefixes: prefixesOf(named) };
  return pickObject(rec, '', base, sel);
}

// ---------------------------------------------------------------------------------------
// Collection body

/** The client's query with our cursor taken out, each pair in the client's own encoding. */
function queryWithoutCursor(selfHref: string): string[] {
  const at = selfHref.indexOf('?');
  if (at < 0) return [];
  return selfHref
    .slice(at + 1)
    .split('&')
    .filter((pair) => {
      if (pair === '') return false;
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      let name: string;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        name = rawName;
      }
      return name !== START_PARAM;
    });
}

export interface OntapCollectionBody {
  records?: Record<string, unknown>[];
  num_records: number;
  _links: { self: { href: string }; next?: { href: string } };
}

/**
 * `items` are the whole matching collection, filtered and sorted. `num_records` is the count
 * in this page, as ONTAP gives it when max_records is set (without it the page is the rest
 * of the collection, so the two agree); with return_records=false it is the whole count.
 */
export function collectionBody(items: readonly object[], q: OntapQuery, selfHref: string, path: string, shape: OntapResourceShape): OntapCollectionBody {
  if (!q.returnRecords) return { num_records: items.length, _links: { self: { href: selfHref } } };
  const end = q.maxRecords === null ? items.length : Math.min(items.length, q.start + q.maxRecords);
  const page = items.slice(q.start, end);
  const body: OntapCollectionBody = {
    records: page.map((r) => project(r, q.fields, shape, 'collection')),
    num_records: page.length,
    _links: { self: { href: selfHref } },
  };
  if (end < items.length && page.length > 0) {
    const params = [...queryWithoutCursor(selfHref), `${START_PARAM}=${end}`];
    body._links.next = { href: `${path}?${params.join('&')}` };
  }
  return body;
}

/**
 * Paging adapters: how a dialect's list parameters (offset/limit, page_num/page_size,
 * limit/marker, max_records) become the domain's ListQuery, and what the dialect can say
 * about the page it got back (a total, the next page's parameters). A bad value is a
 * PagingError that names the parameter; each dialect renders it in its own shape.
 * The adapters themselves are in paging-styles.ts (and FreeNAS's Tastypie rules in its
 * own folder).
 */
import type { ListQuery, ListResult } from '../../domain/repository.js';
import type { JsonSchema } from './fields.js';

export type PagingErrorReason = 'not_a_number' | 'out_of_range' | 'bad_value';

export class PagingError extends Error {
  constructor(
    message: string,
    /** The parameter at fault (`limit`, `marker`, ...). */
    readonly param?: string,
    readonly reason: PagingErrorReason = 'bad_value',
  ) {
    super(message);
    this.name = 'PagingError';
  }
}

/** What a list request asks the domain for: the paging and sorting part of a ListQuery. */
export interface PageRequest {
  query: ListQuery;
}

export interface PageInfo {
  /** How many entities match in all (ListResult.total; -1: not counted). */
  total: number;
  /** The next page's paging parameters as a query string (no `?`); null on the last page. */
  next: string | null;
}

export interface PagingAdapter<R extends PageRequest = PageRequest> {
  /**
   * The paging parameters, for documentation. parse() reads the values itself (no schema
   * types), so that a bad value is a PagingError the dialect words, not a schema error.
   */
  readonly querystring: JsonSchema;
  /** The request's paging parameters (a query string's, or a body's) as a domain query. */
  parse(params: unknown): R;
  /** What the dialect may say about a page; `lastCursor` is the cursor of its last item. */
  page(request: R, result: ListResult<unknown>, lastCursor: string | undefined): PageInfo;
}

/** The parameters as an object; a repeated query key counts as its last value. */
export function paramValue(params: unknown, name: string): unknown {
  if (!params || typeof params !== 'object') return undefined;
  const value = (params as Record<string, unknown>)[name];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/**
 * A whole number from a query string ("12") or a JSON body (12), at least `min`, or
 * undefined when absent. Values past 2^53-1 are held there: they can only mean "more
 * than there is", and the store needs an exact JavaScript number.
 */
export function wholeNumber(raw: unknown, param: string, min = 0): number | undefined {
  if (raw === undefined) return undefined;
  let value: number;
  if (typeof raw === 'number' && Number.isInteger(raw)) value = raw;
  else if (typeof raw === 'string' && /^[+-]?\d+$/.test(raw)) value = raw.length > 17 ? (raw.startsWith('-') ? -Infinity : Infinity) : Number(raw);
  else throw new PagingError(`${param} must be a whole number.`, param, 'not_a_number');
  if (value < min) throw new PagingError(`${param} must be ${min} or more.`, param, 'out_of_range');
  return Math.min(value, Number.MAX_SAFE_INTEGER);
}

/**
 * The paging styles of the dialects to come, each a PagingAdapter (paging.ts):
 *
 * - page number (the share-pool API): `page_num` (1-based; 0 or absent is the first page)
 *   and `page_size` (0 or absent: everything), from the request body as often as not;
 * - marker (OpenStack): `limit`, `marker` (the uuid of the previous page's last item),
 *   `sort_key`, `sort_dir`; a full page links to the next one;
 * - max records (ONTAP): `max_records`, continued from the last record's uuid.
 */
import type { ListQuery, SortKey } from '../../domain/repository.js';
import { PagingError, paramValue, wholeNumber, type PageRequest, type PagingAdapter } from './paging.js';
import { isUuid } from '../../domain/uuid.js';

function query(entries: [string, string | number | undefined][]): string {
  const q = new URLSearchParams();
  for (const [k, v] of entries) if (v !== undefined) q.append(k, String(v));
  return q.toString();
}

/** Anything past 2^53-1 can only be past the last row. */
const product = (a: number, b: number) => Math.min(a * b, Number.MAX_SAFE_INTEGER);

interface NumberedPage extends PageRequest {
  pageNum: number;
  pageSize: number;
}

export function pageNumberPaging(options: { maxPageSize?: number } = {}): PagingAdapter<NumberedPage> {
  const max = options.maxPageSize ?? 0;
  return {
    querystring: {
      type: 'object',
      properties: {
        page_num: { description: 'page number, from 1 (0 or absent: the first page)' },
        page_size: { description: `objects per page (0 or absent: all${max ? `, at most ${max}` : ''})` },
      },
    },
    parse(params) {
      const pageNum = Math.max(1, wholeNumber(paramValue(params, 'page_num'), 'page_num') ?? 1);
      let pageSize = wholeNumber(paramValue(params, 'page_size'), 'page_size') ?? 0;
      if (max && (pageSize === 0 || pageSize > max)) pageSize = max;
      const q: ListQuery = pageSize === 0 ? {} : { offset: product(pageNum - 1, pageSize), limit: pageSize };
      return { query: q, pageNum, pageSize };
    },
    page(request, result) {
      const { pageNum, pageSize } = request;
      const more = pageSize > 0 && (result.total >= 0 ? product(pageNum, pageSize) < result.total : result.items.length === pageSize);
      return {
        total: result.total,
        next: more
          ? query([
              ['page_num', pageNum + 1],
              ['page_size', pageSize],
            ])
          : null,
      };
    },
  };
}

interface MarkerPage extends PageRequest {
  limit: number;
  sortKey?: string;
  sortDir?: string;
}

/**
 * `sortKeys` maps each sortable wire field to its domain field. Without a `sort_key` the
 * list is in id order (OpenStack's default key is `id`); `limit` above `maxLimit` (or
 * absent) is served as `maxLimit`, as OpenStack's max_limit.
 */
export function markerPaging(options: { sortKeys: Readonly<Record<string, string>>; maxLimit?: number }): PagingAdapter<MarkerPage> {
  const maxLimit = options.maxLimit ?? 1000;
  return {
    querystring: {
      type: 'object',
      properties: {
        limit: { description: `page size, 1 to ${maxLimit} (default ${maxLimit})` },
        marker: { description: 'uuid of the last object of the previous page' },
        sort_key: { description: `one of: ${Object.keys(options.sortKeys).join(', ') || 'id'}` },
        sort_dir: { description: 'asc (default) or desc' },
      },
    },
    parse(params) {
      const limit = Math.min(wholeNumber(paramValue(params, 'limit'), 'limit', 1) ?? maxLimit, maxLimit);
      const marker = text(paramValue(params, 'marker'), 'marker');
      if (marker !== undefined && !isUuid(marker)) throw new PagingError('marker must be a UUID.', 'marker');
      const sortKey = text(paramValue(params, 'sort_key'), 'sort_key');
      const sortDir = text(paramValue(params, 'sort_dir'), 'sort_dir');
      if (sortDir !== undefined && sortDir !== 'asc' && sortDir !== 'desc') {
        throw new PagingError(`Invalid sort direction: ${sortDir}. Acceptable values are 'asc' or 'desc'.`, 'sort_dir');
      }
      let field = 'id';
      if (sortKey !== undefined && sortKey !== 'id') {
        if (!Object.hasOwn(options.sortKeys, sortKey)) {
          throw new PagingError(`The sort_key value "${sortKey}" is an invalid field for sorting.`, 'sort_key');
        }
        field = options.sortKeys[sortKey]!;
      }
      const q: ListQuery = { limit };
      if (marker !== undefined) q.after = marker.toLowerCase();
      if (field !== 'id' || sortDir === 'desc') q.sort = [{ field, descending: sortDir === 'desc' } satisfies SortKey];
      return { query: q, limit, sortKey, sortDir };
    },
    page(request, result, lastCursor) {
      const full = result.items.length > 0 && result.items.length === request.limit && lastCursor !== undefined;
      const next = query([
        ['sort_key', request.sortKey],
        ['sort_dir', request.sortDir],
        ['limit', request.limit],
        ['marker', lastCursor],
      ]);
      return { total: result.total, next: full ? next : null };
    },
  };
}

interface RecordsPage extends PageRequest {
  maxRecords?: number;
}

/** `cursorParam` carries the last record's uuid in the next link (ONTAP's `start.` keys). */
export function maxRecordsPaging(options: { cursorParam?: string } = {}): PagingAdapter<RecordsPage> {
  const cursorParam = options.cursorParam ?? 'start.uuid';
  return {
    querystring: {
      type: 'object',
      properties: {
        max_records: { description: 'at most this many records (absent: all)' },
        [cursorParam]: { description: 'continue after the record with this uuid (from _links.next)' },
      },
    },
    parse(params) {
      const maxRecords = wholeNumber(paramValue(params, 'max_records'), 'max_records', 1);
      const start = text(paramValue(params, cursorParam), cursorParam);
      if (start !== undefined && !isUuid(start)) throw new PagingError(`${cursorParam} must be a UUID.`, cursorParam);
      const q: ListQuery = {};
      if (maxRecords !== undefined) q.limit = maxRecords;
      if (start !== undefined) q.after = start.toLowerCase();
      return { query: q, maxRecords };
    },
    page(request, result, lastCursor) {
      const { maxRecords } = request;
      const full = maxRecords !== undefined && result.items.length === maxRecords && lastCursor !== undefined;
      return {
        total: result.total,
        next: full
          ? query([
              ['max_records', maxRecords],
              [cursorParam, lastCursor],
            ])
          : null,
      };
    },
  };
}

function text(raw: unknown, param: string): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new PagingError(`${param} must be text.`, param);
  return raw;
}

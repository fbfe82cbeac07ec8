/**
 * List paging as Tastypie's Paginator does it, which is what a FreeNAS v1.0 client talks
 * to: `offset` (default 0) and `limit` (default 30) are parsed like Python's int() (so
 * "1.5", "1e20" and "" are not integers), a negative value is refused, and a limit of 0
 * or above `max_limit` (Tastypie's default, 1000) is served as `max_limit`. A refusal is
 * Tastypie's BadRequest: 400 with {"error": "<message>"} in Tastypie's own words.
 */
import type { FastifyReply } from 'fastify';
import { PagingError, type PageRequest, type PagingAdapter } from '../http/paging.js';

export const DEFAULT_LIMIT = 30;
/** Tastypie's `Meta.max_limit` default, which FreeNAS's resources keep. */
export const MAX_LIMIT = 1000;

export interface TastypiePage {
  offset: number;
  limit: number;
}

/** What Python's int() accepts from a query string: surrounding blanks, a sign, digits. */
const PY_INT = /^\s*([+-]?)(\d+(?:_\d+)*)\s*$/;

/** The whole integer, or null: BigInt so that 2^63-1 is read exactly, not rounded. */
function pythonInt(text: string): bigint | null {
  const m = PY_INT.exec(text);
  if (!m) return null;
  const value = BigInt(m[2]!.replace(/_/g, ''));
  return m[1] === '-' ? -value : value;
}

/** Django's QueryDict.get(): the last of repeated keys. */
function lastValue(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return lastValue(value[value.length - 1]);
  return String(value);
}

function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  const value = pythonInt(raw);
  if (value === null) throw new PagingError(`Invalid limit '${raw}' provided. Please provide a positive integer.`, 'limit');
  if (value < 0n) throw new PagingError(`Invalid limit '${raw}' provided. Please provide a positive integer >= 0.`, 'limit');
  // More than the maximum (or 0, "no limit") is served as the maximum, as Tastypie does:
  // a page never costs more than MAX_LIMIT rows, whatever the client asks.
  if (value === 0n || value > BigInt(MAX_LIMIT)) return MAX_LIMIT;
  return Number(value);
}

function parseOffset(raw: string | undefined): number {
  if (raw === undefined) return 0;
  const value = pythonInt(raw);
  if (value === null) throw new PagingError(`Invalid offset '${raw}' provided. Please provide an integer.`, 'offset');
  if (value < 0n) throw new PagingError(`Invalid offset '${raw}' provided. Please provide a positive integer >= 0.`, 'offset');
  // Any offset past the last row gives an empty page; beyond 2^53-1 it can only be past it,
  // so it is held there (an exact JavaScript number the store can put in SQL).
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

/** The page a list request asks for; throws PagingError when it is not a valid one. */
export function parsePage(query: unknown): TastypiePage {
  const q = (query && typeof query === 'object' ? query : {}) as Record<string, unknown>;
  return { offset: parseOffset(lastValue(q.offset)), limit: parseLimit(lastValue(q.limit)) };
}

// No types here: parsePage reads offset and limit as Tastypie does, with Tastypie's
// answers, which a schema's coercion and messages would not give.
const PAGE_QUERY = {
  type: 'object',
  properties: {
    offset: { description: 'offset number, a whole number >= 0, default 0' },
    limit: { description: `limit number, a whole number >= 0, default ${DEFAULT_LIMIT}; 0 or more than ${MAX_LIMIT} means ${MAX_LIMIT}` },
    format: { type: 'string', description: 'accepted for Tastypie clients (json only)' },
  },
};

/** Tastypie's paging as a PagingAdapter; a FreeNAS v1.0 list is a bare array, so the page says nothing more. */
export const tastypiePaging: PagingAdapter<PageRequest & { query: TastypiePage }> = {
  querystring: PAGE_QUERY,
  parse: (query) => ({ query: parsePage(query) }),
  page: (request, result) => {
    const { offset, limit } = request.query;
    const more = result.total >= 0 ? offset + result.items.length < result.total : result.items.length === limit;
    return { total: result.total, next: more ? `offset=${offset + limit}&limit=${limit}` : null };
  },
};

/** Tastypie's answer to a BadRequest. */
export function sendPagingError(reply: FastifyReply, error: PagingError): FastifyReply {
  return reply.code(400).send({ error: error.message });
}

/**
 * List paging as Tastypie's Paginator does it, which is what a FreeNAS v1.0 client talks
 * to: `offset` (default 0) and `limit` (default 30) are parsed like Python's int() (so
 * "1.5", "1e20" and "" are not integers), a negative value is refused, and a limit of 0
 * or above `max_limit` (Tastypie's default, 1000) is served as `max_limit`. A refusal is
 * Tastypie's BadRequest: 400 with {"error": "<message>"} in Tastypie's own words.
 */
import type { FastifyReply } from 'fastify';

export const DEFAULT_LIMIT = 30;
/** Tastypie's `Meta.max_limit` default, which FreeNAS's resources keep. */
export const MAX_LIMIT = 1000;

export interface PageRequest {
  offset: number;
  limit: number;
}

export class PagingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PagingError';
  }
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
  if (value === null) throw new PagingError(`Invalid limit '${raw}' provided. Please provide a positive integer.`);
  if (value < 0n) throw new PagingError(`Invalid limit '${raw}' provided. Please provide a positive integer >= 0.`);
  // More than the maximum (or 0, "no limit") is served as the maximum, as Tastypie does:
  // a page never costs more than MAX_LIMIT rows, whatever the client asks.
  if (value === 0n || value > BigInt(MAX_LIMIT)) return MAX_LIMIT;
  return Number(value);
}

function parseOffset(raw: string | undefined): number {
  if (raw === undefined) return 0;
  const value = pythonInt(raw);
  if (value === null) throw new PagingError(`Invalid offset '${raw}' provided. Please provide an integer.`);
  if (value < 0n) throw new PagingError(`Invalid offset '${raw}' provided. Please provide a positive integer >= 0.`);
  // Any offset past the last row gives an empty page; beyond 2^53-1 it can only be past it,
  // so it is held there (an exact JavaScript number the store can put in SQL).
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

/** The page a list request asks for; throws PagingError when it is not a valid one. */
export function parsePage(query: unknown): PageRequest {
  const q = (query && typeof query === 'object' ? query : {}) as Record<string, unknown>;
  return { offset: parseOffset(lastValue(q.offset)), limit: parseLimit(lastValue(q.limit)) };
}

/** Tastypie's answer to a BadRequest. */
export function sendPagingError(reply: FastifyReply, error: PagingError): FastifyReply {
  return reply.code(400).send({ error: error.message });
}

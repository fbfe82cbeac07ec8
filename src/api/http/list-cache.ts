/**
 * A list route's last answer, serialized, kept while the stored configuration stands
 * still. A list of 500 FreeNAS targets cost ~1 ms of toWire + schema serialization +
 * Content-Length over a 189 KB rope string per request (profile: Buffer.byteLength 27%
 * of the route); a client that polls gets the bytes it got before.
 */
import type { ListQuery } from '../../domain/repository.js';

export class ListCache {
  private kept: { version: number; key: string; body: Buffer } | null = null;

  /**
   * `version` changes whenever a list may answer differently; -1 means unknown (inside a
   * transaction), when nothing may be kept.
   */
  constructor(private readonly version: () => number) {}

  /** The answer for `key`: the kept one, or `produce()`'s (kept when the version is known). */
  answer(key: string, produce: () => string): Buffer {
    // Read before producing: a change made meanwhile must not be hidden behind the old version.
    const current = this.version();
    const k = this.kept;
    if (current >= 0 && k && k.version === current && k.key === key) return k.body;
    const body = Buffer.from(produce());
    if (current >= 0) this.kept = { version: current, key, body };
    return body;
  }
}

/** The same text for the same query, whatever order its fields were set in. */
export function queryKey(q: ListQuery): string {
  const filters = q.filters
    ? Object.keys(q.filters)
        .sort()
        .map((k) => [k, q.filters![k]])
    : [];
  const sort = (q.sort ?? []).map((s) => [s.field, s.descending === true]);
  return JSON.stringify([q.tenantId ?? null, filters, sort, q.offset ?? 0, q.limit ?? 0, q.after ?? null]);
}

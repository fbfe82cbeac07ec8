/**
 * How extents are carved out of a pool that is one block device (an iscsi pool's remote
 * LUN): each extent is the byte range [offset, offset + size), offsets aligned to 1 MiB
 * (every block size up to 64 KiB divides it, and arrays stripe on such boundaries), ranges
 * never overlapping and all inside the device. A new range goes into the first gap it
 * fits (first fit); an extent grows only into the free space right after it, since its
 * bytes cannot move. Pure: the pool service feeds it the ranges the store holds.
 */

export const RANGE_ALIGN = 1024 * 1024;

export interface TakenRange {
  offset: number;
  sizeBytes: number;
}

/**
 * A pool with no directory: its extents are carved out of its one device. An rbd pool
 * has no directory either, but each of its extents is an image of its own.
 */
export function isCarved(pool: { path: string; type?: string }): boolean {
  return pool.path === '' && pool.type !== 'rbd';
}

const alignUp = (n: number) => Math.ceil(n / RANGE_ALIGN) * RANGE_ALIGN;

function byOffset(taken: readonly TakenRange[]): TakenRange[] {
  return [...taken].sort((a, b) => a.offset - b.offset);
}

/** The free gaps between the ranges, each starting on an aligned offset. */
function gaps(taken: readonly TakenRange[], capacity: number): TakenRange[] {
  const out: TakenRange[] = [];
  let at = 0;
  for (const r of byOffset(taken)) {
    if (r.offset > at) out.push({ offset: at, sizeBytes: r.offset - at });
    at = Math.max(at, alignUp(r.offset + r.sizeBytes));
  }
  if (capacity > at) out.push({ offset: at, sizeBytes: capacity - at });
  return out;
}

/** Where a range of `size` bytes goes: the lowest gap it fits, or null (with the largest gap). */
export function firstFit(taken: readonly TakenRange[], size: number, capacity: number): { offset: number | null; largest: number } {
  const free = gaps(taken, capacity);
  const fit = free.find((g) => g.sizeBytes >= size);
  return { offset: fit ? fit.offset : null, largest: Math.max(0, ...free.map((g) => g.sizeBytes)) };
}

/** Whether [offset, offset + size) is inside the device and touches none of `taken`. */
export function isFree(taken: readonly TakenRange[], offset: number, size: number, capacity: number): boolean {
  if (offset % RANGE_ALIGN !== 0 || offset < 0 || offset + size > capacity) return false;
  return taken.every((r) => offset + size <= r.offset || alignUp(r.offset + r.sizeBytes) <= offset);
}

/** The most bytes the range at `offset` may hold: up to the next range, or the device's end. */
export function roomAt(taken: readonly TakenRange[], offset: number, capacity: number): number {
  const next = byOffset(taken).find((r) => r.offset > offset);
  return (next ? next.offset : capacity) - offset;
}

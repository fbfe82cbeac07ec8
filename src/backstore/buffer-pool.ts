/**
 * Free lists of I/O buffers by power-of-two size class (4 KiB .. 1 MiB) for READ Data-In
 * and WRITE Data-Out. Every `Buffer.allocUnsafe` of 4 KiB or more is its own ArrayBuffer,
 * counted by V8 as external memory: at 128 KiB x 6,000/s that pressure alone ran a
 * mark-compact every ~40 ms (31% of the target's CPU in GC, `--trace-gc`, 128K QD8 reads).
 *
 * Ownership is explicit: `acquire()` hands a buffer to exactly one owner, and only that
 * owner calls `release()`, once, when nothing references the bytes any more (the socket
 * write that carried them completed, the backstore write that read them finished). A
 * buffer never released is simply garbage-collected; a release is refused for buffers the
 * pool did not make and for buffers already free, so a bug costs a miss, not corruption
 * of another I/O (`stats().refused` counts them; tests assert it stays 0).
 *
 * Memory bound: each class keeps at most max(4, 2 MiB / size) free buffers, so the pool
 * holds at most ~20 MiB, and only of classes the workload used concurrently.
 */

const MIN_SHIFT = 12; // 4 KiB
const MAX_SHIFT = 20; // 1 MiB
const CLASS_BYTES = 2 * 1024 * 1024;

export interface BufferPoolStats {
  /** Buffers handed out from a free list. */
  hits: number;
  /** Buffers made because the free list was empty (or the size is outside the classes). */
  misses: number;
  /** Buffers taken back onto a free list. */
  released: number;
  /** Releases dropped because the free list was full. */
  dropped: number;
  /** Releases refused: not made by this pool, or already free. */
  refused: number;
  /** Bytes on the free lists now. */
  freeBytes: number;
}

export class BufferPool {
  readonly #free: ArrayBuffer[][] = [];
  readonly #cap: number[] = [];
  /** Every ArrayBuffer this pool made (weak: a buffer never released just goes away). */
  readonly #owned = new WeakSet<ArrayBuffer>();
  /** The ones on a free list now (double-release check). */
  readonly #isFree = new WeakSet<ArrayBuffer>();
  readonly #stats: BufferPoolStats = { hits: 0, misses: 0, released: 0, dropped: 0, refused: 0, freeBytes: 0 };

  constructor(classBytes = CLASS_BYTES) {
    for (let s = MIN_SHIFT; s <= MAX_SHIFT; s++) {
      this.#free.push([]);
      this.#cap.push(Math.max(4, Math.floor(classBytes / (1 << s))));
    }
  }

  /** A buffer of exactly `size` bytes, contents undefined (not zeroed). */
  acquire(size: number): Buffer {
    if (size <= 0) return Buffer.alloc(0);
    const shift = size <= 1 << MIN_SHIFT ? MIN_SHIFT : 32 - Math.clz32(size - 1);
    if (shift > MAX_SHIFT) {
      this.#stats.misses++;
      return Buffer.allocUnsafe(size);
    }
    const list = this.#free[shift - MIN_SHIFT]!;
    let ab = list.pop();
    if (ab) {
      this.#isFree.delete(ab);
      this.#stats.hits++;
      this.#stats.freeBytes -= ab.byteLength;
    } else {
      ab = Buffer.allocUnsafeSlow(1 << shift).buffer as ArrayBuffer;
      this.#owned.add(ab);
      this.#stats.misses++;
    }
    return Buffer.from(ab, 0, size);
  }

  /**
   * Give a buffer (or any view into it) back. Only its owner may, and only when no I/O
   * still references it. Returns whether it went onto a free list.
   */
  release(buf: Buffer): boolean {
    const ab = buf.buffer as ArrayBuffer;
    if (!this.#owned.has(ab) || this.#isFree.has(ab)) {
      this.#stats.refused++;
      return false;
    }
    const shift = 31 - Math.clz32(ab.byteLength);
    const i = shift - MIN_SHIFT;
    const list = this.#free[i]!;
    if (list.length >= this.#cap[i]!) {
      this.#stats.dropped++;
      return false;
    }
    list.push(ab);
    this.#isFree.add(ab);
    this.#stats.released++;
    this.#stats.freeBytes += ab.byteLength;
    return true;
  }

  /** Whether `buf` is a view of a buffer this pool made that is on a free list now. */
  isFree(buf: Buffer): boolean {
    return this.#isFree.has(buf.buffer as ArrayBuffer);
  }

  stats(): BufferPoolStats {
    return { ...this.#stats };
  }

  /** Drop every free buffer (tests; memory pressure). */
  clear(): void {
    for (const list of this.#free) {
      for (const ab of list) this.#isFree.delete(ab);
      list.length = 0;
    }
    this.#stats.freeBytes = 0;
  }
}

/** The process's pool for Data-In / Data-Out of block I/O. */
export const ioBuffers = new BufferPool();

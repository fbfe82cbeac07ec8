/**
 * Memory backstore (RAM disk) and null backstore (reads zeros, discards writes; for
 * benchmarks). Memory keeps 1 MiB chunks allocated on first write, so a large LU costs
 * only what is written, discard frees whole chunks and GET LBA STATUS tells the truth.
 */
import type { Backstore, BackstoreKind } from './backstore.js';

const CHUNK_SHIFT = 20;
const CHUNK = 1 << CHUNK_SHIFT;

function ebadf(): Error {
  return Object.assign(new Error('backstore is closed'), { code: 'EBADF' });
}

export class MemoryBackstore implements Backstore {
  readonly kind: BackstoreKind = 'memory';
  #chunks = new Map<number, Buffer>();
  #closed = false;

  constructor(private size: number) {}

  get sizeBytes(): number {
    return this.size;
  }

  /** Grow (or shrink) the RAM disk; chunks past a shrunken end are dropped. */
  async resize(bytes: number): Promise<number> {
    if (bytes < this.size) {
      for (const idx of [...this.#chunks.keys()]) if (idx * CHUNK >= bytes) this.#chunks.delete(idx);
    }
    this.size = bytes;
    return this.size;
  }

  async read(buf: Buffer, offset: number): Promise<void> {
    if (this.#closed) throw ebadf();
    let done = 0;
    while (done < buf.length) {
      const pos = offset + done;
      const idx = Math.floor(pos / CHUNK);
      const inChunk = pos - idx * CHUNK;
      const n = Math.min(CHUNK - inChunk, buf.length - done);
      const chunk = this.#chunks.get(idx);
      if (chunk) chunk.copy(buf, done, inChunk, inChunk + n);
      else buf.fill(0, done, done + n);
      done += n;
    }
  }

  async write(buf: Buffer, offset: number, _fua: boolean): Promise<void> {
    if (this.#closed) throw ebadf();
    let done = 0;
    while (done < buf.length) {
      const pos = offset + done;
      const idx = Math.floor(pos / CHUNK);
      const inChunk = pos - idx * CHUNK;
      const n = Math.min(CHUNK - inChunk, buf.length - done);
      let chunk = this.#chunks.get(idx);
      if (!chunk) {
        chunk = Buffer.alloc(CHUNK);
        this.#chunks.set(idx, chunk);
      }
      buf.copy(chunk, inChunk, done, done + n);
      done += n;
    }
  }

  async flush(): Promise<void> {
    if (this.#closed) throw ebadf();
  }

  async discard(offset: number, length: number): Promise<void> {
    if (this.#closed) throw ebadf();
    let done = 0;
    while (done < length) {
      const pos = offset + done;
      const idx = Math.floor(pos / CHUNK);
      const inChunk = pos - idx * CHUNK;
      const n = Math.min(CHUNK - inChunk, length - done);
      const chunk = this.#chunks.get(idx);
      if (chunk) {
        if (n === CHUNK) this.#chunks.delete(idx);
        else {
          chunk.fill(0, inChunk, inChunk + n);
          if (isZero(chunk)) this.#chunks.delete(idx);
        }
      }
      done += n;
    }
  }

  async mapped(offset: number, length: number): Promise<Array<{ offset: number; length: number; mapped: boolean }>> {
    if (this.#closed) throw ebadf();
    const out: Array<{ offset: number; length: number; mapped: boolean }> = [];
    const end = offset + length;
    let at = offset;
    while (at < end) {
      const idx = Math.floor(at / CHUNK);
      const n = Math.min((idx + 1) * CHUNK, end) - at;
      const mapped = this.#chunks.has(idx);
      const last = out[out.length - 1];
      if (last && last.mapped === mapped) last.length += n;
      else out.push({ offset: at, length: n, mapped });
      at += n;
    }
    return out;
  }

  async refreshSize(): Promise<number> {
    return this.size;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#chunks.clear();
  }
}

function isZero(b: Buffer): boolean {
  for (let i = 0; i < b.length; i += 8) {
    if (b.readBigUInt64LE(i) !== 0n) return false;
  }
  return true;
}

export class NullBackstore implements Backstore {
  readonly kind: BackstoreKind = 'null';
  #closed = false;

  constructor(private size: number) {}

  get sizeBytes(): number {
    return this.size;
  }

  async resize(bytes: number): Promise<number> {
    this.size = bytes;
    return this.size;
  }

  async read(buf: Buffer, _offset: number): Promise<void> {
    if (this.#closed) throw ebadf();
    buf.fill(0);
  }

  async write(_buf: Buffer, _offset: number, _fua: boolean): Promise<void> {
    if (this.#closed) throw ebadf();
  }

  async flush(): Promise<void> {
    if (this.#closed) throw ebadf();
  }

  async discard(_offset: number, _length: number): Promise<void> {
    if (this.#closed) throw ebadf();
  }

  async mapped(offset: number, length: number): Promise<Array<{ offset: number; length: number; mapped: boolean }>> {
    return [{ offset, length, mapped: false }];
  }

  async refreshSize(): Promise<number> {
    return this.size;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

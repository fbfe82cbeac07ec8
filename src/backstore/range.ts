/**
 * A backstore that is a byte range of a block transport (one extent carved out of a
 * remote LUN). Offsets are translated and bounds-checked here, so an extent can never
 * touch a neighbour's bytes whatever the layers above ask. The transport belongs to its
 * pool and outlives the range: close() ends this view only. The range grows when its
 * extent does (resize), into bytes its pool has made sure are free.
 */
import type { Backstore, BackstoreKind } from './backstore.js';
import type { BlockTransport, TransportHealth } from './transport.js';

/** I/O outside the range, or not aligned to the medium's blocks: a bug above, refused. */
export class RangeBoundsError extends Error {
  readonly code = 'ERANGE';
  constructor(message: string) {
    super(message);
    this.name = 'RangeBoundsError';
  }
}

const ZERO_CHUNK = 1024 * 1024;
let zeros: Buffer | null = null;

function ebadf(): Error {
  return Object.assign(new Error('backstore is closed'), { code: 'EBADF' });
}

/** The length of a valid range at `start`: positive, on the medium's blocks, inside it. */
function checkedRange(transport: BlockTransport, start: number, length: number): number {
  const bs = transport.blockSize;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(length) || start < 0 || length <= 0) {
    throw new RangeBoundsError(`range ${start}+${length} is not a positive byte range`);
  }
  if (start % bs !== 0 || length % bs !== 0) throw new RangeBoundsError(`range ${start}+${length} is not aligned to ${bs}-byte blocks`);
  if (start + length > transport.sizeBytes) {
    throw new RangeBoundsError(`range ${start}+${length} ends past the medium's ${transport.sizeBytes} bytes`);
  }
  return length;
}

export class RangeBackstore implements Backstore {
  readonly kind: BackstoreKind = 'range';
  #closed = false;
  #length: number;

  constructor(
    private readonly transport: BlockTransport,
    /** Where the range starts on the medium, in bytes. */
    readonly start: number,
    length: number,
  ) {
    this.#length = checkedRange(transport, start, length);
  }

  get length(): number {
    return this.#length;
  }

  get sizeBytes(): number {
    return this.#length;
  }

  /** The extent grew: the range takes `sizeBytes` in whole blocks of the medium. Returns the new size. */
  async resize(sizeBytes: number): Promise<number> {
    if (this.#closed) throw ebadf();
    this.#length = checkedRange(this.transport, this.start, sizeBytes - (sizeBytes % this.transport.blockSize));
    return this.#length;
  }

  /** false while the medium is unreachable: the LU answers NOT READY rather than fail every command. */
  stillAtPath(): boolean {
    return this.transport.health().state !== 'unreachable';
  }

  /** The medium's connection, for status. */
  health(): TransportHealth {
    return this.transport.health();
  }

  read(buf: Buffer, offset: number): Promise<void> {
    const refused = this.#check(offset, buf.length);
    return refused ? Promise.reject(refused) : this.transport.read(buf, this.start + offset);
  }

  write(buf: Buffer, offset: number, fua: boolean): Promise<void> {
    const refused = this.#check(offset, buf.length);
    return refused ? Promise.reject(refused) : this.transport.write(buf, this.start + offset, fua);
  }

  flush(): Promise<void> {
    return this.#closed ? Promise.reject(ebadf()) : this.transport.flush();
  }

  async discard(offset: number, length: number): Promise<void> {
    const refused = this.#check(offset, length);
    if (refused) throw refused;
    if (length === 0) return;
    if (this.transport.discard && (await this.transport.discard(this.start + offset, length))) return;
    // The medium cannot promise zeros after a deallocation: write them. Unlike a sparse
    // file there is no cheap way to see which blocks hold data, so every block is written.
    zeros ??= Buffer.alloc(ZERO_CHUNK);
    for (let at = 0; at < length; at += ZERO_CHUNK) {
      const n = Math.min(ZERO_CHUNK, length - at);
      await this.transport.write(n === ZERO_CHUNK ? zeros : zeros.subarray(0, n), this.start + offset + at, false);
    }
  }

  /** Whether a remote block is allocated is the array's business: all of it is mapped. */
  async mapped(offset: number, length: number): Promise<Array<{ offset: number; length: number; mapped: boolean }>> {
    const refused = this.#check(offset, length);
    if (refused) throw refused;
    return [{ offset, length, mapped: true }];
  }

  /** The range is fixed by its pool; the medium growing does not grow it. */
  async refreshSize(): Promise<number> {
    if (this.#closed) throw ebadf();
    return this.#length;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #check(offset: number, length: number): Error | null {
    if (this.#closed) return ebadf();
    if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset + length > this.#length) {
      return new RangeBoundsError(`I/O at ${offset}+${length} is outside the range's ${this.#length} bytes`);
    }
    const bs = this.transport.blockSize;
    if (offset % bs !== 0 || length % bs !== 0) return new RangeBoundsError(`I/O at ${offset}+${length} is not aligned to ${bs}-byte blocks`);
    return null;
  }
}

/**
 * Makes [offset, offset + length) of a transport read as zeros, widened to its blocks:
 * deallocated where the medium promises zeros, written otherwise (RangeBackstore.discard),
 * then flushed.
 */
export async function zeroRange(t: BlockTransport, offset: number, length: number): Promise<void> {
  const bs = t.blockSize;
  const start = Math.floor(offset / bs) * bs;
  const end = Math.ceil((offset + length) / bs) * bs;
  const range = new RangeBackstore(t, start, end - start);
  try {
    await range.discard(0, end - start);
    await t.flush();
  } finally {
    await range.close();
  }
}

/**
 * The bytes behind a logical unit. The SCSI layer speaks only to this interface; file,
 * block device, memory, null and range (remote LUN) backstores implement it.
 *
 * Offsets and lengths are in bytes and always multiples of the LU's block size; the SCSI
 * layer has already checked them against `sizeBytes`. A failed I/O rejects with an Error
 * whose `code` is the errno name (EIO, ENOSPC, ...) so the SCSI layer can map it to sense.
 */
import type { BlockTransport } from './transport.js';

export interface Backstore {
  readonly kind: BackstoreKind;
  /** Current size in bytes; `refreshSize()` re-reads it after the extent grows. */
  readonly sizeBytes: number;
  /** Fill all of `buf` from `offset`. Holes read as zeros. */
  read(buf: Buffer, offset: number): Promise<void>;
  /** Write all of `buf` at `offset`; with `fua` the bytes are on stable storage on return. */
  write(buf: Buffer, offset: number, fua: boolean): Promise<void>;
  /** Make every completed write durable (SYNCHRONIZE CACHE). */
  flush(): Promise<void>;
  /**
   * Deallocate a range so it reads back as zeros and, where the medium can, returns the
   * space (thin provisioning). Backstores that cannot deallocate write zeros instead.
   */
  discard(offset: number, length: number): Promise<void>;
  /** Which parts of [offset, offset+length) hold data, for GET LBA STATUS. */
  mapped(offset: number, length: number): Promise<Array<{ offset: number; length: number; mapped: boolean }>>;
  /** Re-read the size from the medium (after an extent was grown); returns the new size. */
  refreshSize(): Promise<number>;
  /**
   * Media without a size of their own (memory, null) take a new size here; returns it.
   * Absent on file and block backstores, whose size is the medium's.
   */
  resize?(sizeBytes: number): Promise<number>;
  /**
   * File and block backstores: false once the path no longer names the open medium
   * (deleted, replaced, its pool unmounted); a range: while its remote medium is
   * unreachable. Absent: the medium cannot go away.
   */
  stillAtPath?(): boolean;
  /**
   * The medium's own atomic COMPARE AND WRITE (rbd: the OSD compares and writes in one
   * operation, so it is atomic against every client of the cluster, not only this
   * process). Resolves -1 when `cmp` matched the medium at `offset` and `buf` (as long) was
   * written, else the offset in `cmp` of the first byte that differs, nothing written.
   * Returns null, doing nothing, when the medium cannot take this offset and length: the
   * SCSI layer reads, compares and writes itself then. Absent: never.
   */
  compareAndWrite?(cmp: Buffer, buf: Buffer, offset: number): Promise<number> | null;
  /**
   * Zeros over [offset, offset+length) without a buffer of them crossing to the medium
   * (WRITE SAME of zeros without UNMAP); the range stays allocated. Absent: the SCSI layer
   * writes zeros itself.
   */
  writeZeroes?(offset: number, length: number): Promise<void>;
  /** True when opened read-only (its file system or device refuses writes): writes are refused before reaching it. */
  readonly readOnly?: boolean;
  close(): Promise<void>;
}

/**
 * A read reached the end of the file before the end of the buffer. The SCSI layer never
 * reads past `sizeBytes`, so the image was truncated under the LU: the bytes are gone,
 * and must not be served as zeros with GOOD status. Noticed from the short pread itself,
 * so the hot path needs no fstat. `endOffset` is where the file ends now.
 */
export class MediumEndError extends Error {
  readonly code = 'EIO';
  constructor(
    readonly path: string,
    readonly endOffset: number,
  ) {
    super(`${path} ends at byte ${endOffset}: truncated under the logical unit`);
    this.name = 'MediumEndError';
  }
}

/**
 * range: a byte range of a block transport (an extent on a remote iSCSI LUN, range.ts);
 * rbd: an image of a Ceph cluster (rbd.ts).
 */
export type BackstoreKind = 'file' | 'block' | 'memory' | 'null' | 'range' | 'rbd';

/** What the data plane knows when it opens a backstore for an extent. */
export type BackstoreSpec = MediumSpec | RangeSpec | RbdSpec;

interface MediumSpec {
  kind: Exclude<BackstoreKind, 'range' | 'rbd'>;
  /** file: image path; block: device path; memory/null: unused. */
  path?: string;
  /** memory/null: size in bytes. file/block: informative, the medium's size wins (it is never created here). */
  sizeBytes: number;
  /** Open read-only (the LU is write-protected). */
  readOnly?: boolean;
}

/** An extent carved out of a pool's transport (its remote LUN): [offset, offset + sizeBytes). */
export interface RangeSpec {
  kind: 'range';
  /** The pool whose transport the range is on, as the transport lookup knows it. */
  pool: string;
  offset: number;
  /** The extent's size; the range holds the whole blocks of the medium in it. */
  sizeBytes: number;
  /** The logical unit's block size: the medium's must divide it. */
  blockSize: number;
  /** The extent's path, which names it only (for status). */
  path?: string;
  readOnly?: boolean;
}

/** An image in an rbd pool, opened through the pool's cluster connection. */
export interface RbdSpec {
  kind: 'rbd';
  /** The pool (its uuid) whose cluster connection opens the image. */
  pool: string;
  image: string;
  /** The extent's size; the image's own size wins. */
  sizeBytes: number;
  /** The extent's path, which names it only (for status). */
  path?: string;
  readOnly?: boolean;
}

/** The open cluster connection of an rbd pool, or an Error (code ENOTCONN) saying why there is none. */
export type RbdLookup = (pool: string) => RbdImages;

/** What an rbd pool's connection does for the data plane: open its images. */
export interface RbdImages {
  openImage(name: string, readOnly: boolean): Promise<Backstore>;
}

/** The open transport of a pool, or an Error (code ENOTCONN) saying why there is none. */
export type TransportLookup = (pool: string) => BlockTransport;

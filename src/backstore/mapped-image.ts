/**
 * An image file mapped MAP_SHARED (native/mapped_io.c), for the file backstore's write
 * path: a write whose pages are all in the page cache becomes one memcpy on the event loop
 * instead of a system call. On ext4 a 4 KiB buffered pwrite at a random offset cost 19-26
 * us of kernel time on the bench machine; a copy through the mapping 1-3 us with small
 * folios, 9-10 us with the large folios a sequential fill leaves (the write fault and the
 * later zap each walk the folio's buffer heads). README, Performance, has the profiles.
 *
 * Anything the mapping cannot do says so (false) and the caller takes its usual path,
 * which also reports the real errno: pages not in the page cache (a copy would fault them
 * in from disk on the event loop), ranges past the mapped size or the file's current end,
 * and copies cut short by SIGBUS (the file system refuses the write fault: ENOSPC/EDQUOT in
 * a hole, a file system shut down after a disk failure).
 *
 * A write to a page already dirty in the mapping does not fault, so a file system that
 * failed since is not asked: the write is cached like any non-FUA write, and the failure
 * reaches the initiator at SYNCHRONIZE CACHE (fdatasync), or as soon as a write faults or
 * goes through pwrite (FUA, uncached pages), as a write-back cache would report it.
 */
import type { MappingHandle, NativeFs } from './native.js';

/**
 * Bytes copied through one mapping before its page table entries are dropped: resident
 * mapped pages count in RSS though they are page cache either way, so without this a 1 GiB
 * LUN written all over would show as 1 GiB of sanbox. The drop runs on the libuv pool.
 */
const RESIDENT_BUDGET = 32 * 1024 * 1024;

type MappingCalls = Required<Pick<NativeFs, 'mapOpen' | 'mapCopyIn' | 'mapZapAsync' | 'mapResize' | 'mapClose'>>;

export class MappedImage {
  /** The drop of resident pages in flight, if any; resize and close wait for it. */
  #zapping: Promise<void> | null = null;

  private constructor(
    private readonly calls: MappingCalls,
    private readonly handle: MappingHandle,
  ) {}

  /** Maps `fd` (read-write, `size` bytes), or null where the addon predates mapped I/O or mmap fails. */
  static open(native: NativeFs | null, fd: number, size: number): MappedImage | null {
    if (!native?.mapOpen || !native.mapCopyIn || !native.mapZapAsync || !native.mapResize || !native.mapClose) return null;
    const calls: MappingCalls = {
      mapOpen: native.mapOpen.bind(native),
      mapCopyIn: native.mapCopyIn.bind(native),
      mapZapAsync: native.mapZapAsync.bind(native),
      mapResize: native.mapResize.bind(native),
      mapClose: native.mapClose.bind(native),
    };
    try {
      return new MappedImage(calls, calls.mapOpen(fd, size, RESIDENT_BUDGET));
    } catch {
      return null; // e.g. a file system without mmap: the descriptor path serves it all
    }
  }

  /** Copies `buf` into the image at `offset`; false: nothing to rely on, write it the usual way. */
  write(buf: Uint8Array, offset: number): boolean {
    const r = this.calls.mapCopyIn(this.handle, buf, offset);
    if (r === 1 && !this.#zapping) this.#zapping = this.calls.mapZapAsync(this.handle).finally(() => (this.#zapping = null));
    return r >= 0;
  }

  /** Follows the image's new size; on failure the old mapping keeps serving what it covers. */
  async resize(fd: number, size: number): Promise<void> {
    await this.#zapping;
    try {
      this.calls.mapResize(this.handle, fd, size);
    } catch {
      // ranges past the old size keep going through the descriptor
    }
  }

  async close(): Promise<void> {
    await this.#zapping;
    this.calls.mapClose(this.handle);
  }
}

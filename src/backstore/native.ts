/**
 * Loader for the sanbox_native addon (native/sanbox_native.c, built by node-gyp from the
 * repo's binding.gyp at `npm install`). Node has no fallocate(PUNCH_HOLE), SEEK_DATA or
 * SEEK_HOLE, and thin provisioning needs all three: UNMAP must give space back to the file
 * system and GET LBA STATUS must read the image's real allocation map.
 *
 * Missing addon is not fatal: backstores fall back to writing zeros on discard and
 * reporting everything mapped, and `nativeLoadError()` says why.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeFs {
  punchHole(fd: number, offset: number, length: number): number;
  /** punchHole on the libuv thread pool; rejects with an errno-coded Error. */
  punchHoleAsync(fd: number, offset: number, length: number): Promise<void>;
  /** Offset of the next data at or after `offset`, or -1 when only a hole follows. */
  seekData(fd: number, offset: number): number;
  seekHole(fd: number, offset: number): number;
  seekEnd(fd: number): number;
  /** glibc mallopt(M_ARENA_MAX / M_MMAP_THRESHOLD / M_TRIM_THRESHOLD); 0 leaves one as is. Absent in older builds. */
  tuneMalloc?(arenaMax: number, mmapThreshold: number, trimThreshold: number): boolean;
  /** malloc_trim(0). Absent in older builds. */
  trimMalloc?(): boolean;
  /**
   * preadv2(RWF_NOWAIT) into all of `buf`: bytes read (short: partial hit or end of file),
   * -1 not in the page cache, -2 unsupported. Never blocks. Absent in older builds.
   */
  preadNowait?(fd: number, buf: Uint8Array, offset: number): number;
}

let loaded: NativeFs | null | undefined;
let loadError: string | null = null;

/** Path of the built addon (SANBOX_NATIVE overrides), or null. Also loaded by iscsi/crc32c.ts for its digests. */
export function findAddon(): string | null {
  const env = process.env['SANBOX_NATIVE'];
  if (env !== undefined) return env;
  // Walk up from this module (src/backstore or dist/src/backstore) to the repo root.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    for (const sub of ['build/Release/sanbox_native.node', 'build/Debug/sanbox_native.node']) {
      const p = join(dir, sub);
      if (existsSync(p)) return p;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/** The addon, or null when it is not built (see nativeLoadError()). */
export function nativeFs(): NativeFs | null {
  if (loaded !== undefined) return loaded;
  const path = findAddon();
  if (!path) {
    loadError =
      'sanbox_native addon not found (build/Release/sanbox_native.node): run `npm install` or ' +
      '`npx node-gyp rebuild` in the repo root; UNMAP falls back to writing zeros and GET LBA STATUS reports everything mapped';
    loaded = null;
    return null;
  }
  try {
    loaded = createRequire(import.meta.url)(path) as NativeFs;
  } catch (err) {
    loadError = `sanbox_native addon at ${path} failed to load: ${(err as Error).message}`;
    loaded = null;
  }
  return loaded;
}

export function nativeLoadError(): string | null {
  nativeFs();
  return loadError;
}

/**
 * Make glibc give back what bursts of large I/O leave behind: socket chunks and buffers
 * are malloc'd ArrayBuffers, and with the defaults one 1 GiB pass of 128 KiB writes left
 * idle RSS 40 MiB higher (a 16 MiB per-thread arena and an untrimmed heap, /proc smaps).
 * Two arenas, allocations of 128 KiB and up mmapped (fixed, so glibc stops raising the
 * threshold), heap trimmed above 1 MiB free: 144 -> 109 MiB after the same pass.
 * Call once, early. No-op without the addon or on a build that predates it.
 */
export function tuneMallocForIo(trimEveryMs = 10_000): boolean {
  const n = nativeFs();
  if (!n?.tuneMalloc) return false;
  const ok = n.tuneMalloc(2, 128 * 1024, 1024 * 1024);
  // Free chunks in the middle of the heap are never trimmed by free(): malloc_trim(0)
  // returns their pages (MADV_DONTNEED) too. A few ms every 10 s, off the I/O path.
  const trim = n.trimMalloc;
  if (trim && trimEveryMs > 0) setInterval(() => trim(), trimEveryMs).unref();
  return ok;
}

/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78) for iSCSI header and data digests;
 * the digest goes on the wire least significant byte first (RFC 7143 11.1 / RFC 3720 B.4).
 *
 * With the native addon built and a CPU that has the instruction (SSE 4.2 on x86-64,
 * the CRC extension on ARMv8; native/sanbox_native.c checks at load) `crc32c` is the
 * CPU's: ~1 µs per 8 KiB against ~7.5 µs for the JavaScript slicing-by-8 below, and
 * faster even for a 48-byte header (the N-API call costs less than the table lookups).
 * Otherwise, or with SANBOX_CRC32C=js, the JavaScript one serves; both give the same
 * values (test/iscsi/crc32c.test.ts).
 */
import { createRequire } from 'node:module';
import { findAddon } from '../backstore/native.js';

type Crc32cFn = (buf: Uint8Array, crc: number, start: number, end: number) => number;

/** The CPU's CRC32C from the addon, and the name of the instruction, or why not. */
function loadNative(): { fn: Crc32cFn; name: string } | { why: string } {
  if (process.env['SANBOX_CRC32C'] === 'js') return { why: 'SANBOX_CRC32C=js' };
  const path = findAddon();
  if (!path) return { why: 'sanbox_native addon not built' };
  try {
    const addon = createRequire(import.meta.url)(path) as { crc32c?: Crc32cFn; crc32cHw?: string };
    if (typeof addon.crc32c !== 'function') return { why: 'no CRC32C instruction on this CPU (or an addon built before it)' };
    return { fn: addon.crc32c, name: addon.crc32cHw ?? 'native' };
  } catch (err) {
    return { why: `sanbox_native addon at ${path} failed to load: ${(err as Error).message}` };
  }
}

const native = loadNative();
const hw: Crc32cFn | null = 'fn' in native ? native.fn : null;

/** Which CRC32C serves the digests: the instruction's name (`sse4.2`, `armv8-crc`) or `js` and why. */
export function crc32cImplementation(): { name: string; fallbackReason?: string } {
  return 'fn' in native ? { name: native.name } : { name: 'js', fallbackReason: native.why };
}

/** The CPU's CRC32C (same contract as `crc32c`), or null when only the JavaScript one is there. */
export function crc32cNative(): Crc32cFn | null {
  return hw;
}

/**
 * Continue a CRC32C over `buf[start, end)`. `crc` is the running value as returned by a
 * previous call (start with 0). Returns the finished (inverted) CRC, unsigned.
 */
export function crc32c(buf: Uint8Array, crc = 0, start = 0, end = buf.length): number {
  return hw !== null ? hw(buf, crc, start, end) : crc32cJs(buf, crc, start, end);
}

const POLY = 0x82f63b78;
const T = new Int32Array(8 * 256);

(function build() {
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    T[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = T[n]!;
    for (let k = 1; k < 8; k++) {
      c = T[c & 0xff]! ^ (c >>> 8);
      T[k * 256 + n] = c;
    }
  }
})();

/** The JavaScript CRC32C, slicing-by-8: the fallback, and the reference the native one is tested against. */
export function crc32cJs(buf: Uint8Array, crc = 0, start = 0, end = buf.length): number {
  let c = ~crc;
  let i = start;
  const t = T;
  // Bytes up to a 4-byte boundary, then two 32-bit little-endian words per round.
  while (i < end && ((buf.byteOffset + i) & 3) !== 0) c = t[(c ^ buf[i++]!) & 0xff]! ^ (c >>> 8);
  const words = (end - i) >>> 3;
  if (words > 0 && LITTLE_ENDIAN) {
    const w = new Int32Array(buf.buffer, buf.byteOffset + i, words * 2);
    for (let k = 0; k < w.length; k += 2) {
      const lo = c ^ w[k]!;
      const hi = w[k + 1]!;
      c =
        t[1792 + (lo & 0xff)]! ^
        t[1536 + ((lo >>> 8) & 0xff)]! ^
        t[1280 + ((lo >>> 16) & 0xff)]! ^
        t[1024 + (lo >>> 24)]! ^
        t[768 + (hi & 0xff)]! ^
        t[512 + ((hi >>> 8) & 0xff)]! ^
        t[256 + ((hi >>> 16) & 0xff)]! ^
        t[hi >>> 24]!;
    }
    i += words * 8;
  }
  while (i < end) c = t[(c ^ buf[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const ZERO4 = new Uint8Array(4);

/** CRC32C of a data segment followed by its pad bytes (zeros up to a multiple of 4). */
export function crc32cPadded(buf: Uint8Array): number {
  const pad = (4 - (buf.length & 3)) & 3;
  const c = crc32c(buf);
  return pad ? crc32cJs(ZERO4, c, 0, pad) : c;
}

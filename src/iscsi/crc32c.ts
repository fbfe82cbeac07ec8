/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78), slicing-by-8. Used for iSCSI
 * header and data digests; the digest goes on the wire least significant byte first
 * (RFC 7143 11.1 / RFC 3720 B.4).
 */

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

/**
 * Continue a CRC32C over `buf[start, end)`. `crc` is the running value as returned by a
 * previous call (start with 0). Returns the finished (inverted) CRC, unsigned.
 */
export function crc32c(buf: Uint8Array, crc = 0, start = 0, end = buf.length): number {
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
  return pad ? crc32c(ZERO4, c, 0, pad) : c;
}

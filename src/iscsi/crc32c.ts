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
  // Align to 8 bytes is unnecessary for typed reads of bytes; process 8 at a time.
  const end8 = end - ((end - i) & 7);
  while (i < end8) {
    const lo = c ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
    const b4 = buf[i + 4]!, b5 = buf[i + 5]!, b6 = buf[i + 6]!, b7 = buf[i + 7]!;
    c =
      t[7 * 256 + (lo & 0xff)]! ^
      t[6 * 256 + ((lo >>> 8) & 0xff)]! ^
      t[5 * 256 + ((lo >>> 16) & 0xff)]! ^
      t[4 * 256 + (lo >>> 24)]! ^
      t[3 * 256 + b4]! ^
      t[2 * 256 + b5]! ^
      t[256 + b6]! ^
      t[b7]!;
    i += 8;
  }
  while (i < end) c = t[(c ^ buf[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const ZERO4 = new Uint8Array(4);

/** CRC32C of a data segment followed by its pad bytes (zeros up to a multiple of 4). */
export function crc32cPadded(buf: Uint8Array): number {
  const pad = (4 - (buf.length & 3)) & 3;
  const c = crc32c(buf);
  return pad ? crc32c(ZERO4, c, 0, pad) : c;
}

/**
 * Text keys (RFC 7143 6.1): `key=value` pairs, each terminated by a NUL, in the data
 * segment of Login and Text PDUs. Pure functions over Buffers.
 */
import { IscsiProtocolError, RejectReason } from './errors.js';

export type TextPairs = Array<[string, string]>;

const KEY_RE = /^[A-Za-z0-9.\-+@_]{1,63}$|^X-[\x21-\x7e]{1,61}$|^X#[\x21-\x7e]{1,61}$/;

/**
 * Parse a (complete) text data segment. Trailing NULs/padding are ignored. Throws on a pair
 * without '=', an invalid key name, or a key given twice.
 */
export function parseText(data: Buffer): TextPairs {
  const out: TextPairs = [];
  const seen = new Set<string>();
  let start = 0;
  const n = data.length;
  while (start < n) {
    let end = data.indexOf(0, start);
    if (end < 0) end = n;
    if (end > start) {
      const s = data.toString('utf8', start, end);
      const eq = s.indexOf('=');
      if (eq <= 0) {
        throw new IscsiProtocolError('ERR_TEXT_FORMAT', `text pair without key=value: ${JSON.stringify(s.slice(0, 64))}`, {
          reject: RejectReason.ProtocolError,
        });
      }
      const key = s.slice(0, eq);
      if (!KEY_RE.test(key)) {
        throw new IscsiProtocolError('ERR_TEXT_FORMAT', `invalid key name ${JSON.stringify(key.slice(0, 64))}`, {
          reject: RejectReason.ProtocolError,
        });
      }
      if (seen.has(key)) {
        throw new IscsiProtocolError('ERR_TEXT_FORMAT', `key ${key} given twice`, { reject: RejectReason.ProtocolError });
      }
      seen.add(key);
      out.push([key, s.slice(eq + 1)]);
    }
    start = end + 1;
  }
  return out;
}

/** Serialize pairs as `key=value\0...`. */
export function serializeText(pairs: readonly (readonly [string, string])[]): Buffer {
  if (pairs.length === 0) return Buffer.alloc(0);
  let s = '';
  for (const [k, v] of pairs) s += `${k}=${v}\0`;
  return Buffer.from(s, 'utf8');
}

/**
 * Split a serialized text body into segments of at most `max` bytes for PDUs with the C
 * (continue) bit. Splits may fall anywhere (RFC 7143 6.1: a pair may span PDUs).
 */
export function splitText(body: Buffer, max: number): Buffer[] {
  if (body.length <= max) return [body];
  const out: Buffer[] = [];
  for (let off = 0; off < body.length; off += max) out.push(body.subarray(off, Math.min(off + max, body.length)));
  return out;
}

/** Parse an iSCSI numeric value: decimal, 0x hex (RFC 7143 6.1). NaN if malformed. */
export function parseNumber(v: string): number {
  if (/^0[xX][0-9a-fA-F]{1,16}$/.test(v)) return parseInt(v.slice(2), 16);
  if (/^[0-9]{1,20}$/.test(v)) return parseInt(v, 10);
  return NaN;
}

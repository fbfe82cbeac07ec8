/**
 * Text-key parsing (RFC 7143 §6): parseText either returns unique, well-formed pairs or
 * throws IscsiProtocolError; those pairs serialise to text that parses back to them.
 * Numeric values go through parseNumber as negotiation does.
 */
import { isDeepStrictEqual } from 'node:util';
import { check, only } from '../contract.js';
import { IscsiProtocolError } from '../../../src/iscsi/errors.js';
import { parseNumber, parseText, serializeText, splitText } from '../../../src/iscsi/text.js';

/** What Jazzer instruments for coverage (scripts/fuzz.mjs reads this line). */
export const instrument = ['src/iscsi/'];

export const sync = true;

export function fuzz(data: Buffer): void {
  const pairs = only([IscsiProtocolError], () => parseText(data));
  if (pairs === undefined) return;
  check(new Set(pairs.map(([k]) => k)).size === pairs.length, 'keys are unique');
  const again = parseText(serializeText(pairs));
  check(isDeepStrictEqual(again, pairs), 'serialised pairs parse back to the same pairs');
  const body = serializeText(pairs);
  const parts = splitText(body, 1 + (data[0] ?? 0));
  check(Buffer.concat(parts).equals(body), 'splitting text for continuation PDUs loses nothing');
  for (const [, v] of pairs) {
    const n = parseNumber(v);
    check(Number.isNaN(n) || (Number.isFinite(n) && n >= 0), `parseNumber(${JSON.stringify(v.slice(0, 40))}) is a non-negative number`);
  }
}

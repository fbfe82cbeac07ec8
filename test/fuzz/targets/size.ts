/** Size parsing (domain/size.ts): null or a safe non-negative integer of bytes, never a throw. */
import { check, text } from '../contract.js';
import { parseSize } from '../../../src/domain/size.js';

/** What Jazzer instruments for coverage (scripts/fuzz.mjs reads this line). */
export const instrument = ['src/domain/'];

export const sync = true;

export function fuzz(data: Buffer): void {
  const s = text(data);
  const n = parseSize(s);
  check(n === null || (Number.isSafeInteger(n) && n >= 0), `parseSize(${JSON.stringify(s.slice(0, 40))}) is null or bytes`);
  if (n !== null) check(parseSize(String(n)) === n, 'a size written as its byte count parses to itself');
  if (data.length >= 8) {
    const x = data.readDoubleBE(0);
    const m = parseSize(x);
    check(m === null || m === x, 'a number is a size only as itself');
  }
}

/**
 * Portal addresses (domain/addresses.ts): parseListenAddress gives null or an address
 * whose formatted text parses back to it; isIPv4/isIPv6/isNetwork never throw.
 */
import { isDeepStrictEqual } from 'node:util';
import { check, text } from '../contract.js';
import { formatListenAddress, isIPv4, isIPv6, isNetwork, parseListenAddress } from '../../../src/domain/addresses.js';

/** What Jazzer instruments for coverage (scripts/fuzz.mjs reads this line). */
export const instrument = ['src/domain/'];

export const sync = true;

export function fuzz(data: Buffer): void {
  const s = text(data);
  isIPv4(s);
  isIPv6(s);
  isNetwork(s);
  const a = parseListenAddress(s);
  if (a === null) return;
  check(Number.isInteger(a.port) && a.port >= 0 && a.port <= 65535, 'port in 0..65535');
  const again = parseListenAddress(formatListenAddress(a));
  check(again !== null && isDeepStrictEqual(again, a), `${formatListenAddress(a)} parses back to the same address`);
}

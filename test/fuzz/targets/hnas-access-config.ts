/**
 * HNAS accessConfig (api/hnas/access-config.ts): rules or HnasError (400, the
 * invalid-parameter code), never anything else; each rule is ALL or a network.
 */
import { check, only, text } from '../contract.js';
import { parseAccessConfig } from '../../../src/api/hnas/access-config.js';
import { HnasError } from '../../../src/api/hnas/errors.js';
import { isNetwork } from '../../../src/domain/addresses.js';

/** What Jazzer instruments for coverage (scripts/fuzz.mjs reads this line). */
export const instrument = ['src/api/hnas/', 'src/domain/'];

export const sync = true;

export function fuzz(data: Buffer): void {
  const rules = only([HnasError], () => parseAccessConfig(text(data)));
  if (rules === undefined) return;
  for (const r of rules) {
    check(r.network === 'ALL' || isNetwork(r.network), 'each rule is ALL or a network');
    check(['rw', 'ro', 'none'].includes(r.access), 'access is rw, ro or none');
  }
}

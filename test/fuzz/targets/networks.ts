/**
 * Initiator-group networks and names (domain/network-match.ts): parseNetworks gives ALL,
 * networks with a prefix inside their family, or says which entry is bad; canonical text
 * re-parses to the same networks; matching never throws.
 */
import { isDeepStrictEqual } from 'node:util';
import { check, text } from '../contract.js';
import { addressInNetworks, initiatorNameMatches, parseNetworks } from '../../../src/domain/network-match.js';

/** What Jazzer instruments for coverage (scripts/fuzz.mjs reads this line). */
export const instrument = ['src/domain/'];

export const sync = true;

export function fuzz(data: Buffer): void {
  const s = text(data);
  const r = parseNetworks(s);
  if (!r.ok) {
    check(typeof r.bad === 'string' && typeof r.reason === 'string', 'a failure names the entry and the reason');
    return;
  }
  if (r.value !== 'ALL') {
    for (const n of r.value) {
      check(n.bytes.length === 16, 'network bytes are 16 (IPv4 mapped)');
      check(n.prefix >= 0 && n.prefix <= (n.family === 4 ? 32 : 128), `prefix of ${n.text} inside its family`);
    }
    const again = parseNetworks(r.value.map((n) => n.text).join(' '));
    check(again.ok && isDeepStrictEqual(again.value, r.value), 'canonical text parses back to the same networks');
  }
  for (const probe of ['10.1.2.3', '::1', '2001:db8::7', s.slice(0, 64)]) addressInNetworks(probe, r.value);
  initiatorNameMatches(s.slice(0, 64), s.split(/[\s,]+/).slice(0, 8));
}

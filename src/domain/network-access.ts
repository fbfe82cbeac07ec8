/**
 * Access by address (AccessRule lists, HNAS's accessConfig): the one place that decides
 * what an initiator connecting from an address may do. A matching `none` refuses even
 * where a broader rule admits; otherwise the most specific matching rule (the longest
 * prefix; ALL is the broadest) decides between read-write and read-only; no match refuses.
 * Both the domain's validation and the data plane's admission use it.
 */
import type { AccessRule } from './entities.js';
import { fail } from './errors.js';
import { type Network, addressInNetworks, parseNetworks } from './network-match.js';

export type Access = AccessRule['access'];

interface CompiledRule {
  network: Network | 'ALL';
  access: Access;
}

function compile(rule: AccessRule): CompiledRule | null {
  const parsed = parseNetworks(rule.network);
  if (!parsed.ok || (parsed.value !== 'ALL' && parsed.value.length !== 1)) return null;
  return { network: parsed.value === 'ALL' ? 'ALL' : parsed.value[0]!, access: rule.access };
}

/** Checks a rule list, returning it with each network in canonical form. */
export function checkAccessRules(field: string, rules: readonly AccessRule[]): AccessRule[] {
  return rules.map((rule) => {
    if (!['rw', 'ro', 'none'].includes(rule.access)) throw fail('value.not-a-choice', field, { value: String(rule.access), choices: ['rw', 'ro', 'none'] });
    const c = compile(rule);
    if (!c) throw fail('networks.invalid', field, { network: rule.network });
    return { network: c.network === 'ALL' ? 'ALL' : c.network.text, access: rule.access };
  });
}

/** What `address` may do under `rules` (an empty list: nothing decided here, so 'rw'). */
export function accessFor(rules: readonly AccessRule[], address: string): Access {
  if (rules.length === 0) return 'rw';
  let best: CompiledRule | null = null;
  for (const rule of rules) {
    const c = compile(rule);
    if (!c || !addressInNetworks(address, c.network === 'ALL' ? 'ALL' : [c.network])) continue;
    if (c.access === 'none') return 'none';
    if (!best || prefixOf(c) > prefixOf(best)) best = c;
  }
  return best?.access ?? 'none';
}

function prefixOf(c: CompiledRule): number {
  if (c.network === 'ALL') return -1;
  // Compare IPv4 and IPv6 prefixes on one scale: an IPv4 /24 is a /120 of the mapped form.
  return c.network.family === 4 ? c.network.prefix + 96 : c.network.prefix;
}

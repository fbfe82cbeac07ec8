/**
 * HNAS's accessConfig, read into the domain's access rules. Blank: everyone. Otherwise
 * entries separated by `;`, `,` or spaces, each a host address, a CIDR network or `*`,
 * optionally followed by a qualifier in parentheses: `(rw)` (the default), `(ro)` or
 * `(read_only)` (write-protected LUNs), `(noaccess)` (refused even where a broader entry
 * admits). Anything else is refused, naming the entry.
 */
import type { AccessRule } from '../../domain/entities.js';
import { isNetwork } from '../../domain/addresses.js';
import { invalidParameter } from './errors.js';

const QUALIFIERS: Record<string, AccessRule['access']> = { rw: 'rw', read_write: 'rw', ro: 'ro', read_only: 'ro', noaccess: 'none', no_access: 'none' };
const ENTRY = /^([^()\s]+)(?:\(([A-Za-z_]+)\))?$/;

export function parseAccessConfig(text: string): AccessRule[] {
  const entries = text
    .replace(/\s*\(\s*/g, '(')
    .replace(/\s*\)/g, ')')
    .split(/[;,\s]+/)
    .filter((e) => e !== '');
  return entries.map((entry) => {
    const m = ENTRY.exec(entry);
    const qualifier = m?.[2]?.toLowerCase();
    const access = qualifier === undefined ? 'rw' : QUALIFIERS[qualifier];
    const host = m?.[1];
    if (!m || !access || host === undefined || (host !== '*' && !isNetwork(host))) {
      throw invalidParameter(
        'accessConfig',
        `"${entry.slice(0, 80)}" is not an entry: a host address, a CIDR network or *, optionally followed by (rw), (ro), (read_only) or (noaccess)`,
      );
    }
    return { network: host === '*' ? 'ALL' : host, access };
  });
}

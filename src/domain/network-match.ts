/**
 * Initiator-group matching: which networks and which iSCSI names may log in to a target.
 * Pure parsing and matching; the domain's validation and the data plane's admission both
 * call these, so "what is a valid network" exists once (valid iSCSI names: iscsi-names.ts).
 *
 * Addresses are held as 16 bytes, IPv4 in its IPv4-mapped form (::ffff:a.b.c.d, RFC 4291
 * §2.5.5.2), so one prefix comparison serves both families and an IPv4 client seen by a
 * dual-stack listener as "::ffff:127.0.0.1" matches "127.0.0.1/32". node:net's BlockList
 * does subnets too, but its results differ by the family the caller names; one
 * representation keeps the rule obvious and lets us report the canonical form.
 */

export interface Network {
  /** Family the rule was written in (decides how it prints). */
  readonly family: 4 | 6;
  /** Network address, host bits cleared, as 16 bytes (IPv4 mapped). */
  readonly bytes: Uint8Array;
  /** Prefix length within `family`: 0..32 for IPv4, 0..128 for IPv6. */
  readonly prefix: number;
  /** Canonical text: "10.0.0.0/8", "2001:db8::/32" (RFC 5952 form). */
  readonly text: string;
}

export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  /** `bad` is the offending entry as written; `reason` says what is wrong with it. */
  | { readonly ok: false; readonly bad: string; readonly reason: string };

/** Entries are separated by whitespace (spaces, tabs, newlines) and/or commas. */
function tokens(text: string): string[] {
  return text.split(/[\s,]+/).filter((t) => t !== '');
}

function isAll(token: string): boolean {
  return token.toUpperCase() === 'ALL';
}

/** Strict dotted quad: four decimal octets, no leading zeros (they read as octal elsewhere). */
function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function mapped(v4: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(v4, 12);
  return out;
}

/** RFC 4291 §2.2 text forms: full, "::"-compressed, and a trailing dotted quad. */
function parseIPv6(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length > 45) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const compressed = halves.length === 2;
  // Words of one half; a dotted quad may only end the whole address.
  const words = (s: string, last: boolean): number[] | undefined => {
    if (s === '') return [];
    const groups = s.split(':');
    const out: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (last && i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIPv4(g);
        if (v4 === undefined) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
        out.push(Number.parseInt(g, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = words(halves[0]!, !compressed);
  const tail = compressed ? words(halves[1]!, true) : [];
  if (head === undefined || tail === undefined) return undefined;
  const count = head.length + tail.length;
  // "::" stands for at least one zero word.
  if (compressed ? count > 7 : count !== 8) return undefined;
  const out = new Uint8Array(16);
  const place = (w: number, at: number) => {
    out[at * 2] = w >> 8;
    out[at * 2 + 1] = w & 0xff;
  };
  for (let i = 0; i < head.length; i++) place(head[i]!, i);
  for (let i = 0; i < tail.length; i++) place(tail[i]!, 8 - tail.length + i);
  return out;
}

function isMapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** Parses one address, IPv4 or IPv6; IPv6 zone ids ("%eth0") are not part of the address. */
function parseAddress(text: string): { family: 4 | 6; bytes: Uint8Array } | undefined {
  const v4 = parseIPv4(text);
  if (v4) return { family: 4, bytes: mapped(v4) };
  const v6 = parseIPv6(text);
  if (v6) return { family: 6, bytes: v6 };
  return undefined;
}

function formatIPv4(b: Uint8Array): string {
  return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
}

/** RFC 5952: lower-case, no leading zeros, longest run (>1) of zero words as "::". */
function formatIPv6(b: Uint8Array): string {
  if (isMapped(b)) return `::ffff:${formatIPv4(b)}`;
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[i * 2]! << 8) | b[i * 2 + 1]!);
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (bestAt < 0) return hex(words);
  return `${hex(words.slice(0, bestAt))}::${hex(words.slice(bestAt + bestLen))}`;
}

/** Clears every bit past `bits` (counted over the 16-byte form). */
function maskTo(bytes: Uint8Array, bits: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    out[i] = out[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

function parseNetwork(token: string): Network | string {
  const slash = token.indexOf('/');
  const addrText = slash < 0 ? token : token.slice(0, slash);
  const addr = parseAddress(addrText);
  if (addr === undefined) return 'not an IPv4 or IPv6 address';
  const max = addr.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = token.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > max) {
      return `prefix length must be 0..${max} for IPv${addr.family}`;
    }
    prefix = Number(p);
  }
  // Host bits are cleared rather than refused: "192.168.1.7/24" clearly means the /24,
  // and that is how ctld and istgt read it.
  const bytes = maskTo(addr.bytes, addr.family === 4 ? 96 + prefix : prefix);
  const text = `${addr.family === 4 ? formatIPv4(bytes) : formatIPv6(bytes)}/${prefix}`;
  return { family: addr.family, bytes, prefix, text };
}

/**
 * Parses an initiator group's network list: "ALL", or IPv4 / IPv6 addresses and CIDRs
 * separated by spaces, commas or newlines. "ALL" anywhere means everything (it subsumes
 * the rest). An empty text gives an empty list, which admits nobody; whether a missing
 * list defaults to ALL is the caller's rule.
 */
export function parseNetworks(text: string): ParseResult<Network[] | 'ALL'> {
  const list = tokens(text);
  const out: Network[] = [];
  for (const t of list) {
    if (isAll(t)) return { ok: true, value: 'ALL' };
  }
  for (const t of list) {
    const n = parseNetwork(t);
    if (typeof n === 'string') return { ok: false, bad: t, reason: n };
    if (!out.some((o) => o.text === n.text)) out.push(n);
  }
  return { ok: true, value: out };
}

/**
 * Does a peer address (as Node sockets report it: "10.0.0.1", "::ffff:10.0.0.1",
 * "fe80::1%eth0") fall in one of the networks? An unparsable address matches only 'ALL'.
 */
export function addressInNetworks(address: string, networks: readonly Network[] | 'ALL'): boolean {
  if (networks === 'ALL') return true;
  const zone = address.indexOf('%');
  const addr = parseAddress(zone < 0 ? address : address.slice(0, zone));
  if (addr === undefined) return false;
  return networks.some((n) => {
    const bits = n.family === 4 ? 96 + n.prefix : n.prefix;
    const masked = maskTo(addr.bytes, bits);
    for (let i = 0; i < 16; i++) if (masked[i] !== n.bytes[i]) return false;
    return true;
  });
}

/** Is this initiator name in the list? iSCSI names compare case-insensitively. */
export function initiatorNameMatches(name: string, list: readonly string[] | 'ALL'): boolean {
  if (list === 'ALL') return true;
  const want = name.toLowerCase();
  return list.some((n) => n.toLowerCase() === want);
}

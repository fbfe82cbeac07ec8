/**
 * IP addresses, CIDR networks and IP:PORT portal addresses, parsed without I/O.
 * Portal addresses are normalised ("[::1]:3260", "10.0.0.1:3260") so two spellings of one
 * address compare equal.
 */
import { parseNetworks } from './network-match.js';
import net from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
  family: 4 | 6;
}

export const DEFAULT_ISCSI_PORT = 3260;

/** Dotted-quad only: net.isIPv4 also accepts nothing looser, but be explicit about it. */
export function isIPv4(text: string): boolean {
  return net.isIPv4(text) && /^\d{1,3}(\.\d{1,3}){3}$/.test(text);
}

export function isIPv6(text: string): boolean {
  return net.isIPv6(text);
}

/** "IPv4:port", "[IPv6]:port"; a missing port means 3260. Returns null when malformed. */
export function parseListenAddress(text: string): ListenAddress | null {
  const trimmed = text.trim();
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  if (v6) {
    host = v6[1]!;
    portText = v6[2];
    if (!isIPv6(host)) return null;
  } else {
    const v4 = /^([0-9.]+)(?::(\d+))?$/.exec(trimmed);
    if (!v4 || !isIPv4(v4[1]!)) return null;
    host = v4[1]!;
    portText = v4[2];
  }
  const port = portText === undefined ? DEFAULT_ISCSI_PORT : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535 || (portText !== undefined && portText.length > 5)) return null;
  const family = isIPv6(host) ? 6 : 4;
  return { host: family === 6 ? normaliseIPv6(host) : host, port, family };
}

export function formatListenAddress(address: ListenAddress): string {
  return address.family === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** Canonical text of an IPv6 address, so [0:0::1] and [::1] are one portal. */
function normaliseIPv6(host: string): string {
  const list = new net.BlockList();
  list.addAddress(host, 'ipv6');
  // BlockList.rules prints the canonical form: "Address: IPv6 ::1".
  const rule = list.rules[0] ?? '';
  const canonical = rule.replace(/^Address: IPv6 /, '');
  return canonical || host.toLowerCase();
}

/**
 * "ALL", an IP address, or a CIDR network (IPv4 or IPv6). The data plane matches with the
 * same parser, so whatever is accepted here is exactly what admission checks against.
 */
export function isNetwork(text: string): boolean {
  if (text === 'ALL') return true;
  const parsed = parseNetworks(text);
  return parsed.ok && parsed.value !== 'ALL' && parsed.value.length === 1;
}

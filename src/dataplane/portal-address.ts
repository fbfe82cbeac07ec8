/**
 * Splits a configured listen address ("0.0.0.0:3260", "[::1]:3260") into host and port.
 * The domain validated it when it was stored; this only takes it apart for net.listen.
 */
import type { PortalAddress } from '../iscsi/catalog.js';

export function splitListenAddress(address: string): PortalAddress {
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(address);
  if (v6) return { host: v6[1]!, port: Number(v6[2]) };
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i), port: Number(address.slice(i + 1)) };
}

/**
 * SendTargets (RFC 7143 Appendix C): which targets an initiator may use, with one
 * TargetAddress per portal of the target's group. A wildcard listener reports the
 * address the initiator connected to; IPv6 goes in brackets.
 */
import type { PortalAddress, TargetCatalog, TargetNode } from './catalog.js';
import type { TextPairs } from './text.js';

export interface DiscoveryContext {
  readonly catalog: TargetCatalog;
  /** The catalog's key for the connection's portal group (PortalContext.portalGroup). */
  readonly portalGroup: number;
  /** socket.localAddress of this connection. */
  readonly localAddress: string;
  readonly initiatorName: string;
  readonly initiatorAddress: string;
  /** The target of a Normal session (SendTargets there reports only it). */
  readonly sessionTarget: TargetNode | null;
}

function unmap(addr: string): string {
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

export function formatAddress(host: string, port: number, tag: number): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return `${h}:${port},${tag}`;
}

/**
 * The address to report for one listener, or null when this connection cannot name it:
 * an IPv4 wildcard (0.0.0.0) seen over an IPv6 connection has no address the initiator
 * could use. An IPv6 wildcard listens on both families, so it reports either.
 */
export function portalAddress(p: PortalAddress, localAddress: string): string | null {
  const local = unmap(localAddress);
  if (p.host === '0.0.0.0' || p.host === '') return local.includes(':') ? null : local;
  if (p.host === '::' || p.host === '[::]') return local;
  return p.host.replace(/^\[|\]$/g, '');
}

export function sendTargets(ctx: DiscoveryContext, value: string): TextPairs {
  let targets: readonly TargetNode[];
  if (ctx.sessionTarget) {
    if (value !== '' && value !== 'All' && value !== ctx.sessionTarget.name) return [];
    targets = [ctx.sessionTarget];
  } else if (value === 'All') {
    targets = ctx.catalog.targetsInGroup(ctx.portalGroup);
  } else if (value === '') {
    return [];
  } else {
    const t = ctx.catalog.target(value, ctx.portalGroup);
    targets = t && t.portalGroup === ctx.portalGroup ? [t] : [];
  }
  const out: TextPairs = [];
  for (const t of targets) {
    // A target whose service is switched off is not reported: a login to it would fail.
    if (t.serviceAvailable === false || !t.admits(ctx.initiatorName, ctx.initiatorAddress)) continue;
    out.push(['TargetName', t.name]);
    const seen = new Set<string>();
    for (const p of ctx.catalog.portalAddresses(t.portalGroup)) {
      const host = portalAddress(p, ctx.localAddress);
      if (host === null) continue;
      const a = formatAddress(host, p.port, t.portalGroupTag);
      if (seen.has(a)) continue;
      seen.add(a);
      out.push(['TargetAddress', a]);
    }
  }
  return out;
}

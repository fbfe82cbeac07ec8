/** Peer addresses as the access rules and the limits see them. */

/** `::ffff:1.2.3.4` is the IPv4 peer 1.2.3.4 (a dual-stack listener's view of it). */
export function unmapAddress(addr: string): string {
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

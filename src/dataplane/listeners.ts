/**
 * One TCP listener per configured portal address. A listener that cannot bind (address
 * not on this host, port taken) is kept in the failed state with its error, never stops
 * the others, and is tried again on the next reconcile.
 */
import net from 'node:net';
import type { Logger } from 'pino';
import type { PortalContext } from '../iscsi/catalog.js';
import type { ListenerStatus } from '../domain/ports.js';
import type { ListenerPortal } from './desired-state.js';
import { splitListenAddress } from './portal-address.js';

export type AcceptHandler = (socket: net.Socket, portal: PortalContext) => void;

interface Listener {
  address: string;
  portal: PortalContext;
  server: net.Server | null;
  state: ListenerStatus['state'];
  error: string | null;
}

export class PortalListeners {
  private readonly listeners = new Map<string, Listener>();

  constructor(
    private readonly onAccept: AcceptHandler,
    private readonly log: Logger,
  ) {}

  /** Bring the running listeners to `desired` (address -> the portal group it serves). */
  async reconcile(desired: ReadonlyMap<string, ListenerPortal>): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const [address, listener] of this.listeners) {
      if (!desired.has(address)) {
        this.listeners.delete(address);
        closing.push(this.stop(listener));
      }
    }
    await Promise.all(closing);
    const starting: Promise<void>[] = [];
    for (const [address, group] of desired) {
      const existing = this.listeners.get(address);
      if (existing) {
        // The address may have moved to another portal group: new connections use the new one.
        if (existing.portal.portalGroup !== group.portalGroup || existing.portal.portalGroupTag !== group.portalGroupTag) {
          existing.portal = { ...existing.portal, ...group };
        }
        if (existing.state === 'failed') starting.push(this.start(existing));
        continue;
      }
      const listener: Listener = {
        address,
        portal: { ...group, listen: splitListenAddress(address) },
        server: null,
        state: 'starting',
        error: null,
      };
      this.listeners.set(address, listener);
      starting.push(this.start(listener));
    }
    await Promise.all(starting);
  }

  status(): ListenerStatus[] {
    return [...this.listeners.values()].map((l) => ({
      address: l.address,
      portalGroupTag: l.portal.portalGroupTag,
      state: l.state,
      error: l.error,
    }));
  }

  /** The port a listener actually bound (useful when configured with port 0 in tests). */
  boundPort(address: string): number | undefined {
    const addr = this.listeners.get(address)?.server?.address();
    return addr && typeof addr === 'object' ? addr.port : undefined;
  }

  async closeAll(): Promise<void> {
    const all = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(all.map((l) => this.stop(l)));
  }

  private start(listener: Listener): Promise<void> {
    const server = net.createServer({ noDelay: true }, (socket) => {
      // Read the portal at accept time: a reconcile may have re-tagged the listener.
      this.onAccept(socket, listener.portal);
    });
    listener.state = 'starting';
    return new Promise((resolve) => {
      const fail = (err: NodeJS.ErrnoException) => {
        listener.state = 'failed';
        listener.error = `${err.code ?? 'ERROR'}: ${err.message}`;
        listener.server = null;
        server.close();
        this.log.error({ portal: listener.address, err: listener.error }, 'portal cannot listen');
        resolve();
      };
      server.once('error', fail);
      const { host, port } = listener.portal.listen;
      server.listen({ host, port, exclusive: true, ipv6Only: host === '::' ? false : undefined }, () => {
        server.off('error', fail);
        server.on('error', (err) => this.log.error({ portal: listener.address, err: err.message }, 'portal error'));
        listener.server = server;
        listener.state = 'listening';
        listener.error = null;
        this.log.info({ portal: listener.address }, 'portal listening');
        resolve();
      });
    });
  }

  private stop(listener: Listener): Promise<void> {
    const server = listener.server;
    listener.server = null;
    if (!server) return Promise.resolve();
    this.log.info({ portal: listener.address }, 'portal closed');
    // Stop accepting; existing connections belong to their sessions and are ended by the
    // reconciler when their target goes away, not because a listener moved.
    // close()'s callback waits for those connections, so don't wait for it: the listening
    // handle itself is released at once.
    server.close();
    return Promise.resolve();
  }
}

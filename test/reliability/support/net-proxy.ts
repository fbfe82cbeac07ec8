/**
 * A TCP proxy on 127.0.0.1 between an initiator and sanbox's portal that knows where iSCSI
 * PDUs begin and end, so a test can break the connection at a chosen byte: "after 1000
 * bytes of the second Data-Out PDU", "20 bytes into the Text Response". It forwards
 * every byte before that point and then cuts (both sockets destroyed, the target sees the
 * stream end inside the PDU) or stalls (forwards nothing more that way until cut).
 *
 *   const proxy = await FaultProxy.start(targetPort);
 *   proxy.arm({ dir: 'up', opcode: 0x05, nth: 2, at: 1000, action: 'cut' });
 *   const ini = await IscsiInitiator.connect('127.0.0.1', proxy.port);
 *
 * Digests are not framed: the tests negotiate none.
 */
import net from 'node:net';

/** up: initiator to target; down: target to initiator. */
export type Direction = 'up' | 'down';

export interface Fault {
  dir: Direction;
  /** The PDU's opcode (byte 0, without the I bit). */
  opcode: number;
  /** The nth PDU with that opcode on the connection (1: the first). */
  nth?: number;
  /** More to match: e.g. the SCSI Command's CDB opcode (BHS byte 32). */
  match?: (bhs: Buffer) => boolean;
  /** Bytes of the PDU forwarded before the fault (clamped to the PDU's length - 1). */
  at: number;
  action: 'cut' | 'stall';
}

interface Pair {
  client: net.Socket;
  server: net.Socket;
  fault: Fault | null;
  seen: number;
  fired: boolean;
}

export class FaultProxy {
  private readonly listener: net.Server;
  private readonly pairs = new Set<Pair>();
  private next: Fault | null = null;
  /** Connections that ended by a fault. */
  faults = 0;
  /** Connections accepted. */
  accepted = 0;
  private readonly firedWaiters: Array<() => void> = [];

  private constructor(
    private readonly targetPort: number,
    private readonly targetHost: string,
  ) {
    this.listener = net.createServer((client) => this.accept(client));
  }

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<FaultProxy> {
    const p = new FaultProxy(targetPort, targetHost);
    await new Promise<void>((resolve) => p.listener.listen(0, '127.0.0.1', resolve));
    return p;
  }

  get port(): number {
    return (this.listener.address() as net.AddressInfo).port;
  }

  /** The fault for the next connection accepted (one connection each time armed). */
  arm(fault: Fault): void {
    this.next = fault;
  }

  /** Resolves when the armed fault fired on some connection. */
  fired(): Promise<void> {
    return new Promise((resolve) => this.firedWaiters.push(resolve));
  }

  /** Ends every connection (stalled ones included). */
  cutAll(): void {
    for (const p of this.pairs) this.cut(p);
  }

  get open(): number {
    return this.pairs.size;
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.listener.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.accepted++;
    const server = net.connect({ host: this.targetHost, port: this.targetPort });
    const pair: Pair = { client, server, fault: this.next, seen: 0, fired: false };
    this.next = null;
    this.pairs.add(pair);
    const end = () => {
      if (!this.pairs.delete(pair)) return;
      client.destroy();
      server.destroy();
    };
    for (const s of [client, server]) {
      s.setNoDelay(true);
      s.on('error', end);
      s.on('close', end);
    }
    client.pause(); // nothing is read until the target's side is connected
    server.once('connect', () => client.resume());
    this.pipe(pair, 'up', client, server);
    this.pipe(pair, 'down', server, client);
  }

  private pipe(pair: Pair, dir: Direction, from: net.Socket, to: net.Socket): void {
    const fault = pair.fault?.dir === dir ? pair.fault : null;
    if (!fault) {
      from.on('data', (chunk) => to.write(chunk));
      return;
    }
    const framer = new PduFramer();
    let stalled = false;
    from.on('data', (chunk: Buffer) => {
      if (stalled || pair.fired) return;
      const cutAt = framer.feed(
        chunk,
        (bhs) => {
          if ((bhs[0]! & 0x3f) !== fault.opcode || (fault.match && !fault.match(bhs))) return false;
          pair.seen++;
          return pair.seen === (fault.nth ?? 1);
        },
        fault.at,
      );
      if (cutAt < 0) {
        to.write(chunk);
        return;
      }
      pair.fired = true;
      this.faults++;
      for (const w of this.firedWaiters.splice(0)) w();
      const before = chunk.subarray(0, cutAt);
      if (fault.action === 'stall') {
        stalled = true;
        if (before.length) to.write(before);
        return;
      }
      if (before.length === 0) this.cut(pair);
      else to.write(before, () => this.cut(pair));
    });
  }

  private cut(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.destroy();
    pair.server.destroy();
  }
}

/**
 * Follows PDU boundaries in one direction's byte stream. feed() returns the offset in
 * the chunk where the fault falls (`at` bytes into the first PDU `pick` chose), or -1.
 * A header split across chunks is kept until whole; the offset may then be 0 (the
 * chunk's start), which cuts a few header bytes early: good enough for "inside the PDU".
 */
class PduFramer {
  private header = Buffer.alloc(0);
  /** Bytes of the current PDU still to come after its header. */
  private rest = 0;
  private inHeader = true;
  /** Bytes still to forward before the fault once its PDU was picked; null before that. */
  private countdown: number | null = null;

  feed(chunk: Buffer, pick: (bhs: Buffer) => boolean, at: number): number {
    if (this.countdown !== null) return this.count(chunk.length, this.countdown);
    let off = 0;
    while (off < chunk.length) {
      if (this.inHeader) {
        const need = 48 - this.header.length;
        const take = Math.min(need, chunk.length - off);
        const start = off - this.header.length; // where this PDU began (may be < 0)
        this.header = Buffer.concat([this.header, chunk.subarray(off, off + take)]);
        off += take;
        if (this.header.length < 48) return -1;
        const bhs = this.header;
        this.header = Buffer.alloc(0);
        this.inHeader = false;
        const dsl = bhs.readUIntBE(5, 3);
        const total = 48 + bhs[4]! * 4 + ((dsl + 3) & ~3);
        this.rest = total - 48;
        if (pick(bhs)) return this.count(chunk.length, Math.max(0, start + Math.min(at, total - 1)));
        if (this.rest === 0) this.inHeader = true;
        continue;
      }
      const take = Math.min(this.rest, chunk.length - off);
      off += take;
      this.rest -= take;
      if (this.rest === 0) this.inHeader = true;
    }
    return -1;
  }

  /** The fault is `ahead` bytes from this chunk's start: here, or in a later chunk. */
  private count(length: number, ahead: number): number {
    if (ahead < length) return ahead;
    this.countdown = ahead - length;
    return -1;
  }
}

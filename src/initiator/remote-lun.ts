/**
 * An external array's LUN as a BlockTransport: one session, kept up.
 *
 * Every command is an Op in one queue, numbered in the order it was asked for. Ops go to
 * the session up to the queue depth; one that overlaps an op in flight, where either
 * writes, waits at the head of the queue until that one is answered, so writes to the
 * same blocks reach the array in order (and a re-issued write can never land after a
 * later one). When the connection is lost, the initiator fails every op in flight; they
 * go back into the queue by number and are sent again on the next session: a READ or
 * WRITE at a fixed LBA may run twice with the same result. Reconnects back off from
 * 0.25 s to 5 s. Only when no session has come back within `unreachableAfterMs` do the
 * waiting ops, and every new one, fail with EIO, so the SCSI layer above answers a sense
 * instead of hanging; reconnecting goes on, and I/O flows again once it succeeds.
 */
import { randomBytes } from 'node:crypto';
import type { BlockTransport, TransportHealth, TransportState } from '../backstore/transport.js';
import { RejectedError, type ScsiReply } from './client.js';
import { SYNCHRONIZE_CACHE, describeSense, parseSense, readCdb, unmapCommand, writeCdb } from './cdbs.js';
import { RemoteIoError } from './remote-errors.js';
import {
  CHECK_CONDITION,
  MAX_UNIT_ATTENTIONS,
  describe,
  isIllegalRequest,
  isUnitAttention,
  openSession,
  readCapacity,
  type RemoteLunAddress,
  type Session,
  type SessionSettings,
} from './remote-session.js';

export interface RemoteLunOptions extends RemoteLunAddress {
  readonly initiatorName: string;
  /** How long I/O waits for a lost connection to come back before it fails with EIO. */
  readonly unreachableAfterMs?: number;
  readonly backoffFirstMs?: number;
  readonly backoffMaxMs?: number;
  /** A command or ping unanswered this long means the connection is dead. */
  readonly answerTimeoutMs?: number;
  /** An idle connection is checked with a NOP this often. */
  readonly pingIntervalMs?: number;
  /** Commands in flight at most (the array's CmdSN window may allow fewer). */
  readonly queueDepth?: number;
  readonly connectTimeoutMs?: number;
}

const BUSY = 0x08;
const TASK_SET_FULL = 0x28;
const BUSY_RETRY_MS = 10;
const MAX_BUSY_RETRIES = 200;

interface Op {
  readonly seq: number;
  readonly cdb: Buffer;
  readonly out: Buffer | null;
  readonly into: Buffer | null;
  readonly readLength: number;
  /** The blocks it touches, [lba, lba + blocks); 0 blocks: none (flush, capacity). */
  readonly lba: number;
  readonly blocks: number;
  readonly writes: boolean;
  unitAttentions: number;
  busy: number;
  resolve(r: ScsiReply): void;
  reject(e: Error): void;
}

function ebadf(): Error {
  return Object.assign(new Error('remote LUN is closed'), { code: 'EBADF' });
}

function einval(message: string): Error {
  return Object.assign(new Error(message), { code: 'EINVAL' });
}

export class RemoteLun implements BlockTransport {
  #settings: SessionSettings;
  readonly #where: string;
  readonly #unreachableAfterMs: number;
  readonly #backoffFirstMs: number;
  readonly #backoffMaxMs: number;
  readonly #pingIntervalMs: number;
  readonly #depth: number;
  #session: Session;
  #connected = true;
  #blockSize: number;
  #sizeBytes: number;
  #health: TransportHealth = { state: 'connected', since: Date.now(), lastError: null };
  readonly #listeners = new Set<(h: TransportHealth) => void>();
  #seq = 0;
  /** Waiting ops, by seq. */
  #queue: Op[] = [];
  readonly #inflight = new Set<Op>();
  #closed = false;
  #ping: NodeJS.Timeout | null = null;
  #pinging = false;
  #outage: NodeJS.Timeout | null = null;
  #backoff: { timer: NodeJS.Timeout; wake: () => void } | null = null;
  #busyTimer: NodeJS.Timeout | null = null;
  #drained: (() => void) | null = null;

  private constructor(settings: SessionSettings, o: RemoteLunOptions, first: Session) {
    this.#settings = settings;
    this.#where = describe(o);
    this.#unreachableAfterMs = o.unreachableAfterMs ?? 30_000;
    this.#backoffFirstMs = o.backoffFirstMs ?? 250;
    this.#backoffMaxMs = o.backoffMaxMs ?? 5_000;
    this.#pingIntervalMs = o.pingIntervalMs ?? 5_000;
    this.#depth = Math.max(1, o.queueDepth ?? 32);
    this.#session = first;
    this.#remember(first);
    this.#blockSize = first.capacity.blockSize;
    this.#sizeBytes = first.capacity.blocks * first.capacity.blockSize;
    this.#watch(first);
  }

  /** Log in and read the LUN's capacity; rejects with a RemoteLoginError when that fails. */
  static async open(o: RemoteLunOptions): Promise<RemoteLun> {
    // ISID of the random format (RFC 7143 10.12.5): type 10b, 24 random bits, qualifier 0.
    const isid = Buffer.concat([Buffer.from([0x80]), randomBytes(3), Buffer.alloc(2)]);
    const settings: SessionSettings = {
      address: o.address,
      port: o.port,
      targetName: o.targetName,
      lun: o.lun,
      ...(o.chap ? { chap: o.chap } : {}),
      initiatorName: o.initiatorName,
      isid,
      connectTimeoutMs: o.connectTimeoutMs ?? 5_000,
      answerTimeoutMs: o.answerTimeoutMs ?? 15_000,
    };
    return new RemoteLun(settings, o, await openSession(settings));
  }

  get blockSize(): number {
    return this.#blockSize;
  }

  get sizeBytes(): number {
    return this.#sizeBytes;
  }

  health(): TransportHealth {
    return this.#health;
  }

  /** Called on every change of state; returns the unsubscribe. */
  onHealthChange(listener: (h: TransportHealth) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /* ------------------------------------------------------------ I/O */

  read(buf: Buffer, offset: number): Promise<void> {
    return this.#split(buf, offset, false, false);
  }

  write(buf: Buffer, offset: number, fua: boolean): Promise<void> {
    return this.#split(buf, offset, true, fua);
  }

  async flush(): Promise<void> {
    good(await this.#exec(SYNCHRONIZE_CACHE, null, null, 0, 0, 0, false), 'SYNCHRONIZE CACHE', this.#where);
  }

  async discard(offset: number, length: number): Promise<boolean> {
    const bad = this.#misaligned(offset, length);
    if (bad) throw bad;
    if (!this.#session.unmapsToZeros) return false;
    const bs = this.#blockSize;
    const most = Math.min(this.#session.maxUnmapBlocks, 0xffffffff);
    for (let lba = offset / bs, left = length / bs; left > 0; ) {
      const n = Math.min(left, most);
      const { cdb, parameters } = unmapCommand(lba, n);
      const r = await this.#exec(cdb, parameters, null, 0, lba, n, true);
      // The array stopped taking UNMAP (reconfigured under us): writing zeros still works.
      if (isIllegalRequest(r)) return false;
      good(r, 'UNMAP', this.#where);
      lba += n;
      left -= n;
    }
    return true;
  }

  /** Reads the capacity from the array again (READ CAPACITY(16), else (10)); bytes. */
  async capacity(): Promise<number> {
    const c = await readCapacity((cdb, n) => this.#exec(cdb, null, null, n, 0, 0, false), this.#where);
    this.#sizeBytes = c.blocks * c.blockSize;
    return this.#sizeBytes;
  }

  /** Waits for I/O in flight, logs out; later I/O fails with EBADF. The array is left as it is. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of [this.#ping, this.#outage, this.#busyTimer]) if (t) clearTimeout(t);
    if (this.#backoff) {
      clearTimeout(this.#backoff.timer);
      this.#backoff.wake();
    }
    for (const op of this.#queue.splice(0)) op.reject(ebadf());
    if (this.#inflight.size > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    if (this.#connected) {
      const s = this.#session.initiator;
      await Promise.race([s.logout().catch(() => 0), new Promise((r) => setTimeout(r, 2000))]);
      s.close();
    }
  }

  #split(buf: Buffer, offset: number, write: boolean, fua: boolean): Promise<void> {
    const bad = this.#closed ? ebadf() : this.#misaligned(offset, buf.length);
    if (bad) return Promise.reject(bad);
    const most = this.#session.maxIoBytes;
    if (buf.length <= most) return this.#transfer(buf, offset, write, fua);
    const parts: Array<Promise<void>> = [];
    for (let at = 0; at < buf.length; at += most) {
      parts.push(this.#transfer(buf.subarray(at, Math.min(at + most, buf.length)), offset + at, write, fua));
    }
    // Every part settles before the caller hears: it may reuse the buffer at once.
    return Promise.allSettled(parts).then((results) => {
      for (const r of results) if (r.status === 'rejected') throw r.reason;
    });
  }

  async #transfer(buf: Buffer, offset: number, write: boolean, fua: boolean): Promise<void> {
    const bs = this.#blockSize;
    const lba = offset / bs;
    const blocks = buf.length / bs;
    if (write) {
      good(await this.#exec(writeCdb(lba, blocks, fua), buf, null, 0, lba, blocks, true), 'WRITE', this.#where);
      return;
    }
    const r = await this.#exec(readCdb(lba, blocks), null, buf, buf.length, lba, blocks, false);
    good(r, 'READ', this.#where);
    if (r.data.length < buf.length) throw new RemoteIoError(`${this.#where}: READ at LBA ${lba} returned ${r.data.length} of ${buf.length} bytes`);
    if (r.data.buffer !== buf.buffer || r.data.byteOffset !== buf.byteOffset) r.data.copy(buf, 0, 0, buf.length);
  }

  #misaligned(offset: number, length: number): Error | null {
    const bs = this.#blockSize;
    if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset % bs !== 0 || length % bs !== 0) {
      return einval(`I/O at ${offset}+${length} is not in whole ${bs}-byte blocks`);
    }
    if (offset + length > this.#sizeBytes) return einval(`I/O at ${offset}+${length} ends past the LUN's ${this.#sizeBytes} bytes`);
    return null;
  }

  /* ------------------------------------------------------------ the queue */

  #exec(cdb: Buffer, out: Buffer | null, into: Buffer | null, readLength: number, lba: number, blocks: number, writes: boolean): Promise<ScsiReply> {
    return new Promise<ScsiReply>((resolve, reject) => {
      if (this.#closed) return reject(ebadf());
      if (this.#health.state === 'unreachable') return reject(this.#unreachable());
      this.#queue.push({ seq: this.#seq++, cdb, out, into, readLength, lba, blocks, writes, unitAttentions: 0, busy: 0, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    const s = this.#session;
    // A connection that failed but has not closed yet takes nothing: the op would fail at
    // once, be queued again and sent again, a loop of promises that never yields.
    if (!this.#connected || this.#closed || s.initiator.isClosed) return;
    while (this.#queue.length > 0 && this.#inflight.size < this.#depth) {
      const op = this.#queue[0]!;
      if (this.#blocked(op)) break;
      this.#queue.shift();
      this.#inflight.add(op);
      s.initiator
        .scsi(this.#settings.lun, op.cdb, { ...(op.out ? { dataOut: op.out } : {}), readLength: op.readLength, ...(op.into ? { into: op.into } : {}) })
        .then(
          (r) => this.#answered(op, r),
          (e: Error) => this.#failed(op, s, e),
        );
    }
  }

  #blocked(op: Op): boolean {
    if (op.blocks === 0) return false;
    const end = op.lba + op.blocks;
    for (const f of this.#inflight) {
      if (f.blocks !== 0 && (op.writes || f.writes) && op.lba < f.lba + f.blocks && f.lba < end) return true;
    }
    return false;
  }

  #answered(op: Op, r: ScsiReply): void {
    this.#settle(op);
    if (isUnitAttention(r) && op.unitAttentions++ < MAX_UNIT_ATTENTIONS) this.#requeue(op);
    else if ((r.status === BUSY || r.status === TASK_SET_FULL) && op.busy++ < MAX_BUSY_RETRIES) {
      this.#requeue(op);
      // The array is full: give it a moment rather than spin on the same answer.
      this.#busyTimer ??= setTimeout(() => {
        this.#busyTimer = null;
        this.#pump();
      }, BUSY_RETRY_MS);
      return;
    } else op.resolve(r);
    this.#pump();
  }

  #failed(op: Op, s: Session, e: Error): void {
    this.#settle(op);
    if (e instanceof RejectedError) {
      op.reject(new RemoteIoError(`${this.#where}: the array rejected the command: ${e.message}`));
    } else {
      this.#requeue(op);
      // Unanswered on a connection still up: it is dead all the same; a new one is made.
      if (this.#connected && s === this.#session && !s.initiator.isClosed) s.initiator.close();
    }
    this.#pump();
  }

  #settle(op: Op): void {
    this.#inflight.delete(op);
    if (this.#inflight.size === 0 && this.#drained) this.#drained();
  }

  #requeue(op: Op): void {
    if (this.#closed) return op.reject(ebadf());
    if (this.#health.state === 'unreachable') return op.reject(this.#unreachable());
    let i = this.#queue.length;
    while (i > 0 && this.#queue[i - 1]!.seq > op.seq) i--;
    this.#queue.splice(i, 0, op);
  }

  #unreachable(): RemoteIoError {
    const h = this.#health;
    return new RemoteIoError(`${this.#where} unreachable since ${new Date(h.since).toISOString()}: ${h.lastError ?? 'no connection'}`);
  }

  /* ------------------------------------------------------------ the connection */

  #watch(s: Session): void {
    void s.initiator.whenClosed().then(() => this.#lost(s));
    this.#ping = setInterval(() => this.#checkAlive(s), this.#pingIntervalMs);
    this.#ping.unref();
  }

  #checkAlive(s: Session): void {
    if (this.#pinging || s !== this.#session || !this.#connected) return;
    this.#pinging = true;
    s.initiator.nop(null, true).then(
      () => {
        this.#pinging = false;
      },
      () => {
        this.#pinging = false;
        if (s === this.#session) s.initiator.close();
      },
    );
  }

  #lost(s: Session): void {
    if (s !== this.#session || !this.#connected) return;
    this.#connected = false;
    if (this.#ping) clearInterval(this.#ping);
    this.#ping = null;
    this.#pinging = false;
    if (this.#closed) return;
    this.#setHealth('reconnecting', s.initiator.closeError?.message ?? 'connection closed');
    this.#outage = setTimeout(() => this.#giveUp(), this.#unreachableAfterMs);
    void this.#reconnect();
  }

  async #reconnect(): Promise<void> {
    let delay = this.#backoffFirstMs;
    while (!this.#closed) {
      await new Promise<void>((wake) => (this.#backoff = { timer: setTimeout(wake, delay), wake }));
      this.#backoff = null;
      if (this.#closed) return;
      try {
        const s = await openSession(this.#settings);
        if (this.#closed) {
          s.initiator.close();
          return;
        }
        if (s.capacity.blockSize !== this.#blockSize) {
          s.initiator.close();
          throw new Error(`the LUN's block size changed from ${this.#blockSize} to ${s.capacity.blockSize}`);
        }
        this.#attach(s);
        return;
      } catch (err) {
        this.#health = { ...this.#health, lastError: (err as Error).message };
        delay = Math.min(delay * 2, this.#backoffMaxMs);
      }
    }
  }

  /** What a login learned that the next one should start from. */
  #remember(s: Session): void {
    if (s.chapOffer) this.#settings = { ...this.#settings, chapOffer: s.chapOffer };
  }

  #attach(s: Session): void {
    this.#session = s;
    this.#remember(s);
    this.#connected = true;
    this.#sizeBytes = s.capacity.blocks * s.capacity.blockSize;
    if (this.#outage) clearTimeout(this.#outage);
    this.#outage = null;
    this.#watch(s);
    this.#setHealth('connected', this.#health.lastError);
    this.#pump();
  }

  #giveUp(): void {
    this.#outage = null;
    if (this.#connected || this.#closed) return;
    this.#setHealth('unreachable', this.#health.lastError);
    const err = this.#unreachable();
    for (const op of this.#queue.splice(0)) op.reject(err);
  }

  #setHealth(state: TransportState, lastError: string | null): void {
    this.#health = { state, since: Date.now(), lastError };
    for (const l of this.#listeners) {
      try {
        l(this.#health);
      } catch {
        // a listener's failure is its own; the connection goes on
      }
    }
  }
}

/** GOOD, or the array's answer as an EIO naming the command and the sense. */
function good(r: ScsiReply, what: string, where: string): void {
  if (r.status === 0) return;
  const detail = r.status === CHECK_CONDITION ? describeSense(parseSense(r.sense)) : `status 0x${r.status.toString(16)}`;
  throw new RemoteIoError(`${where}: ${what} failed: ${detail}`);
}

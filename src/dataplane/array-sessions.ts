/**
 * The sessions to the external arrays behind iscsi pools (the domain's ArrayLinks): one
 * RemoteLun per pool, shared by every extent carved out of it, each a RangeBackstore
 * over it. A pool's session is opened when the pool is made (the domain waits for that
 * login) and, for every iscsi pool of the configuration, when sanbox starts: then in the
 * background, again and again until the array answers, so an array that is down never
 * keeps sanbox from starting (its pool is offline, its LUNs NOT READY until then). It
 * closes when its pool leaves the configuration.
 *
 * sanbox logs in to every array as one fixed initiator name, SANBOX_INITIATOR: an array's
 * ACL or CHAP account for sanbox then never changes when the FreeNAS basename does.
 */
import type { Logger } from 'pino';
import { zeroRange } from '../backstore/range.js';
import type { BlockTransport, TransportHealth } from '../backstore/transport.js';
import { arrayLunOf } from '../domain/array-source.js';
import type { Pool } from '../domain/entities.js';
import type { ArrayAnswer, ArrayLinks, ArrayLun, ArrayRefusal, PoolMeasure } from '../domain/ports.js';
import { RemoteLoginError } from '../initiator/remote-errors.js';
import { RemoteLun, type RemoteLunOptions } from '../initiator/remote-lun.js';

export const SANBOX_INITIATOR = 'iqn.2026-01.org.sanbox:initiator';

export interface ArraySessionOptions {
  initiatorName: string;
  /** How long I/O waits for a lost connection before it fails, and the pool turns offline. */
  unreachableAfterMs: number;
  /** A lost connection is made again after this, doubling up to backoffMaxMs. */
  backoffFirstMs: number;
  backoffMaxMs: number;
  /** An array that did not answer at start is tried again after this, doubling up to reopenMaxMs. */
  reopenFirstMs: number;
  reopenMaxMs: number;
  /** status/check waits this long for the array's answer. */
  probeTimeoutMs: number;
  connectTimeoutMs: number;
}

const DEFAULTS: ArraySessionOptions = {
  initiatorName: SANBOX_INITIATOR,
  unreachableAfterMs: 30_000,
  backoffFirstMs: 250,
  backoffMaxMs: 5_000,
  reopenFirstMs: 1_000,
  reopenMaxMs: 30_000,
  probeTimeoutMs: 3_000,
  connectTimeoutMs: 5_000,
};

/** Codes of a connection that never reached a login: nothing answers there. */
const NO_ANSWER = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL', 'ENOTFOUND']);

interface Session {
  name: string;
  /** The LUN and credentials it logs in with (compared, never logged). */
  key: string;
  lun: ArrayLun;
  remote: RemoteLun | null;
  /** Opened for a pool not committed yet: kept until a configuration has the pool, or drop(). */
  pending: boolean;
  closed: boolean;
  /** Why the last login failed, while there is no session. */
  lastError: string | null;
  /** A probe the array did not answer while the connection looked up; cleared by the next change. */
  probeFailure: string | null;
  retry: NodeJS.Timeout | null;
  delay: number;
  attempt: Promise<void> | null;
  unwatch: (() => void) | null;
}

export class ArraySessions implements ArrayLinks {
  private readonly sessions = new Map<string, Session>();
  private readonly closing = new Set<Promise<void>>();
  private readonly o: ArraySessionOptions;

  /** `changed`: a session came, went or changed health (the data plane re-checks its LUs). */
  constructor(
    private readonly log: Logger,
    private readonly changed: () => void,
    options: Partial<ArraySessionOptions> = {},
  ) {
    this.o = { ...DEFAULTS, ...options };
  }

  async open(poolUuid: string, lun: ArrayLun): Promise<ArrayAnswer> {
    let remote: RemoteLun;
    try {
      remote = await RemoteLun.open(this.remoteOptions(lun));
    } catch (err) {
      return { ok: false, ...refusalOf(err) };
    }
    const old = this.sessions.get(poolUuid);
    if (old) this.end(poolUuid, old);
    // Named by its uuid until the configuration that has it names it.
    const s = this.session(poolUuid, lun, true);
    this.sessions.set(poolUuid, s);
    this.attach(s, remote);
    this.log.info(
      { pool: poolUuid, array: where(lun), blockSize: remote.blockSize, sizeBytes: remote.sizeBytes },
      'logged in to the array of a new iscsi pool',
    );
    return { ok: true, figures: this.measure(poolUuid) };
  }

  async drop(poolUuid: string): Promise<void> {
    const s = this.sessions.get(poolUuid);
    if (s) this.end(poolUuid, s);
    await this.settled();
  }

  /** Follows the configuration: sessions for its iscsi pools, none for pools it no longer has. */
  reconcile(pools: readonly Pool[]): void {
    const wanted = new Map<string, { pool: Pool; lun: ArrayLun }>();
    for (const pool of pools) {
      if (pool.type !== 'iscsi') continue;
      try {
        wanted.set(pool.uuid, { pool, lun: arrayLunOf(pool) });
      } catch (err) {
        this.log.error({ pool: pool.name, err: (err as Error).message }, 'iscsi pool names no array LUN: it stays offline');
      }
    }
    for (const [uuid, s] of this.sessions) {
      const w = wanted.get(uuid);
      if (!w) {
        if (!s.pending) this.end(uuid, s);
        continue;
      }
      s.pending = false;
      s.name = w.pool.name;
      if (keyOf(w.lun) !== s.key) this.end(uuid, s);
    }
    for (const [uuid, w] of wanted) {
      if (this.sessions.has(uuid)) continue;
      const s = this.session(w.pool.name, w.lun, false);
      this.sessions.set(uuid, s);
      void this.attempt(s);
    }
  }

  /** The pool's open transport, for the ranges carved out of it. */
  transport(poolUuid: string): BlockTransport {
    const s = this.sessions.get(poolUuid);
    if (s?.remote) return s.remote;
    const why = s?.lastError ? `no session to the pool's array: ${s.lastError}` : "no session to the pool's array yet";
    throw Object.assign(new Error(why), { code: 'ENOTCONN' });
  }

  /** connected: healthy; reconnecting: degraded; unreachable past the bound, or never logged in: offline. */
  measure(poolUuid: string): PoolMeasure {
    const s = this.sessions.get(poolUuid);
    if (!s) return offline(0, 'no session to the array: the pool is not in the running configuration');
    if (!s.remote) return offline(0, s.lastError ? `cannot log in to the array: ${s.lastError}` : 'logging in to the array');
    const capacity = s.remote.sizeBytes;
    const h = s.remote.health();
    const figures = (health: PoolMeasure['health'], reason: string | null): PoolMeasure => ({
      capacityBytes: capacity,
      usedBytes: 0,
      freeBytes: capacity,
      health,
      reason,
    });
    switch (h.state) {
      case 'connected':
        return s.probeFailure ? figures('degraded', s.probeFailure) : figures('healthy', null);
      case 'reconnecting':
        return figures('degraded', `reconnecting to the array since ${since(h)}`);
      case 'unreachable':
        // The last capacity read stays: the LUN did not shrink because the cable did.
        return offline(capacity, `the array is unreachable since ${since(h)}`);
    }
  }

  async probe(poolUuid: string): Promise<PoolMeasure> {
    const s = this.sessions.get(poolUuid);
    if (s && !s.remote) {
      await bounded(this.attempt(s), this.o.probeTimeoutMs).catch(() => undefined);
    } else if (s?.remote && s.remote.health().state === 'connected') {
      try {
        await bounded(s.remote.capacity(), this.o.probeTimeoutMs);
        s.probeFailure = null;
      } catch (err) {
        s.probeFailure = `the array did not answer READ CAPACITY: ${(err as Error).message}`;
      }
    }
    // Reconnecting or unreachable: the reconnect loop is probing already.
    return this.measure(poolUuid);
  }

  zero(poolUuid: string, offset: number, length: number): Promise<void> {
    return zeroRange(this.transport(poolUuid), offset, length);
  }

  async closeAll(): Promise<void> {
    for (const [uuid, s] of [...this.sessions]) this.end(uuid, s);
    await this.settled();
  }

  private session(name: string, lun: ArrayLun, pending: boolean): Session {
    return {
      name,
      key: keyOf(lun),
      lun,
      remote: null,
      pending,
      closed: false,
      lastError: null,
      probeFailure: null,
      retry: null,
      delay: this.o.reopenFirstMs,
      attempt: null,
      unwatch: null,
    };
  }

  /** One login now (or the one under way); on failure the next is scheduled. */
  private attempt(s: Session): Promise<void> {
    if (s.attempt) return s.attempt;
    if (s.retry) clearTimeout(s.retry);
    s.retry = null;
    const attempt = RemoteLun.open(this.remoteOptions(s.lun)).then(
      async (remote) => {
        s.attempt = null;
        if (s.closed) return remote.close();
        const waited = s.lastError;
        this.attach(s, remote);
        this.log.info({ pool: s.name, array: where(s.lun), after: waited }, 'logged in to the array of iscsi pool: its extents come online');
        this.changed();
      },
      (err: Error) => {
        s.attempt = null;
        const first = s.lastError === null;
        s.lastError = err.message;
        if (first) {
          this.log.warn(
            { pool: s.name, array: where(s.lun), err: err.message },
            'the array of iscsi pool does not answer: the pool is offline and its LUNs NOT READY; sanbox keeps trying',
          );
        }
        if (s.closed) return;
        s.retry = setTimeout(() => void this.attempt(s), s.delay);
        s.retry.unref();
        s.delay = Math.min(s.delay * 2, this.o.reopenMaxMs);
      },
    );
    s.attempt = attempt;
    return attempt;
  }

  private attach(s: Session, remote: RemoteLun): void {
    s.remote = remote;
    s.lastError = null;
    s.unwatch = remote.onHealthChange((h) => {
      s.probeFailure = null;
      this.logHealth(s, h);
      this.changed();
    });
  }

  private logHealth(s: Session, h: TransportHealth): void {
    const at = { pool: s.name, array: where(s.lun), err: h.lastError };
    if (h.state === 'connected') this.log.info(at, 'reconnected to the array of iscsi pool');
    else if (h.state === 'reconnecting') this.log.warn(at, 'lost the connection to the array of iscsi pool: reconnecting, I/O waits');
    else this.log.error(at, 'the array of iscsi pool stayed away past the bound: the pool is offline and its LUNs NOT READY until it is back');
  }

  private end(uuid: string, s: Session): void {
    this.sessions.delete(uuid);
    s.closed = true;
    if (s.retry) clearTimeout(s.retry);
    s.retry = null;
    s.unwatch?.();
    const remote = s.remote;
    s.remote = null;
    if (!remote) return;
    const closing = remote.close().catch((err: Error) => this.log.warn({ pool: s.name, err: err.message }, 'logging out of the array failed'));
    this.closing.add(closing);
    void closing.then(() => this.closing.delete(closing));
  }

  private async settled(): Promise<void> {
    await Promise.all([...this.closing]);
  }

  private remoteOptions(lun: ArrayLun): RemoteLunOptions {
    return {
      address: lun.address,
      port: lun.port,
      targetName: lun.targetName,
      lun: lun.lun,
      ...(lun.chap ? { chap: lun.chap } : {}),
      initiatorName: this.o.initiatorName,
      unreachableAfterMs: this.o.unreachableAfterMs,
      backoffFirstMs: this.o.backoffFirstMs,
      backoffMaxMs: this.o.backoffMaxMs,
      connectTimeoutMs: this.o.connectTimeoutMs,
    };
  }
}

/** Why a login failed, as the domain tells its client (the message names the portal, never a secret). */
function refusalOf(err: unknown): { refusal: ArrayRefusal; reason: string } {
  const reason = err instanceof Error ? err.message : String(err);
  if (!(err instanceof RemoteLoginError)) return { refusal: 'unusable', reason };
  if (err.code === 'EACCES') return { refusal: 'auth', reason };
  if (err.status === 0x0203 || err.status === 0x0204) return { refusal: 'no-target', reason };
  if (err.status === null && NO_ANSWER.has(err.code)) return { refusal: 'unreachable', reason };
  return { refusal: 'unusable', reason };
}

function keyOf(lun: ArrayLun): string {
  return JSON.stringify([lun.address, lun.port, lun.targetName, lun.lun, lun.chap?.user ?? null, lun.chap?.secret ?? null]);
}

function where(lun: ArrayLun): string {
  return `${lun.targetName} LUN ${lun.lun} at ${lun.address}:${lun.port}`;
}

function since(h: TransportHealth): string {
  return `${new Date(h.since).toISOString()}${h.lastError ? ` (${h.lastError})` : ''}`;
}

function offline(capacityBytes: number, reason: string): PoolMeasure {
  return { capacityBytes, usedBytes: 0, freeBytes: capacityBytes, health: 'offline', reason };
}

/** `p`, or a rejection after `ms`; `p` settling later is handled. */
function bounded<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

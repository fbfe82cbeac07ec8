/**
 * The cluster connections behind rbd pools (the domain's RbdLinks): one RbdCluster per
 * pool, shared by every image of it. A pool's connection is made when the pool is made
 * (the domain waits for the cluster's answer) and, for every rbd pool of the
 * configuration, when sanbox starts: then in the background, again and again until the
 * cluster answers, so a cluster that is down never keeps sanbox from starting (the
 * pool's LUNs are NOT READY until then). It ends when its pool leaves the configuration,
 * after the LUs on its images have closed them.
 *
 * The figures (capacity, used, free) are read from the cluster every `refreshMs` and
 * when the pool is checked, never on a list: measure() answers from the last reading. A
 * pool is degraded while its cluster fails requests (an OSD down: I/O times out), and
 * healthy again after the next request that succeeds.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { RbdImages } from '../backstore/backstore.js';
import { type ClusterStats, RbdCluster, type RbdTimeouts } from '../backstore/rbd.js';
import type { Pool } from '../domain/entities.js';
import type { PoolMeasure, RbdLinks, RbdTarget } from '../domain/ports.js';
import { rbdTargetOf } from '../domain/rbd-source.js';

export interface RbdPoolOptions extends RbdTimeouts {
  /** How often each pool's figures are read from the cluster. */
  refreshMs: number;
  /** A cluster that did not answer at start is tried again after this, doubling up to reopenMaxMs. */
  reopenFirstMs: number;
  reopenMaxMs: number;
}

const DEFAULTS: RbdPoolOptions = { monTimeoutS: 10, osdTimeoutS: 20, refreshMs: 10_000, reopenFirstMs: 1_000, reopenMaxMs: 30_000 };

interface Link {
  name: string;
  /** What it connects to, compared (the key is never logged). */
  key: string;
  target: RbdTarget;
  cluster: RbdCluster | null;
  /** Made for a pool not committed yet: kept until a configuration has it, or drop(). */
  pending: boolean;
  closed: boolean;
  /** Why the last connect or figures reading failed; null after one succeeded. */
  lastError: string | null;
  stats: ClusterStats | null;
  connecting: Promise<void> | null;
  retry: NodeJS.Timeout | null;
  delay: number;
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message}` : e.message;
}

function where(t: RbdTarget): string {
  return `${t.monitors.join(',')}${t.port ? `:${t.port}` : ''} ${t.pool}${t.namespace ? `/${t.namespace}` : ''}`;
}

export class RbdPools implements RbdLinks {
  private readonly links = new Map<string, Link>();
  private readonly o: RbdPoolOptions;
  private readonly timer: NodeJS.Timeout;

  /** `changed`: a connection came or went (the data plane re-checks its LUs). */
  constructor(
    private readonly log: Logger,
    private readonly changed: () => void,
    options: Partial<RbdPoolOptions> = {},
  ) {
    this.o = { ...DEFAULTS, ...options };
    this.timer = setInterval(() => this.refreshAll(), this.o.refreshMs);
    this.timer.unref();
  }

  async open(poolUuid: string, target: RbdTarget): Promise<{ ok: true; figures: PoolMeasure } | { ok: false; reason: string }> {
    let cluster: RbdCluster;
    try {
      cluster = await RbdCluster.connect(target, this.o);
    } catch (err) {
      return { ok: false, reason: describe(err) };
    }
    let stats: ClusterStats;
    try {
      // Opens the RADOS pool (and namespace): a pool that does not exist is ENOENT here.
      stats = await cluster.stats();
    } catch (err) {
      await cluster.close().catch(() => undefined);
      const e = err as NodeJS.ErrnoException;
      return { ok: false, reason: e.code === 'ENOENT' ? `the cluster has no pool ${target.pool}` : describe(err) };
    }
    const old = this.links.get(poolUuid);
    if (old) await this.end(old);
    const link = this.link(poolUuid, target, true);
    link.cluster = cluster;
    link.stats = stats;
    this.links.set(poolUuid, link);
    this.log.info({ pool: poolUuid, cluster: where(target) }, 'connected to the Ceph cluster of a new rbd pool');
    return { ok: true, figures: this.measure(poolUuid) };
  }

  async drop(poolUuid: string): Promise<void> {
    const link = this.links.get(poolUuid);
    if (!link) return;
    this.links.delete(poolUuid);
    await this.end(link);
  }

  /** Connections for the configuration's rbd pools (in the background); call before its LUs open. */
  reconcile(pools: readonly Pool[]): void {
    for (const pool of pools) {
      if (pool.type !== 'rbd') continue;
      let target: RbdTarget;
      try {
        target = rbdTargetOf(pool);
      } catch (err) {
        this.log.error({ pool: pool.name, err: (err as Error).message }, 'rbd pool names no Ceph pool: it stays offline');
        continue;
      }
      const have = this.links.get(pool.uuid);
      if (have && have.key === JSON.stringify(target)) {
        have.pending = false;
        have.name = pool.name;
        continue;
      }
      if (have) void this.end(have);
      const link = this.link(pool.uuid, target, false);
      link.name = pool.name;
      this.links.set(pool.uuid, link);
      void this.connect(link);
    }
  }

  /** Ends the connections of pools the configuration no longer has; call after its LUs closed. */
  async prune(pools: readonly Pool[]): Promise<void> {
    const wanted = new Set(pools.filter((p) => p.type === 'rbd').map((p) => p.uuid));
    for (const [uuid, link] of [...this.links]) {
      if (wanted.has(uuid) || link.pending) continue;
      this.links.delete(uuid);
      await this.end(link);
    }
  }

  /** Opens images for the LUs of a pool; throws ENOTCONN while the pool has no connection. */
  images(poolUuid: string): RbdImages {
    const link = this.links.get(poolUuid);
    if (link) this.renewIfBlocklisted(link);
    if (!link?.cluster) {
      throw Object.assign(new Error(`the rbd pool's cluster is not connected${link?.lastError ? `: ${link.lastError}` : ''}`), { code: 'ENOTCONN' });
    }
    return link.cluster;
  }

  measure(poolUuid: string): PoolMeasure {
    const link = this.links.get(poolUuid);
    const offline = (reason: string): PoolMeasure => ({ capacityBytes: 0, usedBytes: 0, freeBytes: 0, health: 'offline', reason });
    if (!link) return offline('the rbd pool has no cluster connection');
    if (!link.cluster) return offline(`the Ceph cluster at ${where(link.target)} does not answer${link.lastError ? `: ${link.lastError}` : ''}`);
    const s = link.stats;
    const figures = s ? { capacityBytes: s.totalBytes, usedBytes: s.poolBytes, freeBytes: s.availBytes } : { capacityBytes: 0, usedBytes: 0, freeBytes: 0 };
    const h = link.cluster.health();
    if (h.state === 'failing')
      return { ...figures, health: 'degraded', reason: `the cluster fails requests since ${new Date(h.since).toISOString()}: ${h.lastError}` };
    if (link.lastError) return { ...figures, health: 'degraded', reason: `the cluster's figures cannot be read: ${link.lastError}` };
    return { ...figures, health: 'healthy', reason: null };
  }

  async probe(poolUuid: string): Promise<PoolMeasure> {
    const link = this.links.get(poolUuid);
    if (link && !link.cluster) await (link.connecting ?? this.connect(link));
    if (link) await this.refresh(link);
    return this.measure(poolUuid);
  }

  createImage(poolUuid: string, image: string, sizeBytes: number): Promise<void> {
    return this.cluster(poolUuid).createImage(image, sizeBytes);
  }

  resizeImage(poolUuid: string, image: string, sizeBytes: number): Promise<void> {
    return this.cluster(poolUuid).resizeImage(image, sizeBytes);
  }

  removeImage(poolUuid: string, image: string): Promise<void> {
    return this.cluster(poolUuid).removeImage(image);
  }

  /** Waits for the pool's connection (a cluster down at start is retried meanwhile), then removes the image if it is that new. */
  async removeImageMadeSince(poolUuid: string, image: string, sinceMs: number): Promise<boolean> {
    for (;;) {
      const link = this.links.get(poolUuid);
      if (!link || link.closed) throw Object.assign(new Error('the rbd pool has no cluster connection'), { code: 'ENOTCONN' });
      this.renewIfBlocklisted(link);
      if (link.cluster) return link.cluster.removeImageMadeSince(image, sinceMs);
      await (link.connecting ?? sleep(link.delay, undefined, { ref: false }));
    }
  }

  async closeAll(): Promise<void> {
    clearInterval(this.timer);
    for (const [uuid, link] of [...this.links]) {
      this.links.delete(uuid);
      await this.end(link);
    }
  }

  private cluster(poolUuid: string): RbdCluster {
    const link = this.links.get(poolUuid);
    if (link) this.renewIfBlocklisted(link);
    if (!link?.cluster) throw Object.assign(new Error(`the cluster is not connected${link?.lastError ? `: ${link.lastError}` : ''}`), { code: 'ENOTCONN' });
    return link.cluster;
  }

  private link(uuid: string, target: RbdTarget, pending: boolean): Link {
    return {
      name: uuid,
      key: JSON.stringify(target),
      target,
      cluster: null,
      pending,
      closed: false,
      lastError: null,
      stats: null,
      connecting: null,
      retry: null,
      delay: this.o.reopenFirstMs,
    };
  }

  private connect(link: Link): Promise<void> {
    if (link.connecting) return link.connecting;
    if (link.retry) clearTimeout(link.retry);
    link.retry = null;
    link.connecting = (async () => {
      try {
        const cluster = await RbdCluster.connect(link.target, this.o);
        if (link.closed) {
          await cluster.close();
          return;
        }
        link.cluster = cluster;
        link.lastError = null;
        link.delay = this.o.reopenFirstMs;
        this.log.info({ pool: link.name, cluster: where(link.target) }, 'connected to the Ceph cluster of an rbd pool');
        await this.refresh(link);
        this.changed();
      } catch (err) {
        link.lastError = describe(err);
        this.log.warn(
          { pool: link.name, cluster: where(link.target), err: link.lastError, retryMs: link.delay },
          'the Ceph cluster of an rbd pool does not answer',
        );
        if (!link.closed) {
          link.retry = setTimeout(() => void this.connect(link), link.delay);
          link.retry.unref();
          link.delay = Math.min(link.delay * 2, this.o.reopenMaxMs);
        }
      } finally {
        link.connecting = null;
      }
    })();
    return link.connecting;
  }

  /**
   * A connection the cluster blocklisted serves nothing again: it is retired (it shuts
   * down once the LUs closed its images) and the pool connects anew, as at start; the data
   * plane re-checks its LUs when the new one is up.
   */
  private renewIfBlocklisted(link: Link): void {
    const old = link.cluster;
    if (!old?.blocklisted || link.closed) return;
    link.cluster = null;
    link.lastError = 'ESHUTDOWN: the cluster blocklisted this client; connecting again';
    this.log.warn({ pool: link.name, cluster: where(link.target) }, "the Ceph cluster blocklisted the rbd pool's client: connecting again");
    void old.retire().catch((err) => this.log.warn({ pool: link.name, err: describe(err) }, 'closing the cluster connection failed'));
    void this.connect(link);
  }

  private async refresh(link: Link): Promise<void> {
    if (!link.cluster) return;
    try {
      link.stats = await link.cluster.stats();
      link.lastError = null;
    } catch (err) {
      link.lastError = describe(err);
    }
  }

  private refreshAll(): void {
    for (const link of this.links.values()) {
      this.renewIfBlocklisted(link);
      void this.refresh(link);
    }
  }

  private async end(link: Link): Promise<void> {
    link.closed = true;
    if (link.retry) clearTimeout(link.retry);
    if (link.connecting) await link.connecting;
    const cluster = link.cluster;
    link.cluster = null;
    if (cluster) await cluster.close().catch((err) => this.log.warn({ pool: link.name, err: describe(err) }, 'closing the cluster connection failed'));
  }
}

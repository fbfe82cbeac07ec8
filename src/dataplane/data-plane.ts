/**
 * The data plane: turns each committed configuration into running listeners, logical units
 * and a target catalog, and answers live-status queries. It is the only owner of
 * listeners. Reconciles run one at a time, in commit order.
 */
import type net from 'node:net';
import type { Logger } from 'pino';
import type { ConfigSnapshot } from '../domain/entities.js';
import type { ConfigApplier, LiveCounters, LiveStatus, LiveStatusSource } from '../domain/ports.js';
import type { PortalContext } from '../iscsi/catalog.js';
import { IscsiTargetServer } from '../iscsi/target-server.js';
import type { IscsiLimits } from '../iscsi/limits.js';
import { ArraySessions, type ArraySessionOptions } from './array-sessions.js';
import { DeviceLinks } from './device-links.js';
import { RbdPools, type RbdPoolOptions } from './rbd-pools.js';
import { desiredState, planKey, type TargetPlan } from './desired-state.js';
import { LiveCatalog } from './live-catalog.js';
import { PortalListeners } from './listeners.js';
import { LogicalUnits } from './logical-units.js';
import type { LogicalUnit } from '../scsi/types.js';
import { DEFAULT_TENANT_ID } from '../domain/tenants.js';

/** Offline extents are looked for this often. */
export const MEDIUM_RECHECK_MS = 2000;

export class DataPlane implements ConfigApplier, LiveStatusSource {
  private catalog: LiveCatalog | null = null;
  private readonly iscsi: IscsiTargetServer;
  private readonly listeners: PortalListeners;
  private readonly lus: LogicalUnits;
  /** The sessions to the arrays behind iscsi pools: the domain's ArrayLinks port. */
  readonly arrays: ArraySessions;
  /** The block devices behind device pools: the domain's DeviceLinks port. */
  readonly devices: DeviceLinks;
  /** The cluster connections behind rbd pools: the domain's RbdLinks port. */
  readonly rbd: RbdPools;
  /** By plan key: its plan and every LU it serves, by LUN number (`group/number` in a masked view). */
  private previous = new Map<string, { plan: TargetPlan; luns: Map<number | string, LogicalUnit> }>();
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly mediumTimer: NodeJS.Timeout;
  private recheckQueued = false;
  /** Tenants whose iSCSI service is off, as last applied; a fresh data plane serves nothing until then. */
  private tenantsOff: ReadonlySet<number> = new Set();
  private reconciled = false;
  /** Each served target's tenant's name, by target name (the counters' tenant label). */
  private tenantOf: ReadonlyMap<string, string> = new Map();

  /**
   * `limits`: the iSCSI target's process-wide limits. `mediumRecheckMs`: how often offline
   * extents are looked for again (and online ones checked for a file deleted under them);
   * a restored file is served within that time. `arrays`: the bounds and retries of the
   * sessions to iscsi pools' arrays.
   */
  constructor(
    private readonly log: Logger,
    limits: Partial<IscsiLimits> & { ioCounters?: boolean; readInPlace?: boolean } = {},
    mediumRecheckMs = MEDIUM_RECHECK_MS,
    arrays: Partial<ArraySessionOptions> = {},
    rbd: Partial<RbdPoolOptions> = {},
  ) {
    const catalogView = {
      globals: () => this.current().globals(),
      target: (name: string, portalGroup: number) => this.current().target(name, portalGroup),
      targetsInGroup: (portalGroup: number) => this.current().targetsInGroup(portalGroup),
      portalAddresses: (portalGroup: number) => this.current().portalAddresses(portalGroup),
    };
    this.iscsi = new IscsiTargetServer({
      catalog: catalogView,
      logger: log.child({ layer: 'iscsi' }),
      limits,
      countIo: limits.ioCounters !== false,
      readInPlace: limits.readInPlace !== false,
    });
    this.listeners = new PortalListeners((socket: net.Socket, portal: PortalContext) => this.accept(socket, portal), log.child({ layer: 'portal' }));
    // A session that comes, goes or changes health brings its extents on- or offline at once.
    this.arrays = new ArraySessions(log.child({ layer: 'array' }), () => this.recheckMedia(), arrays);
    this.devices = new DeviceLinks(log.child({ layer: 'device' }), () => this.recheckMedia());
    this.rbd = new RbdPools(log.child({ layer: 'rbd' }), () => this.recheckMedia(), rbd);
    this.lus = new LogicalUnits(
      log.child({ layer: 'lu' }),
      (pool) => (this.devices.has(pool) ? this.devices.transport(pool) : this.arrays.transport(pool)),
      (pool) => this.rbd.images(pool),
    );
    this.mediumTimer = setInterval(() => this.recheckMedia(), mediumRecheckMs);
    this.mediumTimer.unref();
  }

  apply(snapshot: ConfigSnapshot): Promise<void> {
    const run = this.queue.then(() => this.reconcile(snapshot));
    // A failed reconcile is logged and must not wedge the ones after it.
    this.queue = run.catch((err) => this.log.error({ err: (err as Error).message }, 'reconcile failed'));
    return run;
  }

  status(): LiveStatus {
    return { listeners: this.listeners.status(), sessions: this.iscsi.sessions(), extents: this.lus.extents(), load: this.iscsi.load() };
  }

  counters(): LiveCounters {
    const c = this.iscsi.countersSnapshot();
    const tenant = (target: string | null) => (target === null ? null : (this.tenantOf.get(target) ?? null));
    return {
      lus: c.lus.map((l) => ({ ...l, tenant: tenant(l.target) })),
      initiators: c.initiators.map((i) => ({ ...i, tenant: tenant(i.target) })),
      portals: c.portals,
    };
  }

  endSession(tsih: number): boolean {
    return this.iscsi.dropSession(tsih, 'ended through the API');
  }

  /** The tenant's iSCSI targets are served now: switched on, and that configuration applied. */
  iscsiRunning(tenantId: number): boolean {
    return this.reconciled && !this.stopped && !this.tenantsOff.has(tenantId);
  }

  /** The TCP port a portal address is bound to (tests configure port 0 rarely; mostly informative). */
  boundPort(address: string): number | undefined {
    return this.listeners.boundPort(address);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.mediumTimer);
    await this.queue;
    await this.listeners.closeAll();
    await this.iscsi.close();
    await this.lus.closeAll();
    await this.arrays.closeAll();
    await this.devices.closeAll();
    await this.rbd.closeAll();
  }

  /** Queued behind reconciles, so it never races one; at most one waits at a time. */
  private recheckMedia(): void {
    if (this.stopped || this.recheckQueued) return;
    this.recheckQueued = true;
    this.queue = this.queue
      .then(() => {
        this.recheckQueued = false;
        return this.stopped ? undefined : this.lus.recheck();
      })
      .catch((err) => this.log.error({ err: (err as Error).message }, 'medium re-check failed'));
  }

  private current(): LiveCatalog {
    if (!this.catalog) throw new Error('data plane has no configuration yet');
    return this.catalog;
  }

  private accept(socket: net.Socket, portal: PortalContext): void {
    if (this.stopped || !this.catalog) {
      socket.destroy();
      return;
    }
    this.iscsi.handleConnection(socket, portal);
  }

  private async reconcile(snapshot: ConfigSnapshot): Promise<void> {
    if (this.stopped) return;
    const state = desiredState(snapshot);
    this.arrays.reconcile(snapshot.pools);
    await this.devices.reconcile(snapshot.pools);
    this.rbd.reconcile(snapshot.pools);
    const lus = await this.lus.reconcile(state.lus);
    // Only now are the images of deleted rbd pools' LUs closed: their connections can end.
    await this.rbd.prune(snapshot.pools);
    const next = new Map<string, { plan: TargetPlan; luns: Map<number | string, LogicalUnit> }>();
    const viewsOf = new Map<string, Map<number, LogicalUnit>[]>();
    const resolve = (wanted: ReadonlyMap<number, string>) => {
      const luns = new Map<number, LogicalUnit>();
      for (const [lun, key] of wanted) {
        const lu = lus.get(key);
        if (lu) luns.set(lun, lu);
      }
      return luns;
    };
    for (const plan of state.targets) {
      const luns = resolve(plan.luns);
      const views = plan.views?.map((v) => resolve(v.luns)) ?? null;
      if (views) viewsOf.set(plan.key, views);
      const all = new Map<number | string, LogicalUnit>(luns);
      plan.views?.forEach((v, i) => {
        for (const [lun, lu] of views![i]!) all.set(`${v.groupId}/${lun}`, lu);
      });
      next.set(plan.key, { plan, luns: all });
    }
    const ended = this.endedTargets(next);
    const lunsOf = new Map(state.targets.map((p) => [p.key, resolve(p.luns)] as const));
    const wasOff = this.reconciled ? this.tenantsOff : new Set<number>();
    this.catalog = new LiveCatalog(snapshot.globals, state, lunsOf, viewsOf);
    this.tenantsOff = state.tenantsOff;
    const sessionOf = (keys: ReadonlySet<string>) => (s: { targetName: string | null; portalGroup: number | null }) =>
      s.targetName !== null && s.portalGroup !== null && keys.has(planKey(s.targetName, s.portalGroup));
    const switchedOff = [...state.tenantsOff].filter((id) => !wasOff.has(id));
    for (const tenant of switchedOff) {
      // A tenant switched off: its targets' sessions end now and their logins get SERVICE
      // UNAVAILABLE; for the default tenant the listeners close below.
      const keys = new Set(state.targets.filter((p) => p.tenantId === tenant).map((p) => p.key));
      const n = this.iscsi.dropSessions(sessionOf(keys), 'the iSCSI service was switched off');
      const what = tenant === DEFAULT_TENANT_ID ? 'iSCSI service switched off: no portal listens' : 'iSCSI service switched off: its targets refuse logins';
      this.log.info({ tenant, sessions: n }, what);
    }
    if (ended.size > 0) {
      const n = this.iscsi.dropSessions(sessionOf(ended), 'configuration changed');
      if (n > 0) this.log.info({ targets: [...ended], sessions: n }, 'ended sessions of changed targets');
    }
    for (const tenant of wasOff) {
      if (!state.tenantsOff.has(tenant) && snapshot.tenants.some((t) => t.id === tenant)) this.log.info({ tenant }, 'iSCSI service switched on');
    }
    this.previous = next;
    const tenantNames = new Map(snapshot.tenants.map((t) => [t.id, t.name] as const));
    this.tenantOf = new Map(state.targets.map((p) => [p.name, tenantNames.get(p.tenantId) ?? String(p.tenantId)] as const));
    // A deleted target's LUs stop being reported (a target of the same name later starts from zero).
    this.iscsi.counters.forgetTargets((name) => this.tenantOf.has(name));
    this.previous = next;
    this.reconciled = true;
    await this.listeners.reconcile(state.listeners);
  }

  /**
   * Targets whose sessions must end: deleted, a LUN unmapped or re-pointed, or anything
   * about who may use them changed (portal group, initiator group, authentication, their
   * tenant's service switch). An added LUN keeps sessions: initiators find it with REPORT LUNS.
   */
  private endedTargets(next: Map<string, { plan: TargetPlan; luns: Map<number | string, LogicalUnit> }>): Set<string> {
    const ended = new Set<string>();
    for (const [name, old] of this.previous) {
      const now = next.get(name);
      if (!now || now.plan.accessKey !== old.plan.accessKey) {
        ended.add(name);
        continue;
      }
      for (const [lun, lu] of old.luns) {
        if (now.luns.get(lun) !== lu) {
          ended.add(name);
          break;
        }
      }
    }
    return ended;
  }
}

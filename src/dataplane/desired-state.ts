/**
 * What should be running, computed from one configuration snapshot: the listeners, the
 * logical units to open and the targets to serve. Pure: no sockets, no files.
 */
import type { BackstoreSpec } from '../backstore/backstore.js';
import type { AuthPolicy } from '../iscsi/catalog.js';
import type { AccessRule, AuthCredential, ConfigSnapshot, Extent, Pool, Target, TargetGroup } from '../domain/entities.js';
import { servedTargetName } from '../domain/served-name.js';
import { DEFAULT_TENANT_ID } from '../domain/tenants.js';
import type { WantedLu } from './logical-units.js';

/** The configuration's pools by id: where carved and rbd extents live. */
type PoolsById = ReadonlyMap<number, Pick<Pool, 'uuid' | 'type'>>;

/**
 * One target as served through one portal group: a target with its own (9.2) portal group
 * and target groups (9.3+) has one plan per portal group. The plans of a target share its
 * LUs; each is its own target port (VPD 83h relative target port and port group, the
 * I_T nexus persistent reservations see).
 */
export interface TargetPlan {
  /** Lower-cased served name and portal group id: one plan per key. */
  key: string;
  name: string;
  alias: string | null;
  /** The portal group's id: the catalog knows portal groups by id, since tags are only unique per tenant. */
  portalGroup: number;
  portalGroupTag: number;
  /** LUN number -> LU key. */
  luns: Map<number, string>;
  auth: AuthPolicy;
  digest: 'Auto' | 'None' | 'CRC32C';
  queueDepth: number;
  /**
   * Null: the target has no initiator group and admits every initiator from anywhere, as
   * FreeNAS 9.3+ does for a target whose initiator group is None. Authentication, when
   * the target asks for it, still applies.
   */
  admission: { initiators: string[]; networks: string[]; rules: AccessRule[] } | null;
  tenantId: number;
  /** The target's tenant has its iSCSI service on: off, every login to it is refused. */
  available: boolean;
  /** Changes whenever anything deciding who may use the target changes (the switch included). */
  accessKey: string;
  /**
   * A tenant-wide target's LUN masking: one view per initiator group of its tenant, with the
   * LUNs mapped to that group. An initiator is admitted when a view admits it (`admission`
   * is then ignored) and sees `luns` plus the LUNs of every view admitting it. Null: no masking.
   */
  views: LunView[] | null;
}

/** What the initiators of one initiator group see of a tenant-wide target. */
export interface LunView {
  groupId: number;
  initiators: string[];
  networks: string[];
  rules: AccessRule[];
  /** LUN number -> LU key. */
  luns: Map<number, string>;
}

/** Which portal group a listener serves: its id (the catalog's key) and its tag (the wire's). */
export interface ListenerPortal {
  portalGroup: number;
  portalGroupTag: number;
}

export interface DesiredState {
  listeners: Map<string, ListenerPortal>;
  /** portal group id -> its listen addresses */
  portalsByGroup: Map<number, string[]>;
  lus: WantedLu[];
  targets: TargetPlan[];
  discoveryAuth: AuthPolicy;
  /**
   * Tenants whose iSCSI service is switched off: their targets refuse every login, and
   * the default tenant's portals do not listen.
   */
  tenantsOff: ReadonlySet<number>;
}

const VENDOR = 'SANBOX';
const PRODUCT = 'iSCSI Disk';
const REVISION = '0100';

export function desiredState(snap: ConfigSnapshot): DesiredState {
  const tenantsOff = new Set(snap.tenants.filter((t) => !t.iscsiEnabled || !t.running).map((t) => t.id));
  const listeners = new Map<string, ListenerPortal>();
  const portalsByGroup = new Map<number, string[]>();
  const tagOfGroup = new Map<number, number>();
  for (const pg of snap.portalGroups) {
    tagOfGroup.set(pg.id, pg.tag);
    portalsByGroup.set(pg.id, [...pg.listen]);
    // The default tenant switched off: its portals stop listening (the LUs stay open, so
    // switching on is quick). Another tenant's keep listening and refuse its logins.
    if (pg.tenantId === DEFAULT_TENANT_ID && tenantsOff.has(DEFAULT_TENANT_ID)) continue;
    if (!pg.enabled) continue;
    for (const address of pg.listen) listeners.set(address, { portalGroup: pg.id, portalGroupTag: pg.tag });
  }
  const extents = new Map(snap.extents.map((e) => [e.id, e]));
  const groups = new Map(snap.initiatorGroups.map((g) => [g.id, g]));
  const targetGroups = new Map<number, TargetGroup[]>();
  for (const g of snap.targetGroups) {
    const list = targetGroups.get(g.targetId) ?? [];
    list.push(g);
    targetGroups.set(g.targetId, list);
  }
  const poolUuids: PoolsById = new Map(snap.pools.map((p) => [p.id, p]));
  const lus = new Map<string, WantedLu>();
  const targets: TargetPlan[] = [];
  for (const t of snap.targets) {
    // The target's own portal group (9.2) first, then its target groups by id (9.3+).
    const access: Omit<TargetGroup, 'id' | 'targetId'>[] = [];
    if (t.portalGroupId !== null) access.push({ ...t, portalGroupId: t.portalGroupId });
    access.push(...(targetGroups.get(t.id) ?? []));
    if (t.tenantWide || t.allTenantPortals) access.push(...tenantWideAccess(snap, t, access));
    const served = access.filter((a) => tagOfGroup.has(a.portalGroupId));
    if (served.length === 0) continue;
    const luns = new Map<number, string>();
    for (const m of snap.luns) {
      if (m.targetId !== t.id) continue;
      const extent = extents.get(m.extentId);
      if (!extent) continue;
      const wanted = wantedLu(t, extent, m.lun, poolUuids);
      if (!lus.has(wanted.key)) lus.set(wanted.key, wanted);
      luns.set(m.lun, wanted.key);
    }
    const name = servedTargetName(snap.globals.basename, t);
    const available = !tenantsOff.has(t.tenantId);
    const views = t.tenantWide ? lunViews(snap, t, extents, lus, poolUuids) : null;
    const viewKey = views?.map((v) => [v.groupId, v.initiators, v.networks]) ?? null;
    for (const a of served) {
      const tag = tagOfGroup.get(a.portalGroupId)!;
      const group = a.initiatorGroupId === null ? undefined : groups.get(a.initiatorGroupId);
      const admission = group ? { initiators: group.initiators, networks: group.networks, rules: group.rules } : null;
      const auth = authPolicy(a.authMethod, a.authGroup, t.tenantId, snap.authCredentials);
      targets.push({
        key: planKey(name, a.portalGroupId),
        name,
        alias: t.alias,
        portalGroup: a.portalGroupId,
        portalGroupTag: tag,
        luns,
        auth,
        digest: a.digest,
        queueDepth: t.queueDepth > 0 ? t.queueDepth : 1,
        admission,
        tenantId: t.tenantId,
        available,
        accessKey: JSON.stringify([tag, admission, auth, a.digest, available, viewKey]),
        views,
      });
    }
  }
  const discoveryAuth = authPolicy(snap.globals.discoveryAuthMethod, snap.globals.discoveryAuthGroup, DEFAULT_TENANT_ID, snap.authCredentials);
  return { listeners, portalsByGroup, lus: [...lus.values()], targets, discoveryAuth, tenantsOff };
}

/**
 * A tenant-wide target (or one served on all its tenant's portals) is reachable through
 * every portal group of its tenant that its own settings do not already name, with its
 * own initiator group, authentication and digest.
 */
function tenantWideAccess(snap: ConfigSnapshot, t: Target, named: Omit<TargetGroup, 'id' | 'targetId'>[]): Omit<TargetGroup, 'id' | 'targetId'>[] {
  const taken = new Set(named.map((a) => a.portalGroupId));
  return snap.portalGroups
    .filter((pg) => pg.tenantId === t.tenantId && !taken.has(pg.id))
    .map((pg) => ({
      uuid: t.uuid,
      tenantId: t.tenantId,
      portalGroupId: pg.id,
      initiatorGroupId: t.initiatorGroupId,
      authMethod: t.authMethod,
      authGroup: t.authGroup,
      digest: t.digest,
    }));
}

/** One view per initiator group of the target's tenant, with the LUNs mapped to it (adding their LUs). */
function lunViews(snap: ConfigSnapshot, t: Target, extents: ReadonlyMap<number, Extent>, lus: Map<string, WantedLu>, poolUuids: PoolsById): LunView[] {
  const views = new Map<number, LunView>();
  for (const g of snap.initiatorGroups) {
    if (g.tenantId === t.tenantId) views.set(g.id, { groupId: g.id, initiators: g.initiators, networks: g.networks, rules: g.rules, luns: new Map() });
  }
  for (const m of snap.lunMaps) {
    const view = views.get(m.initiatorGroupId);
    const extent = extents.get(m.extentId);
    if (!view || !extent || m.tenantId !== t.tenantId) continue;
    // The serial is the extent's own (an ONTAP LUN has one) or its NAA, never per number:
    // one LUN under two numbers is one LU.
    const wanted = wantedLu({ ...t, serial: extent.serial ?? extent.naa }, extent, 0, poolUuids);
    if (!lus.has(wanted.key)) lus.set(wanted.key, wanted);
    view.luns.set(m.lun, wanted.key);
  }
  return [...views.values()];
}

/** The catalog's key for a target through a portal group (by id). */
export function planKey(name: string, portalGroup: number): string {
  return `${name.toLowerCase()}|${portalGroup}`;
}

/** Auth group `tag` is the tenant's: another tenant's credentials with that tag are no part of it. */
function authPolicy(method: AuthPolicy['method'], tag: number | null, tenantId: number, creds: AuthCredential[]): AuthPolicy {
  const credentials = tag === null ? [] : creds.filter((c) => c.tag === tag && c.tenantId === tenantId);
  return {
    method,
    credentials: credentials.map((c) => ({
      user: c.user,
      secret: c.secret,
      peerUser: c.peerUser,
      peerSecret: c.peerSecret,
    })),
  };
}

/**
 * One LU per extent, block size and write mode: two targets sharing an extent with the
 * same settings share the LU (and so its reservations and unit attentions).
 */
function wantedLu(t: Target, e: Extent, lun: number, poolUuids: PoolsById): WantedLu {
  const blockSize = e.blockSize ?? t.blockSize;
  const readOnly = t.readOnly || e.readOnly;
  // The unit serial comes from the target (VPD 80h); a target's later LUNs get a suffix so
  // that two LUs never share a serial, unless the extent sets its own.
  const serial = e.serial ?? (lun === 0 ? t.serial : `${t.serial}-${lun}`);
  const backstore = backstoreFor(e, readOnly, blockSize, poolUuids);
  return {
    key: `${e.id}/${blockSize}/${readOnly ? 'ro' : 'rw'}/${serial}`,
    extent: { id: e.id, name: e.name },
    identity: {
      serial,
      naa: e.naa,
      vendor: VENDOR,
      product: PRODUCT,
      revision: REVISION,
      blockSize,
      readOnly,
      rotationRate: rotationRate(e.rpm),
      thin: backstore.kind === 'file' || backstore.kind === 'memory' || backstore.kind === 'rbd',
    },
    backstore,
  };
}

/**
 * A Device extent on /dev/zero is served by the null backstore (for benchmarks); an
 * extent carved out of a pool by a range of the pool's transport (by the pool's uuid).
 */
function backstoreFor(e: Extent, readOnly: boolean, blockSize: number, poolUuids: PoolsById): BackstoreSpec {
  const inPool = e.poolRange ? poolUuids.get(e.poolRange.poolId) : undefined;
  if (inPool?.type === 'rbd') {
    // An rbd pool's extent is the whole image its path's last name names.
    return { kind: 'rbd', pool: inPool.uuid, image: e.path.slice(e.path.lastIndexOf('/') + 1), sizeBytes: e.sizeBytes, path: e.path, readOnly };
  }
  if (e.poolRange) {
    const pool = inPool?.uuid ?? `pool ${e.poolRange.poolId}`;
    return { kind: 'range', pool, offset: e.poolRange.offset, sizeBytes: e.sizeBytes, blockSize, path: e.path, readOnly };
  }
  if (e.type === 'Device' && e.path === '/dev/zero') return { kind: 'null', sizeBytes: e.sizeBytes, readOnly };
  if (e.type === 'Device') return { kind: 'block', path: e.path, sizeBytes: e.sizeBytes, readOnly };
  return { kind: 'file', path: e.path, sizeBytes: e.sizeBytes, readOnly };
}

function rotationRate(rpm: string): number {
  if (rpm === 'SSD') return 1;
  const n = Number(rpm);
  return Number.isInteger(n) && n > 1 ? n : 0;
}

/**
 * What should be running, computed from one configuration snapshot: the listeners, the
 * logical units to open and the targets to serve. Pure: no sockets, no files.
 */
import type { BackstoreSpec } from '../backstore/backstore.js';
import type { AuthPolicy } from '../iscsi/catalog.js';
import type { AuthCredential, ConfigSnapshot, Extent, Target, TargetGroup } from '../domain/entities.js';
import { servedTargetName } from '../domain/served-name.js';
import { DEFAULT_TENANT_ID } from '../domain/tenants.js';
import type { WantedLu } from './logical-units.js';

/**
 * One target as served through one portal group: a target with its own (9.2) portal group
 * and target groups (9.3+) has one plan per portal group. The plans of a target share its
 * LUs; each is its own target port (VPD 83h relative target port and port group, the
 * I_T nexus persistent reservations see).
 */
export interface TargetPlan {
  /** Lower-cased served name and portal group tag: one plan per key. */
  key: string;
  name: string;
  alias: string | null;
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
  admission: { initiators: string[]; networks: string[] } | null;
  /** Changes whenever anything deciding who may use the target changes. */
  accessKey: string;
}

export interface DesiredState {
  /** listen address -> portal group tag */
  listeners: Map<string, number>;
  /** portal group tag -> its listen addresses */
  portalsByTag: Map<number, string[]>;
  lus: WantedLu[];
  targets: TargetPlan[];
  discoveryAuth: AuthPolicy;
  /** The iSCSI service is switched on: false means no listener and no login. */
  enabled: boolean;
}

const VENDOR = 'SANBOX';
const PRODUCT = 'iSCSI Disk';
const REVISION = '0100';

export function desiredState(snap: ConfigSnapshot): DesiredState {
  const listeners = new Map<string, number>();
  const portalsByTag = new Map<number, string[]>();
  const tagOfGroup = new Map<number, number>();
  for (const pg of snap.portalGroups) {
    tagOfGroup.set(pg.id, pg.tag);
    portalsByTag.set(pg.tag, [...pg.listen]);
    for (const address of pg.listen) listeners.set(address, pg.tag);
  }
  const extents = new Map(snap.extents.map((e) => [e.id, e]));
  const groups = new Map(snap.initiatorGroups.map((g) => [g.id, g]));
  const targetGroups = new Map<number, TargetGroup[]>();
  for (const g of snap.targetGroups) {
    const list = targetGroups.get(g.targetId) ?? [];
    list.push(g);
    targetGroups.set(g.targetId, list);
  }
  const lus = new Map<string, WantedLu>();
  const targets: TargetPlan[] = [];
  for (const t of snap.targets) {
    // The target's own portal group (9.2) first, then its target groups by id (9.3+).
    const access: Omit<TargetGroup, 'id' | 'targetId'>[] = [];
    if (t.portalGroupId !== null) access.push({ ...t, portalGroupId: t.portalGroupId });
    access.push(...(targetGroups.get(t.id) ?? []));
    const served = access.filter((a) => tagOfGroup.has(a.portalGroupId));
    if (served.length === 0) continue;
    const luns = new Map<number, string>();
    for (const m of snap.luns) {
      if (m.targetId !== t.id) continue;
      const extent = extents.get(m.extentId);
      if (!extent) continue;
      const wanted = wantedLu(t, extent, m.lun);
      if (!lus.has(wanted.key)) lus.set(wanted.key, wanted);
      luns.set(m.lun, wanted.key);
    }
    const name = servedTargetName(snap.globals.basename, t);
    for (const a of served) {
      const tag = tagOfGroup.get(a.portalGroupId)!;
      const group = a.initiatorGroupId === null ? undefined : groups.get(a.initiatorGroupId);
      const admission = group ? { initiators: group.initiators, networks: group.networks } : null;
      const auth = authPolicy(a.authMethod, a.authGroup, t.tenantId, snap.authCredentials);
      targets.push({
        key: planKey(name, tag),
        name,
        alias: t.alias,
        portalGroupTag: tag,
        luns,
        auth,
        digest: a.digest,
        queueDepth: t.queueDepth > 0 ? t.queueDepth : 1,
        admission,
        accessKey: JSON.stringify([tag, admission, auth, a.digest]),
      });
    }
  }
  const discoveryAuth = authPolicy(
    snap.globals.discoveryAuthMethod,
    snap.globals.discoveryAuthGroup,
    DEFAULT_TENANT_ID,
    snap.authCredentials,
  );
  // Switched off: the portals stop listening (the LUs stay open, so switching on is quick).
  const enabled = snap.tenants.find((t) => t.id === DEFAULT_TENANT_ID)?.iscsiEnabled ?? true;
  return { listeners: enabled ? listeners : new Map(), portalsByTag, lus: [...lus.values()], targets, discoveryAuth, enabled };
}

/** The catalog's key for a target through a portal group. */
export function planKey(name: string, portalGroupTag: number): string {
  return `${name.toLowerCase()}|${portalGroupTag}`;
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
function wantedLu(t: Target, e: Extent, lun: number): WantedLu {
  const blockSize = e.blockSize ?? t.blockSize;
  const readOnly = t.readOnly || e.readOnly;
  // The unit serial comes from the target (VPD 80h); a target's later LUNs get a suffix so
  // that two LUs never share a serial, unless the extent sets its own.
  const serial = e.serial ?? (lun === 0 ? t.serial : `${t.serial}-${lun}`);
  const backstore = backstoreFor(e, readOnly);
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
      thin: backstore.kind === 'file' || backstore.kind === 'memory',
    },
    backstore,
  };
}

/** A Device extent on /dev/zero is served by the null backstore (for benchmarks). */
function backstoreFor(e: Extent, readOnly: boolean): BackstoreSpec {
  if (e.type === 'Device' && e.path === '/dev/zero') return { kind: 'null', sizeBytes: e.sizeBytes, readOnly };
  if (e.type === 'Device') return { kind: 'block', path: e.path, sizeBytes: e.sizeBytes, readOnly };
  return { kind: 'file', path: e.path, sizeBytes: e.sizeBytes, readOnly };
}

function rotationRate(rpm: string): number {
  if (rpm === 'SSD') return 1;
  const n = Number(rpm);
  return Number.isInteger(n) && n > 1 ? n : 0;
}

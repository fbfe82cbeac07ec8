/** Row <-> entity conversions: the only place that knows column names. */
import type { AuthCredential, Extent, ExtentType, InitiatorGroup, Lun, LunMap, Target, TargetGroup, Tenant, Volume } from '../domain/entities.js';

/** Columns every configuration row has besides its id. */
interface OwnedRow {
  uuid: string;
  tenant_id: number;
}

export interface TargetRow extends OwnedRow {
  id: number;
  name: string;
  alias: string | null;
  serial: string;
  read_only: number;
  portal_group_id: number | null;
  initiator_group_id: number | null;
  auth_method: string;
  auth_group: number | null;
  digest: string;
  queue_depth: number;
  block_size: number;
  type: string;
  tenant_wide: number;
  all_tenant_portals: number;
}

export function targetFromRow(r: TargetRow): Target {
  return {
    id: r.id,
    uuid: r.uuid,
    tenantId: r.tenant_id,
    name: r.name,
    alias: r.alias,
    serial: r.serial,
    readOnly: r.read_only === 1,
    portalGroupId: r.portal_group_id,
    initiatorGroupId: r.initiator_group_id,
    authMethod: r.auth_method as Target['authMethod'],
    authGroup: r.auth_group,
    digest: r.digest as Target['digest'],
    queueDepth: r.queue_depth,
    blockSize: r.block_size as Target['blockSize'],
    type: 'Disk',
    tenantWide: r.tenant_wide === 1,
    allTenantPortals: r.all_tenant_portals === 1,
  };
}

export function targetToRow(t: Omit<Target, 'id'>): Omit<TargetRow, 'id'> {
  return {
    uuid: t.uuid,
    tenant_id: t.tenantId,
    name: t.name,
    alias: t.alias,
    serial: t.serial,
    read_only: t.readOnly ? 1 : 0,
    portal_group_id: t.portalGroupId,
    initiator_group_id: t.initiatorGroupId,
    auth_method: t.authMethod,
    auth_group: t.authGroup,
    digest: t.digest,
    queue_depth: t.queueDepth,
    block_size: t.blockSize,
    type: t.type,
    tenant_wide: t.tenantWide ? 1 : 0,
    all_tenant_portals: t.allTenantPortals ? 1 : 0,
  };
}

export interface ExtentRow extends OwnedRow {
  id: number;
  name: string;
  type: string;
  path: string;
  display_path: string | null;
  size_bytes: number;
  size_text: string;
  comment: string;
  block_size: number | null;
  serial: string | null;
  read_only: number;
  rpm: string;
  insecure_tpc: number;
  xen: number;
  avail_threshold: number | null;
  naa: string;
  pool_id: number | null;
  pool_offset: number | null;
  volume_id: number | null;
}

export function extentFromRow(r: ExtentRow): Extent {
  const extent: Extent = {
    id: r.id,
    uuid: r.uuid,
    tenantId: r.tenant_id,
    name: r.name,
    type: r.type as ExtentType,
    path: r.path,
    sizeBytes: r.size_bytes,
    sizeText: r.size_text,
    comment: r.comment,
    blockSize: r.block_size as Extent['blockSize'],
    serial: r.serial,
    readOnly: r.read_only === 1,
    rpm: r.rpm,
    insecureTpc: r.insecure_tpc === 1,
    xen: r.xen === 1,
    availThreshold: r.avail_threshold,
    naa: r.naa,
  };
  if (r.display_path !== null) extent.displayPath = r.display_path;
  if (r.pool_id !== null && r.pool_offset !== null) extent.poolRange = { poolId: r.pool_id, offset: r.pool_offset };
  if (r.volume_id !== null) extent.volumeId = r.volume_id;
  return extent;
}

export function extentToRow(e: Omit<Extent, 'id'>): Omit<ExtentRow, 'id'> {
  return {
    uuid: e.uuid,
    tenant_id: e.tenantId,
    name: e.name,
    type: e.type,
    path: e.path,
    display_path: e.displayPath ?? null,
    size_bytes: e.sizeBytes,
    size_text: e.sizeText,
    comment: e.comment,
    block_size: e.blockSize,
    serial: e.serial,
    read_only: e.readOnly ? 1 : 0,
    rpm: e.rpm,
    insecure_tpc: e.insecureTpc ? 1 : 0,
    xen: e.xen ? 1 : 0,
    avail_threshold: e.availThreshold,
    naa: e.naa,
    pool_id: e.poolRange?.poolId ?? null,
    pool_offset: e.poolRange?.offset ?? null,
    volume_id: e.volumeId ?? null,
  };
}

export interface InitiatorGroupRow extends OwnedRow {
  id: number;
  tag: number;
  initiators: string;
  networks: string;
  comment: string;
  rules: string;
}

export function initiatorGroupFromRow(r: InitiatorGroupRow): InitiatorGroup {
  return {
    id: r.id,
    uuid: r.uuid,
    tenantId: r.tenant_id,
    tag: r.tag,
    initiators: JSON.parse(r.initiators) as string[],
    networks: JSON.parse(r.networks) as string[],
    comment: r.comment,
    rules: JSON.parse(r.rules) as InitiatorGroup['rules'],
  };
}

export interface AuthCredentialRow extends OwnedRow {
  id: number;
  tag: number;
  user: string;
  secret: string;
  peer_user: string;
  peer_secret: string;
}

export function authCredentialFromRow(r: AuthCredentialRow): AuthCredential {
  return {
    id: r.id,
    uuid: r.uuid,
    tenantId: r.tenant_id,
    tag: r.tag,
    user: r.user,
    secret: r.secret,
    peerUser: r.peer_user,
    peerSecret: r.peer_secret,
  };
}

export interface LunRow extends OwnedRow {
  id: number;
  target_id: number;
  extent_id: number;
  lun: number;
  auto_numbered: number;
}

export function lunFromRow(r: LunRow): Lun {
  return {
    id: r.id,
    uuid: r.uuid,
    tenantId: r.tenant_id,
    targetId: r.target_id,
    extentId: r.extent_id,
    lun: r.lun,
    autoNumbered: r.auto_numbered === 1,
  };
}

export interface TargetGroupRow extends OwnedRow {
  id: number;
  target_id: number;
  portal_group_id: number;
  initiator_group_id: number | null;
  auth_method: string;
  auth_group: number | null;
  digest: string;
}

export function targetGroupFromRow(r: TargetGroupRow): TargetGroup {
  return {
    id: r.id,
    uuid: r.uuid,
    tenantId: r.tenant_id,
    targetId: r.target_id,
    portalGroupId: r.portal_group_id,
    initiatorGroupId: r.initiator_group_id,
    authMethod: r.auth_method as TargetGroup['authMethod'],
    authGroup: r.auth_group,
    digest: r.digest as TargetGroup['digest'],
  };
}

export function targetGroupToRow(g: Omit<TargetGroup, 'id'>): Omit<TargetGroupRow, 'id'> {
  return {
    uuid: g.uuid,
    tenant_id: g.tenantId,
    target_id: g.targetId,
    portal_group_id: g.portalGroupId,
    initiator_group_id: g.initiatorGroupId,
    auth_method: g.authMethod,
    auth_group: g.authGroup,
    digest: g.digest,
  };
}

export interface TenantRow {
  id: number;
  uuid: string;
  name: string;
  iscsi_enabled: number;
  running: number;
}

export function tenantFromRow(r: TenantRow): Tenant {
  return { id: r.id, uuid: r.uuid, name: r.name, iscsiEnabled: r.iscsi_enabled === 1, running: r.running === 1 };
}

export interface PortalGroupRow extends OwnedRow {
  id: number;
  tag: number;
  comment: string;
  enabled: number;
}

export interface VolumeRow extends OwnedRow {
  id: number;
  name: string;
  pool_id: number;
  size_bytes: number;
  comment: string;
  created_at: number;
}

export function volumeFromRow(r: VolumeRow): Volume {
  return {
    id: r.id,
    uuid: r.uuid,
    tenantId: r.tenant_id,
    name: r.name,
    poolId: r.pool_id,
    sizeBytes: r.size_bytes,
    comment: r.comment,
    createdAt: r.created_at,
  };
}

export interface LunMapRow extends OwnedRow {
  id: number;
  extent_id: number;
  initiator_group_id: number;
  lun: number;
}

export function lunMapFromRow(r: LunMapRow): LunMap {
  return { id: r.id, uuid: r.uuid, tenantId: r.tenant_id, extentId: r.extent_id, initiatorGroupId: r.initiator_group_id, lun: r.lun };
}

/**
 * The domain model: vendor-neutral names. Dialects map their fields onto these at the edge
 * (api/<dialect>); the data plane reads a ConfigSnapshot of them. Entities that later
 * dialects need (Pool capacity, Node, VolumeConnector, VolumeTarget) grow here.
 *
 * Every configuration entity belongs to one tenant (`tenantId`; the default tenant, id 1,
 * owns what FreeNAS creates) and has a `uuid` that never changes, beside the integer `id`
 * the FreeNAS dialect shows.
 */

/** Who owns configuration: names and tags are unique within a tenant, not across them. */
export interface Tenant {
  id: number;
  uuid: string;
  name: string;
  /** The tenant's iSCSI service (administrative state): off, its targets refuse every login. */
  iscsiEnabled: boolean;
  /** Stopped (an ONTAP SVM's state): it serves nothing, whatever its iSCSI switch says. */
  running: boolean;
}

/** The identity every configuration entity carries besides its integer id. */
export interface Owned {
  /** RFC 4122 version 4, fixed at creation. */
  uuid: string;
  tenantId: number;
}

export type AuthMethod = 'None' | 'Auto' | 'CHAP' | 'CHAP Mutual';
export type DigestSetting = 'Auto' | 'None' | 'CRC32C';

/** Target-wide iSCSI settings (one row). */
export interface GlobalSettings {
  basename: string;
  discoveryAuthMethod: AuthMethod;
  /** Tag of the auth group used for discovery, or null. */
  discoveryAuthGroup: number | null;
  ioTimeoutSec: number;
  nopInIntervalSec: number;
  maxSessions: number;
  maxConnections: number;
  /** Pre-send R2Ts per connection (istgt's MaxR2T). */
  maxPreSendR2T: number;
  maxOutstandingR2T: number;
  firstBurstLength: number;
  maxBurstLength: number;
  maxRecvDataSegmentLength: number;
  defaultTime2Wait: number;
  defaultTime2Retain: number;
  /** Logical unit controller (istgt's LUC); stored, not served. */
  lucEnabled: boolean;
  lucIp: string;
  lucPort: number;
  lucAuthNetwork: string;
  lucAuthMethod: string;
  lucAuthGroup: number | null;
}

/** A portal group: a tag and the IP:PORT addresses it listens on. */
export interface PortalGroup extends Owned {
  id: number;
  tag: number;
  /** "IPv4:port", "[IPv6]:port"; wildcards 0.0.0.0 / [::] allowed. */
  listen: string[];
  comment: string;
  /** Off: its addresses do not listen (an ONTAP LIF administratively down); the group stays configured. */
  enabled: boolean;
}

/** Initiator group: who (names) from where (networks) may use a target. */
export interface InitiatorGroup extends Owned {
  id: number;
  tag: number;
  /** 'ALL' or iSCSI names. */
  initiators: string[];
  /** 'ALL' or IPs / CIDRs. */
  networks: string[];
  comment: string;
  /**
   * Access by address, when not empty (HNAS's accessConfig): it decides, instead of
   * `networks`, whether an address is admitted and whether read-only (network-access.ts).
   */
  rules: AccessRule[];
}

/** What an address matching `network` ('ALL', an IP or a CIDR network) may do. */
export interface AccessRule {
  network: string;
  access: 'rw' | 'ro' | 'none';
}

/** One CHAP credential; credentials sharing a tag form an auth group. */
export interface AuthCredential extends Owned {
  id: number;
  tag: number;
  user: string;
  secret: string;
  peerUser: string;
  peerSecret: string;
}

export interface Target extends Owned {
  id: number;
  /** As configured; `servedName()` prepends the basename when it is not an iqn/eui/naa name. */
  name: string;
  alias: string | null;
  serial: string;
  readOnly: boolean;
  /**
   * The target's own portal group (FreeNAS 9.2's shape), or null: a target created by name
   * only (9.3+) is reachable through its target groups alone. The access fields below go
   * with this portal group.
   */
  portalGroupId: number | null;
  initiatorGroupId: number | null;
  authMethod: AuthMethod;
  /** Tag of the auth group, or null. */
  authGroup: number | null;
  digest: DigestSetting;
  queueDepth: number;
  blockSize: 512 | 4096;
  type: 'Disk';
  /**
   * The tenant's one target (an ONTAP SVM's iSCSI service): reachable through every portal
   * group of its tenant, admitting the initiators of every initiator group of its tenant,
   * each seeing the LUNs its groups are mapped to (LunMap) besides the target's own LUNs.
   * At most one per tenant.
   */
  tenantWide: boolean;
  /**
   * Served through every portal group of its tenant (an HNAS target, on its virtual
   * server's addresses) with its own access settings; no masking. A tenant-wide target is too.
   */
  allTenantPortals: boolean;
}

/**
 * A target group (FreeNAS 9.3+): the target is reachable on this portal group, admitting
 * this initiator group with this authentication. A target may have several, one per
 * portal group; each is its own target portal group on the wire.
 */
export interface TargetGroup extends Owned {
  id: number;
  targetId: number;
  portalGroupId: number;
  initiatorGroupId: number | null;
  authMethod: AuthMethod;
  /** Tag of the auth group, or null. */
  authGroup: number | null;
  digest: DigestSetting;
}

/** A service sanbox runs, and whether it is switched on (administrative state). */
export interface ServiceSetting {
  id: number;
  /** FreeNAS's service name: 'iscsitarget'. */
  name: 'iscsitarget';
  enabled: boolean;
}

export type ExtentType = 'File' | 'Device' | 'ZFS Volume';

export interface Extent extends Owned {
  id: number;
  name: string;
  type: ExtentType;
  /** Absolute path of the image file or block device. */
  path: string;
  sizeBytes: number;
  /** The size as the client wrote it ("10MB"), returned unchanged by dialects that echo it. */
  sizeText: string;
  comment: string;
  /** Optional per-extent overrides (later FreeNAS releases); null = take the target's. */
  blockSize: 512 | 4096 | null;
  serial: string | null;
  readOnly: boolean;
  /** 'SSD' or an rpm figure as text ('Unknown', '5400', ...). */
  rpm: string;
  insecureTpc: boolean;
  xen: boolean;
  availThreshold: number | null;
  /** NAA identifier (16 hex digits), fixed at creation so VPD 83h never changes. */
  naa: string;
  /**
   * The path as the client wrote it, when that differs from `path`: FreeNAS clients say
   * /mnt/<pool>/<file> and the pool may live elsewhere. Dialects echo it; the data plane
   * opens `path`.
   */
  displayPath?: string;
  /**
   * An extent carved out of a pool that is one device (an iscsi pool's remote LUN): its
   * bytes are [offset, offset + sizeBytes) of the pool's LUN, and `path` is the virtual
   * /mnt/<pool>/<name> the client gave. In an rbd pool the extent is the whole RBD image
   * named by the path's last name, and the offset is 0. Absent for image files and devices.
   */
  poolRange?: { poolId: number; offset: number };
  /** The volume (an ONTAP FlexVol) holding it, if any: its size counts against the volume's. */
  volumeId?: number;
}

/** A target-to-extent mapping: the extent is LUN `lun` of the target. */
export interface Lun extends Owned {
  id: number;
  targetId: number;
  extentId: number;
  lun: number;
  /** True when the domain chose the number (next free), false when the client named it. */
  autoNumbered?: boolean;
}

/**
 * LUN masking: initiators of `initiatorGroupId` see extent `extentId` as LUN `lun` of
 * their tenant's tenant-wide target. One extent may be mapped to several groups, under a
 * different number for each (ONTAP's lun-map).
 */
export interface LunMap extends Owned {
  id: number;
  extentId: number;
  initiatorGroupId: number;
  lun: number;
}

/**
 * A sized space inside a pool that holds extents (ONTAP's FlexVol): the sizes of its
 * extents add up to at most its own. It reserves nothing in the pool (thin).
 */
export interface Volume extends Owned {
  id: number;
  name: string;
  poolId: number;
  sizeBytes: number;
  comment: string;
  /** Unix seconds. */
  createdAt: number;
}

/** A bare-metal machine (Ironic's node), as far as attaching volumes to it needs. */
export interface BareMetalNode extends Owned {
  id: number;
  name: string | null;
  driver: string;
  /** 'power on', 'power off' (Ironic's words); volumes change only while it is off. */
  powerState: 'power on' | 'power off';
  provisionState: string;
  /** ISO 8601 times, as Ironic writes them; updatedAt null until first changed. */
  createdAt: string;
  updatedAt: string | null;
}

export const CONNECTOR_TYPES = ['iqn', 'ip', 'mac', 'wwnn', 'wwpn', 'port', 'portgroup'] as const;

/** One of a node's initiator identities (its iSCSI name, an address, a WWPN...). */
export interface VolumeConnector extends Owned {
  id: number;
  nodeId: number;
  type: (typeof CONNECTOR_TYPES)[number];
  connectorId: string;
  extra: Record<string, unknown>;
  createdAt: string;
  updatedAt: string | null;
}

/**
 * A remote volume a node attaches (boots from, with boot_index 0). When it is an iSCSI
 * volume naming one of sanbox's extents, sanbox exports that extent to the node
 * (node-exports.ts): `exportTargetId` is the target made for it.
 */
export interface VolumeTarget extends Owned {
  id: number;
  nodeId: number;
  volumeType: string;
  properties: Record<string, unknown>;
  bootIndex: number;
  volumeId: string;
  extra: Record<string, unknown>;
  exportTargetId: number | null;
  createdAt: string;
  updatedAt: string | null;
}

/** What a pool's storage is (the share-pool API numbers them; see api/pools). */
export type PoolType = 'iscsi' | 'nfs' | 'samba' | 'disk' | 'fc' | 'rbd';

export type PoolHealth = 'healthy' | 'degraded' | 'offline';

/**
 * Where extents live: a directory of sparse image files on a mounted file system (type
 * `disk` with a `path`), or (types to come) a device or remote LUN extents are carved
 * from. Its figures (capacity, used) are measured from the storage whenever asked, never
 * stored; its health is the last probe's.
 */
export interface Pool {
  id: number;
  uuid: string;
  name: string;
  type: PoolType;
  /** The real directory image files live in; '' for a pool that is not a directory. */
  path: string;
  /** As the client gave it: a directory, a device (wwn-...), a target IQN, an export. */
  source: string;
  ip: string;
  port: string;
  username: string;
  /** A secret: never returned in clear by a dialect, never logged. */
  password: string;
  zoneUuid: string;
  /** Only `availHosts` (machine uuids) may use it. */
  limitHost: boolean;
  availHosts: string[];
  /** Tenant uuids that may use it; empty: every tenant. */
  availTenants: string[];
  /** `overAllocationThreshold` ("1.0": allocated may reach capacity) and any others, as text. */
  attributes: Record<string, string>;
  /** Unix seconds; `modifiedAt` 0 until first changed. */
  createdAt: number;
  modifiedAt: number;
  /** Made from the settings (the default pool, SANBOX_POOLS): kept by them, not deletable. */
  configured: boolean;
  health: PoolHealth;
  healthReason: string | null;
}

/** Everything the data plane needs, read in one transaction. */
export interface ConfigSnapshot {
  globals: GlobalSettings;
  portalGroups: PortalGroup[];
  initiatorGroups: InitiatorGroup[];
  authCredentials: AuthCredential[];
  targets: Target[];
  targetGroups: TargetGroup[];
  extents: Extent[];
  luns: Lun[];
  lunMaps: LunMap[];
  pools: Pool[];
  /**
   * Every tenant and its iSCSI service switch: a tenant's targets refuse logins while it is
   * off, and the default tenant's portals stop listening.
   */
  tenants: Tenant[];
}

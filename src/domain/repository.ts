/**
 * The configuration repository: what the domain needs of persistence, as an interface
 * the domain owns. `store/` implements it on SQLite; the domain never imports the store.
 * One method per query, entities in and out; it does not validate (the services do) and
 * does not open transactions of its own (each mutation runs in `transaction`).
 */
import type {
  AuthCredential,
  ConfigSnapshot,
  Extent,
  GlobalSettings,
  InitiatorGroup,
  Lun,
  LunMap,
  Pool,
  PortalGroup,
  Target,
  TargetGroup,
  Tenant,
  Volume,
  BareMetalNode,
  VolumeConnector,
  VolumeTarget,
} from './entities.js';

/** A scalar a list may be filtered on: the entity's domain field must equal it. */
export type FilterValue = string | number | boolean | null;

export interface SortKey {
  /** A domain field name (`name`, `sizeBytes`, ...); ties are always broken by id. */
  field: string;
  descending?: boolean;
}

/**
 * What every dialect's list request becomes: FreeNAS offset/limit, Ironic limit/marker/
 * sort_key, ONTAP max_records and field filters, the share pool's page_num/page_size.
 * `after` is a cursor: the uuid of the last entity of the previous page (Ironic's marker);
 * it is exclusive with `offset`. Absent `tenantId`: every tenant's.
 */
export interface ListQuery {
  tenantId?: number;
  filters?: Readonly<Record<string, FilterValue>>;
  sort?: readonly SortKey[];
  offset?: number;
  /** 0 or absent: no limit. */
  limit?: number;
  after?: string;
}

/** One page and how many entities match the query in all (for num_records, totals, next links). */
export interface ListResult<E> {
  items: E[];
  total: number;
}

/** What a target can refer to by id or tag: deleting one of these asks who uses it. */
export type TargetReference = 'portalGroup' | 'initiatorGroup' | 'authGroup';

export interface ConfigRepository {
  transaction<T>(fn: () => T): T;
  /**
   * A number that changes whenever a row changes (-1 inside a transaction, where nothing
   * read may be kept): lets callers keep answers while the configuration stands still.
   */
  version(): number;
  snapshot(): ConfigSnapshot;

  getGlobals(): GlobalSettings | null;
  putGlobals(globals: GlobalSettings): void;
  listPools(): Pool[];

  /** Every tenant, by id; the default tenant (id 1) always exists. */
  listTenants(): Tenant[];
  getTenant(id: number): Tenant | null;
  tenantByName(name: string): Tenant | null;
  tenantByUuid(uuid: string): Tenant | null;
  insertTenant(t: Omit<Tenant, 'id'>): number;
  /** Stores the tenant's name and iSCSI service switch. */
  updateTenant(t: Tenant): void;
  deleteTenant(id: number): void;
  /** How many rows of each kind the tenant owns (kinds with none left out). */
  tenantHoldings(id: number): Record<string, number>;

  /**
   * Each `list*` answers a ListQuery (list-query.ts: the fields each entity may be filtered
   * and sorted on). Without a query: every tenant's rows, by id.
   */
  listPortalGroups(query?: ListQuery): ListResult<PortalGroup>;
  getPortalGroup(id: number): PortalGroup | null;
  getPortalGroupByUuid(uuid: string): PortalGroup | null;
  /** Listen addresses are one per host, whatever the tenant. */
  portalGroupListeningOn(address: string): number | null;
  portalGroupByTag(tenantId: number, tag: number): number | null;
  maxPortalTag(tenantId: number): number;
  insertPortalGroup(group: Omit<PortalGroup, 'id'>): number;
  updatePortalGroup(group: PortalGroup): void;
  deletePortalGroup(id: number): void;

  listInitiatorGroups(query?: ListQuery): ListResult<InitiatorGroup>;
  getInitiatorGroup(id: number): InitiatorGroup | null;
  getInitiatorGroupByUuid(uuid: string): InitiatorGroup | null;
  initiatorGroupByTag(tenantId: number, tag: number): number | null;
  maxInitiatorTag(tenantId: number): number;
  insertInitiatorGroup(g: Omit<InitiatorGroup, 'id'>): number;
  updateInitiatorGroup(g: InitiatorGroup): void;
  deleteInitiatorGroup(id: number): void;

  listAuthCredentials(query?: ListQuery): ListResult<AuthCredential>;
  getAuthCredential(id: number): AuthCredential | null;
  getAuthCredentialByUuid(uuid: string): AuthCredential | null;
  /** The tenant's auth group `tag`: its credentials. */
  authCredentialsWithTag(tenantId: number, tag: number): AuthCredential[];
  maxAuthTag(tenantId: number): number;
  insertAuthCredential(c: Omit<AuthCredential, 'id'>): number;
  updateAuthCredential(c: AuthCredential): void;
  deleteAuthCredential(id: number): void;

  listTargets(query?: ListQuery): ListResult<Target>;
  getTarget(id: number): Target | null;
  getTargetByUuid(uuid: string): Target | null;
  targetByName(tenantId: number, name: string): Target | null;
  /**
   * The tenant's targets that use portal group `id`, initiator group `id`, or auth group
   * (tag) `id`.
   */
  targetsReferencing(tenantId: number, kind: TargetReference, id: number): Target[];
  /** Every tenant's targets, only what decides their served names. */
  targetNames(): Pick<Target, 'id' | 'tenantId' | 'name'>[];
  targetSerials(): string[];
  insertTarget(t: Omit<Target, 'id'>): number;
  updateTarget(t: Target): void;
  deleteTarget(id: number): void;

  listExtents(query?: ListQuery): ListResult<Extent>;
  getExtent(id: number): Extent | null;
  getExtentByUuid(uuid: string): Extent | null;
  extentByName(tenantId: number, name: string): Extent | null;
  /** Image paths and NAA identifiers are one per host, whatever the tenant. */
  extentByPath(realPath: string): Extent | null;
  extentByNaa(naa: string): Extent | null;
  insertExtent(e: Omit<Extent, 'id'>): number;
  updateExtent(e: Extent): void;
  deleteExtent(id: number): void;

  listTargetGroups(query?: ListQuery): ListResult<TargetGroup>;
  getTargetGroup(id: number): TargetGroup | null;
  getTargetGroupByUuid(uuid: string): TargetGroup | null;
  /** The groups that put target `targetId` on more portal groups. */
  targetGroupsOf(targetId: number): TargetGroup[];
  /** The tenant's groups that use portal group `id`, initiator group `id`, or auth group (tag) `id`. */
  targetGroupsReferencing(tenantId: number, kind: TargetReference, id: number): TargetGroup[];
  insertTargetGroup(g: Omit<TargetGroup, 'id'>): number;
  updateTargetGroup(g: TargetGroup): void;
  deleteTargetGroup(id: number): void;

  listLuns(query?: ListQuery): ListResult<Lun>;
  getLun(id: number): Lun | null;
  getLunByUuid(uuid: string): Lun | null;
  lunsOfTarget(targetId: number): Lun[];
  lunsOfExtent(extentId: number): Lun[];
  insertLun(l: Omit<Lun, 'id'>): number;
  updateLun(l: Lun): void;
  deleteLun(id: number): void;

  listVolumes(tenantId?: number): Volume[];
  getVolume(id: number): Volume | null;
  insertVolume(v: Omit<Volume, 'id'>): number;
  updateVolume(v: Volume): void;
  deleteVolume(id: number): void;
  extentsInVolume(volumeId: number): Extent[];

  listLunMaps(tenantId?: number): LunMap[];
  insertLunMap(m: Omit<LunMap, 'id'>): number;
  deleteLunMap(id: number): void;

  /** What a dialect keeps on an object (by its uuid) and the domain never reads; {} when none. */
  annotations(ownerUuid: string): Record<string, string>;
  setAnnotations(ownerUuid: string, data: Record<string, string>): void;
}

/** The API's own users (admin password), kept beside the configuration. */
export interface CredentialRepository {
  getPasswordHash(user: string): string | null;
  setPasswordHash(user: string, hash: string): void;
}

/** Bare-metal nodes and their volume connectors and targets (Ironic's), on the same store. */
export interface BareMetalRepository {
  listNodes(): BareMetalNode[];
  insertNode(n: Omit<BareMetalNode, 'id'>): number;
  updateNode(n: BareMetalNode): void;
  deleteNode(id: number): void;
  listVolumeConnectors(): VolumeConnector[];
  insertVolumeConnector(c: Omit<VolumeConnector, 'id'>): number;
  updateVolumeConnector(c: VolumeConnector): void;
  deleteVolumeConnector(id: number): void;
  listVolumeTargets(): VolumeTarget[];
  insertVolumeTarget(t: Omit<VolumeTarget, 'id'>): number;
  updateVolumeTarget(t: VolumeTarget): void;
  deleteVolumeTarget(id: number): void;
}

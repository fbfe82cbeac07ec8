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
  Pool,
  PortalGroup,
  Target,
  TargetGroup,
} from './entities.js';

/** One page of a list, in id order. `limit` 0 or less means no limit. Whole numbers below 2^53. */
export interface Page {
  offset: number;
  limit: number;
}

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

  listPortalGroups(page?: Page): PortalGroup[];
  getPortalGroup(id: number): PortalGroup | null;
  portalGroupListeningOn(address: string): number | null;
  portalGroupByTag(tag: number): number | null;
  maxPortalTag(): number;
  insertPortalGroup(group: Omit<PortalGroup, 'id'>): number;
  updatePortalGroup(group: PortalGroup): void;
  deletePortalGroup(id: number): void;

  listInitiatorGroups(page?: Page): InitiatorGroup[];
  getInitiatorGroup(id: number): InitiatorGroup | null;
  initiatorGroupByTag(tag: number): number | null;
  maxInitiatorTag(): number;
  insertInitiatorGroup(g: Omit<InitiatorGroup, 'id'>): number;
  updateInitiatorGroup(g: InitiatorGroup): void;
  deleteInitiatorGroup(id: number): void;

  listAuthCredentials(page?: Page): AuthCredential[];
  getAuthCredential(id: number): AuthCredential | null;
  authCredentialsWithTag(tag: number): AuthCredential[];
  maxAuthTag(): number;
  insertAuthCredential(c: Omit<AuthCredential, 'id'>): number;
  updateAuthCredential(c: AuthCredential): void;
  deleteAuthCredential(id: number): void;

  listTargets(page?: Page): Target[];
  getTarget(id: number): Target | null;
  targetByName(name: string): Target | null;
  /** Targets that use portal group `id`, initiator group `id`, or auth group (tag) `id`. */
  targetsReferencing(kind: TargetReference, id: number): Target[];
  targetSerials(): string[];
  insertTarget(t: Omit<Target, 'id'>): number;
  updateTarget(t: Target): void;
  deleteTarget(id: number): void;

  listExtents(page?: Page): Extent[];
  getExtent(id: number): Extent | null;
  extentByName(name: string): Extent | null;
  extentByPath(realPath: string): Extent | null;
  naaInUse(naa: string): boolean;
  insertExtent(e: Omit<Extent, 'id'>): number;
  updateExtent(e: Extent): void;
  deleteExtent(id: number): void;

  listTargetGroups(page?: Page): TargetGroup[];
  getTargetGroup(id: number): TargetGroup | null;
  /** The groups that put target `targetId` on more portal groups. */
  targetGroupsOf(targetId: number): TargetGroup[];
  /** Groups that use portal group `id`, initiator group `id`, or auth group (tag) `id`. */
  targetGroupsReferencing(kind: TargetReference, id: number): TargetGroup[];
  insertTargetGroup(g: Omit<TargetGroup, 'id'>): number;
  updateTargetGroup(g: TargetGroup): void;
  deleteTargetGroup(id: number): void;

  /** The iSCSI service's administrative state (on in a fresh store). */
  iscsiEnabled(): boolean;
  setIscsiEnabled(on: boolean): void;

  listLuns(page?: Page): Lun[];
  getLun(id: number): Lun | null;
  lunsOfTarget(targetId: number): Lun[];
  lunsOfExtent(extentId: number): Lun[];
  insertLun(l: Omit<Lun, 'id'>): number;
  updateLun(l: Lun): void;
  deleteLun(id: number): void;
}

/** The API's own users (admin password), kept beside the configuration. */
export interface CredentialRepository {
  getPasswordHash(user: string): string | null;
  setPasswordHash(user: string, hash: string): void;
}

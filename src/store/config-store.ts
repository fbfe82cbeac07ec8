/**
 * The configuration store: one method per query, entities in and out. It does not
 * validate (the domain does) and does not open transactions (the domain wraps each
 * mutation in `transaction`).
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
  Volume,
  Tenant,
} from '../domain/entities.js';
import type { ConfigRepository, CredentialRepository, ListQuery, ListResult, TargetReference } from '../domain/repository.js';
import type { ApiKey, ApiKeyRepository } from '../domain/api-keys.js';
import {
  AUTH_CREDENTIAL_FIELDS,
  EXTENT_FIELDS,
  INITIATOR_GROUP_FIELDS,
  LUN_FIELDS,
  PORTAL_GROUP_FIELDS,
  TARGET_FIELDS,
  TARGET_GROUP_FIELDS,
  checkListQuery,
  type ListFields,
  unknownMarker,
} from '../domain/list-query.js';
import type { Db } from './database.js';
import { PoolTable } from './pool-table.js';
import { BareMetalTable } from './bare-metal-table.js';
import { JobTable } from './job-table.js';
import type { PoolRepository } from '../domain/pools.js';
import type { SiteIdentity, SiteRepository } from '../domain/site.js';
type Statement = { get(): unknown };
import {
  authCredentialFromRow,
  extentFromRow,
  extentToRow,
  initiatorGroupFromRow,
  lunFromRow,
  targetFromRow,
  targetGroupFromRow,
  targetGroupToRow,
  targetToRow,
  tenantFromRow,
  type AuthCredentialRow,
  type ExtentRow,
  type InitiatorGroupRow,
  type LunMapRow,
  lunMapFromRow,
  type VolumeRow,
  volumeFromRow,
  type LunRow,
  type PortalGroupRow,
  type TargetGroupRow,
  type TargetRow,
  type TenantRow,
} from './rows.js';

const GLOBALS_KEY = 'iscsi.globals';

/** A key's tenant scope as the domain sees it: the tenant's id and uuid (both null: unscoped). */
const API_KEY_SELECT = `SELECT k.id, k.uuid, k.name, k.tenant_id AS tenantId, t.uuid AS tenant, k.secret_hash AS secretHash,
  k.created_at AS createdAt FROM api_keys k LEFT JOIN tenants t ON t.id = k.tenant_id`;

/** Tables that hold a tenant's configuration, with the words its holdings are counted in. */
const TENANT_TABLES = [
  ['portal_groups', 'portal groups'],
  ['initiator_groups', 'initiator groups'],
  ['auth_credentials', 'auth credentials'],
  ['targets', 'targets'],
  ['extents', 'extents'],
  ['luns', 'LUN mappings'],
  ['target_groups', 'target groups'],
  ['volumes', 'volumes'],
  ['lun_maps', 'LUN maps'],
  ['api_keys', 'API keys'],
] as const;

const REFERENCE_COLUMN = {
  portalGroup: 'portal_group_id',
  initiatorGroup: 'initiator_group_id',
  authGroup: 'auth_group',
} as const;

/** The repository ports of the domain (domain/repository.ts) on SQLite. */
export class ConfigStore implements ConfigRepository, CredentialRepository, ApiKeyRepository, PoolRepository, SiteRepository {
  private readonly pools: PoolTable;
  /** Ironic's nodes and volumes, kept in their own table class: the store is their repository too. */
  readonly bareMetal: BareMetalTable;
  /** Jobs (domain/jobs.ts), in their own table class too. */
  readonly jobs: JobTable;

  constructor(readonly db: Db) {
    this.pools = new PoolTable(db);
    this.bareMetal = new BareMetalTable(db);
    this.jobs = new JobTable(db);
  }

  /** Runs `fn` in one SQLite transaction (IMMEDIATE: the write lock is taken up front). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  close(): void {
    this.db.close();
  }

  // ---- globals ----------------------------------------------------------------------

  getGlobals(): GlobalSettings | null {
    const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(GLOBALS_KEY) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as GlobalSettings) : null;
  }

  putGlobals(globals: GlobalSettings): void {
    this.db
      .prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value')
      .run(GLOBALS_KEY, JSON.stringify(globals));
  }

  // ---- pools ------------------------------------------------------------------------

  listPools(): Pool[] {
    return this.pools.list();
  }

  getPool(id: number): Pool | null {
    return this.pools.get(id);
  }

  poolByUuid(uuid: string): Pool | null {
    return this.pools.byUuid(uuid);
  }

  poolByName(name: string): Pool | null {
    return this.pools.byName(name);
  }

  insertPool(p: Omit<Pool, 'id'>): number {
    return this.pools.insert(p);
  }

  updatePool(p: Pool): void {
    this.pools.update(p);
  }

  deletePool(id: number): void {
    this.pools.delete(id);
  }

  /** A pool the settings define (the default pool, SANBOX_POOLS). */
  upsertConfiguredPool(name: string, dir: string): void {
    this.pools.upsertConfigured(name, dir, this.siteIdentity().zoneUuid);
  }

  /**
   * A directory pool's: the file extents whose image lives under its directory (path is
   * the real path). A pool without a directory: the extents carved out of it, by offset.
   */
  extentsInPool(pool: Pool): Extent[] {
    if (pool.path === '') {
      return (this.db.prepare('SELECT * FROM extents WHERE pool_id = ? ORDER BY pool_offset').all(pool.id) as ExtentRow[]).map(extentFromRow);
    }
    const prefix = `${pool.path.replace(/\/+$/, '')}/`;
    const rows = this.db
      .prepare("SELECT * FROM extents WHERE type = 'File' AND pool_id IS NULL AND substr(path, 1, ?) = ? ORDER BY id")
      .all(prefix.length, prefix) as ExtentRow[];
    return rows.map(extentFromRow);
  }

  siteIdentity(): SiteIdentity {
    return this.pools.siteIdentity();
  }

  // ---- API users --------------------------------------------------------------------

  getPasswordHash(user: string): string | null {
    const row = this.db.prepare('SELECT password_hash FROM api_users WHERE name = ?').get(user) as { password_hash: string } | undefined;
    return row?.password_hash ?? null;
  }

  setPasswordHash(user: string, hash: string): void {
    this.db
      .prepare('INSERT INTO api_users (name, password_hash) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET password_hash = excluded.password_hash')
      .run(user, hash);
  }

  // ---- API keys -------------------------------------------------------------------

  listApiKeys(): ApiKey[] {
    return this.db.prepare(`${API_KEY_SELECT} ORDER BY k.id`).all() as ApiKey[];
  }

  getApiKey(id: number): ApiKey | null {
    return (this.db.prepare(`${API_KEY_SELECT} WHERE k.id = ?`).get(id) as ApiKey | undefined) ?? null;
  }

  apiKeyByName(tenantId: number | null, name: string): ApiKey | null {
    const row = this.db.prepare(`${API_KEY_SELECT} WHERE k.tenant_id IS ? AND k.name = ?`).get(tenantId, name);
    return (row as ApiKey | undefined) ?? null;
  }

  insertApiKey(k: Omit<ApiKey, 'id' | 'tenant'>): number {
    const r = this.db
      .prepare('INSERT INTO api_keys (uuid, tenant_id, name, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(k.uuid, k.tenantId, k.name, k.secretHash, k.createdAt);
    return Number(r.lastInsertRowid);
  }

  deleteApiKey(id: number): void {
    this.db.prepare('DELETE FROM api_keys WHERE id = ?').run(id);
  }

  // ---- tenants ----------------------------------------------------------------------

  listTenants(): Tenant[] {
    return (this.db.prepare('SELECT * FROM tenants ORDER BY id').all() as TenantRow[]).map(tenantFromRow);
  }

  getTenant(id: number): Tenant | null {
    return this.tenantWhere('id', id);
  }

  tenantByName(name: string): Tenant | null {
    return this.tenantWhere('name', name);
  }

  tenantByUuid(uuid: string): Tenant | null {
    return this.tenantWhere('uuid', uuid);
  }

  private tenantWhere(column: 'id' | 'name' | 'uuid', value: number | string): Tenant | null {
    const row = this.db.prepare(`SELECT * FROM tenants WHERE ${column} = ?`).get(value) as TenantRow | undefined;
    return row ? tenantFromRow(row) : null;
  }

  insertTenant(t: Omit<Tenant, 'id'>): number {
    return Number(
      this.db
        .prepare('INSERT INTO tenants (uuid, name, iscsi_enabled, running, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(t.uuid, t.name, t.iscsiEnabled ? 1 : 0, t.running ? 1 : 0, new Date().toISOString()).lastInsertRowid,
    );
  }

  updateTenant(t: Tenant): void {
    this.db.prepare('UPDATE tenants SET name = ?, iscsi_enabled = ?, running = ? WHERE id = ?').run(t.name, t.iscsiEnabled ? 1 : 0, t.running ? 1 : 0, t.id);
  }

  deleteTenant(id: number): void {
    this.db.prepare('DELETE FROM tenants WHERE id = ?').run(id);
  }

  tenantHoldings(id: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [table, words] of TENANT_TABLES) {
      const n = (this.db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE tenant_id = ?`).get(id) as { n: number }).n;
      if (n > 0) out[words] = n;
    }
    return out;
  }

  /**
   * One page of a table for a list query, and how many rows match it in all. The domain
   * checks the query (list-query.ts) against the entity's fields; each allowed field is a
   * column of the same name in snake_case, so nothing of the query but checked names and
   * bound values reaches the SQL.
   */
  private listRows<R, E>(table: (typeof TENANT_TABLES)[number][0], query: ListQuery | undefined, fields: ListFields<E>): { rows: R[]; total: number } {
    if (query === undefined) {
      // Everything (the snapshot after every change): no count, no check.
      const rows = this.db.prepare(`SELECT * FROM ${table} ORDER BY id`).all() as R[];
      return { rows, total: rows.length };
    }
    const q = checkListQuery(query, fields);
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (q.tenantId !== undefined) {
      where.push('tenant_id = ?');
      params.push(q.tenantId);
    }
    for (const [field, value] of q.filters) {
      if (value === null) {
        where.push(`${column(field)} IS NULL`);
        continue;
      }
      where.push(`${column(field)} = ?`);
      params.push(typeof value === 'boolean' ? Number(value) : value);
    }
    const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
    // SQLite puts NULL first ascending and last descending, and compares TEXT by BINARY: the domain's order.
    const order = `ORDER BY ${[...q.sort.map((k) => `${column(k.field)} ${k.descending ? 'DESC' : 'ASC'}`), 'id ASC'].join(', ')}`;
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM ${table} ${whereSql}`).get(...params) as { n: number }).n;
    let offset = q.offset;
    if (q.after !== undefined) {
      const at = this.db
        .prepare(`SELECT rn FROM (SELECT uuid, ROW_NUMBER() OVER (${order}) AS rn FROM ${table} ${whereSql}) WHERE uuid = ?`)
        .get(...params, q.after) as { rn: number } | undefined;
      if (!at) throw unknownMarker(q.after);
      offset = at.rn;
    }
    // Whole numbers below 2^53 (checked): literals, since SQLite takes no REAL for LIMIT.
    const rows = this.db.prepare(`SELECT * FROM ${table} ${whereSql} ${order} LIMIT ${q.limit ?? -1} OFFSET ${offset}`).all(...params) as R[];
    return { rows, total };
  }

  // ---- portal groups ----------------------------------------------------------------

  listPortalGroups(query?: ListQuery): ListResult<PortalGroup> {
    const { rows, total } = this.listRows<PortalGroupRow, PortalGroup>('portal_groups', query, PORTAL_GROUP_FIELDS);
    const listen = this.db.prepare('SELECT address FROM portal_listen WHERE portal_group_id = ? ORDER BY position');
    const items = rows.map((r) =>
      portalGroupFromRow(
        r,
        (listen.all(r.id) as { address: string }[]).map((l) => l.address),
      ),
    );
    return { items, total };
  }

  getPortalGroup(id: number): PortalGroup | null {
    return this.portalGroupWhere('id', id);
  }

  getPortalGroupByUuid(uuid: string): PortalGroup | null {
    return this.portalGroupWhere('uuid', uuid);
  }

  private portalGroupWhere(column: 'id' | 'uuid', value: number | string): PortalGroup | null {
    const row = this.db.prepare(`SELECT * FROM portal_groups WHERE ${column} = ?`).get(value) as PortalGroupRow | undefined;
    if (!row) return null;
    const listen = this.db.prepare('SELECT address FROM portal_listen WHERE portal_group_id = ? ORDER BY position').all(row.id) as { address: string }[];
    return portalGroupFromRow(
      row,
      listen.map((l) => l.address),
    );
  }

  /** The portal group (id) already listening on `address`, if any. */
  portalGroupListeningOn(address: string): number | null {
    const row = this.db.prepare('SELECT portal_group_id FROM portal_listen WHERE address = ?').get(address) as { portal_group_id: number } | undefined;
    return row?.portal_group_id ?? null;
  }

  insertPortalGroup(group: Omit<PortalGroup, 'id'>): number {
    const id = Number(
      this.db
        .prepare('INSERT INTO portal_groups (uuid, tenant_id, tag, comment, enabled) VALUES (?, ?, ?, ?, ?)')
        .run(group.uuid, group.tenantId, group.tag, group.comment, group.enabled ? 1 : 0).lastInsertRowid,
    );
    this.replaceListen(id, group.listen);
    return id;
  }

  updatePortalGroup(group: PortalGroup): void {
    this.db.prepare('UPDATE portal_groups SET tag = ?, comment = ?, enabled = ? WHERE id = ?').run(group.tag, group.comment, group.enabled ? 1 : 0, group.id);
    this.replaceListen(group.id, group.listen);
  }

  private replaceListen(id: number, listen: string[]): void {
    this.db.prepare('DELETE FROM portal_listen WHERE portal_group_id = ?').run(id);
    const insert = this.db.prepare('INSERT INTO portal_listen (portal_group_id, position, address) VALUES (?, ?, ?)');
    for (let position = 0; position < listen.length; position++) insert.run(id, position, listen[position]);
  }

  deletePortalGroup(id: number): void {
    this.db.prepare('DELETE FROM portal_groups WHERE id = ?').run(id);
  }

  maxPortalTag(tenantId: number): number {
    return this.maxTag('portal_groups', tenantId);
  }

  portalGroupByTag(tenantId: number, tag: number): number | null {
    const row = this.db.prepare('SELECT id FROM portal_groups WHERE tenant_id = ? AND tag = ?').get(tenantId, tag) as { id: number } | undefined;
    return row?.id ?? null;
  }

  private maxTag(table: 'portal_groups' | 'initiator_groups' | 'auth_credentials', tenantId: number): number {
    return (this.db.prepare(`SELECT COALESCE(MAX(tag), 0) AS m FROM ${table} WHERE tenant_id = ?`).get(tenantId) as { m: number }).m;
  }

  // ---- initiator groups -------------------------------------------------------------

  listInitiatorGroups(query?: ListQuery): ListResult<InitiatorGroup> {
    const { rows, total } = this.listRows<InitiatorGroupRow, InitiatorGroup>('initiator_groups', query, INITIATOR_GROUP_FIELDS);
    return { items: rows.map(initiatorGroupFromRow), total };
  }

  getInitiatorGroup(id: number): InitiatorGroup | null {
    const row = this.db.prepare('SELECT * FROM initiator_groups WHERE id = ?').get(id) as InitiatorGroupRow | undefined;
    return row ? initiatorGroupFromRow(row) : null;
  }

  getInitiatorGroupByUuid(uuid: string): InitiatorGroup | null {
    const row = this.db.prepare('SELECT * FROM initiator_groups WHERE uuid = ?').get(uuid) as InitiatorGroupRow | undefined;
    return row ? initiatorGroupFromRow(row) : null;
  }

  insertInitiatorGroup(g: Omit<InitiatorGroup, 'id'>): number {
    return Number(
      this.db
        .prepare('INSERT INTO initiator_groups (uuid, tenant_id, tag, initiators, networks, comment, rules) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(g.uuid, g.tenantId, g.tag, JSON.stringify(g.initiators), JSON.stringify(g.networks), g.comment, JSON.stringify(g.rules)).lastInsertRowid,
    );
  }

  updateInitiatorGroup(g: InitiatorGroup): void {
    this.db
      .prepare('UPDATE initiator_groups SET tag = ?, initiators = ?, networks = ?, comment = ?, rules = ? WHERE id = ?')
      .run(g.tag, JSON.stringify(g.initiators), JSON.stringify(g.networks), g.comment, JSON.stringify(g.rules), g.id);
  }

  deleteInitiatorGroup(id: number): void {
    this.db.prepare('DELETE FROM initiator_groups WHERE id = ?').run(id);
  }

  maxInitiatorTag(tenantId: number): number {
    return this.maxTag('initiator_groups', tenantId);
  }

  initiatorGroupByTag(tenantId: number, tag: number): number | null {
    const row = this.db.prepare('SELECT id FROM initiator_groups WHERE tenant_id = ? AND tag = ?').get(tenantId, tag) as { id: number } | undefined;
    return row?.id ?? null;
  }

  // ---- auth credentials -------------------------------------------------------------

  listAuthCredentials(query?: ListQuery): ListResult<AuthCredential> {
    const { rows, total } = this.listRows<AuthCredentialRow, AuthCredential>('auth_credentials', query, AUTH_CREDENTIAL_FIELDS);
    return { items: rows.map(authCredentialFromRow), total };
  }

  getAuthCredential(id: number): AuthCredential | null {
    const row = this.db.prepare('SELECT * FROM auth_credentials WHERE id = ?').get(id) as AuthCredentialRow | undefined;
    return row ? authCredentialFromRow(row) : null;
  }

  getAuthCredentialByUuid(uuid: string): AuthCredential | null {
    const row = this.db.prepare('SELECT * FROM auth_credentials WHERE uuid = ?').get(uuid) as AuthCredentialRow | undefined;
    return row ? authCredentialFromRow(row) : null;
  }

  authCredentialsWithTag(tenantId: number, tag: number): AuthCredential[] {
    const rows = this.db.prepare('SELECT * FROM auth_credentials WHERE tenant_id = ? AND tag = ? ORDER BY id').all(tenantId, tag) as AuthCredentialRow[];
    return rows.map(authCredentialFromRow);
  }

  insertAuthCredential(c: Omit<AuthCredential, 'id'>): number {
    return Number(
      this.db
        .prepare('INSERT INTO auth_credentials (uuid, tenant_id, tag, user, secret, peer_user, peer_secret) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(c.uuid, c.tenantId, c.tag, c.user, c.secret, c.peerUser, c.peerSecret).lastInsertRowid,
    );
  }

  updateAuthCredential(c: AuthCredential): void {
    this.db
      .prepare('UPDATE auth_credentials SET tag = ?, user = ?, secret = ?, peer_user = ?, peer_secret = ? WHERE id = ?')
      .run(c.tag, c.user, c.secret, c.peerUser, c.peerSecret, c.id);
  }

  deleteAuthCredential(id: number): void {
    this.db.prepare('DELETE FROM auth_credentials WHERE id = ?').run(id);
  }

  maxAuthTag(tenantId: number): number {
    return this.maxTag('auth_credentials', tenantId);
  }

  // ---- targets ----------------------------------------------------------------------

  #totalChanges: Statement | null = null;

  /**
   * A number that changes whenever this connection changes a row (committed or rolled
   * back; `total_changes()` counts every INSERT/UPDATE/DELETE, cascades with the statement
   * that caused them, and sanbox is the database's only writer); -1 inside a transaction,
   * where nothing read may be kept. The API keeps serialized lists while it stands still.
   */
  version(): number {
    return this.db.inTransaction ? -1 : this.changesSoFar();
  }

  private changesSoFar(): number {
    this.#totalChanges ??= this.db.prepare('SELECT total_changes() AS n');
    return (this.#totalChanges.get() as { n: number }).n;
  }

  listTargets(query?: ListQuery): ListResult<Target> {
    const { rows, total } = this.listRows<TargetRow, Target>('targets', query, TARGET_FIELDS);
    return { items: rows.map(targetFromRow), total };
  }

  getTarget(id: number): Target | null {
    const row = this.db.prepare('SELECT * FROM targets WHERE id = ?').get(id) as TargetRow | undefined;
    return row ? targetFromRow(row) : null;
  }

  getTargetByUuid(uuid: string): Target | null {
    const row = this.db.prepare('SELECT * FROM targets WHERE uuid = ?').get(uuid) as TargetRow | undefined;
    return row ? targetFromRow(row) : null;
  }

  targetByName(tenantId: number, name: string): Target | null {
    const row = this.db.prepare('SELECT * FROM targets WHERE tenant_id = ? AND name = ?').get(tenantId, name) as TargetRow | undefined;
    return row ? targetFromRow(row) : null;
  }

  targetsReferencing(tenantId: number, kind: TargetReference, id: number): Target[] {
    const rows = this.db.prepare(`SELECT * FROM targets WHERE tenant_id = ? AND ${REFERENCE_COLUMN[kind]} = ? ORDER BY id`).all(tenantId, id) as TargetRow[];
    return rows.map(targetFromRow);
  }

  targetNames(): Pick<Target, 'id' | 'tenantId' | 'name'>[] {
    return this.db.prepare('SELECT id, tenant_id AS tenantId, name FROM targets ORDER BY id').all() as Pick<Target, 'id' | 'tenantId' | 'name'>[];
  }

  targetSerials(): string[] {
    return (this.db.prepare('SELECT serial FROM targets').all() as { serial: string }[]).map((r) => r.serial);
  }

  insertTarget(t: Omit<Target, 'id'>): number {
    const row = targetToRow(t);
    return Number(
      this.db
        .prepare(
          `INSERT INTO targets (uuid, tenant_id, name, alias, serial, read_only, portal_group_id, initiator_group_id,
             auth_method, auth_group, digest, queue_depth, block_size, type, tenant_wide, all_tenant_portals)
           VALUES (@uuid, @tenant_id, @name, @alias, @serial, @read_only, @portal_group_id, @initiator_group_id,
             @auth_method, @auth_group, @digest, @queue_depth, @block_size, @type, @tenant_wide, @all_tenant_portals)`,
        )
        .run(row).lastInsertRowid,
    );
  }

  updateTarget(t: Target): void {
    this.db
      .prepare(
        `UPDATE targets SET name = @name, alias = @alias, serial = @serial, read_only = @read_only,
           portal_group_id = @portal_group_id, initiator_group_id = @initiator_group_id, auth_method = @auth_method,
           auth_group = @auth_group, digest = @digest, queue_depth = @queue_depth, block_size = @block_size, type = @type
         WHERE id = @id`,
      )
      .run({ ...targetToRow(t), id: t.id });
  }

  deleteTarget(id: number): void {
    this.db.prepare('DELETE FROM targets WHERE id = ?').run(id);
  }

  // ---- extents ----------------------------------------------------------------------

  listExtents(query?: ListQuery): ListResult<Extent> {
    const { rows, total } = this.listRows<ExtentRow, Extent>('extents', query, EXTENT_FIELDS);
    return { items: rows.map(extentFromRow), total };
  }

  getExtent(id: number): Extent | null {
    const row = this.db.prepare('SELECT * FROM extents WHERE id = ?').get(id) as ExtentRow | undefined;
    return row ? extentFromRow(row) : null;
  }

  getExtentByUuid(uuid: string): Extent | null {
    const row = this.db.prepare('SELECT * FROM extents WHERE uuid = ?').get(uuid) as ExtentRow | undefined;
    return row ? extentFromRow(row) : null;
  }

  extentByName(tenantId: number, name: string): Extent | null {
    const row = this.db.prepare('SELECT * FROM extents WHERE tenant_id = ? AND name = ?').get(tenantId, name) as ExtentRow | undefined;
    return row ? extentFromRow(row) : null;
  }

  extentByPath(realPath: string): Extent | null {
    const row = this.db.prepare('SELECT * FROM extents WHERE path = ?').get(realPath) as ExtentRow | undefined;
    return row ? extentFromRow(row) : null;
  }

  extentByNaa(naa: string): Extent | null {
    const row = this.db.prepare('SELECT * FROM extents WHERE naa = ?').get(naa) as ExtentRow | undefined;
    return row ? extentFromRow(row) : null;
  }

  insertExtent(e: Omit<Extent, 'id'>): number {
    const row = extentToRow(e);
    return Number(
      this.db
        .prepare(
          `INSERT INTO extents (uuid, tenant_id, name, type, path, display_path, size_bytes, size_text, comment, block_size,
             serial, read_only, rpm, insecure_tpc, xen, avail_threshold, naa, pool_id, pool_offset, volume_id)
           VALUES (@uuid, @tenant_id, @name, @type, @path, @display_path, @size_bytes, @size_text, @comment, @block_size,
             @serial, @read_only, @rpm, @insecure_tpc, @xen, @avail_threshold, @naa, @pool_id, @pool_offset, @volume_id)`,
        )
        .run(row).lastInsertRowid,
    );
  }

  updateExtent(e: Extent): void {
    this.db
      .prepare(
        `UPDATE extents SET name = @name, type = @type, path = @path, display_path = @display_path,
           size_bytes = @size_bytes, size_text = @size_text, comment = @comment, block_size = @block_size,
           serial = @serial, read_only = @read_only, rpm = @rpm, insecure_tpc = @insecure_tpc, xen = @xen,
           avail_threshold = @avail_threshold, naa = @naa, pool_id = @pool_id, pool_offset = @pool_offset
         WHERE id = @id`,
      )
      .run({ ...extentToRow(e), id: e.id });
  }

  deleteExtent(id: number): void {
    this.db.prepare('DELETE FROM extents WHERE id = ?').run(id);
  }

  // ---- LUN mappings -----------------------------------------------------------------

  listLuns(query?: ListQuery): ListResult<Lun> {
    const { rows, total } = this.listRows<LunRow, Lun>('luns', query, LUN_FIELDS);
    return { items: rows.map(lunFromRow), total };
  }

  getLun(id: number): Lun | null {
    const row = this.db.prepare('SELECT * FROM luns WHERE id = ?').get(id) as LunRow | undefined;
    return row ? lunFromRow(row) : null;
  }

  getLunByUuid(uuid: string): Lun | null {
    const row = this.db.prepare('SELECT * FROM luns WHERE uuid = ?').get(uuid) as LunRow | undefined;
    return row ? lunFromRow(row) : null;
  }

  lunsOfTarget(targetId: number): Lun[] {
    const rows = this.db.prepare('SELECT * FROM luns WHERE target_id = ? ORDER BY lun').all(targetId) as LunRow[];
    return rows.map(lunFromRow);
  }

  lunsOfExtent(extentId: number): Lun[] {
    const rows = this.db.prepare('SELECT * FROM luns WHERE extent_id = ? ORDER BY id').all(extentId) as LunRow[];
    return rows.map(lunFromRow);
  }

  insertLun(l: Omit<Lun, 'id'>): number {
    return Number(
      this.db
        .prepare('INSERT INTO luns (uuid, tenant_id, target_id, extent_id, lun, auto_numbered) VALUES (?, ?, ?, ?, ?, ?)')
        .run(l.uuid, l.tenantId, l.targetId, l.extentId, l.lun, l.autoNumbered === false ? 0 : 1).lastInsertRowid,
    );
  }

  updateLun(l: Lun): void {
    this.db
      .prepare('UPDATE luns SET target_id = ?, extent_id = ?, lun = ?, auto_numbered = ? WHERE id = ?')
      .run(l.targetId, l.extentId, l.lun, l.autoNumbered === false ? 0 : 1, l.id);
  }

  deleteLun(id: number): void {
    this.db.prepare('DELETE FROM luns WHERE id = ?').run(id);
  }

  // ---- target groups (FreeNAS 9.3+) ------------------------------------------------

  listTargetGroups(query?: ListQuery): ListResult<TargetGroup> {
    const { rows, total } = this.listRows<TargetGroupRow, TargetGroup>('target_groups', query, TARGET_GROUP_FIELDS);
    return { items: rows.map(targetGroupFromRow), total };
  }

  getTargetGroup(id: number): TargetGroup | null {
    const row = this.db.prepare('SELECT * FROM target_groups WHERE id = ?').get(id) as TargetGroupRow | undefined;
    return row ? targetGroupFromRow(row) : null;
  }

  getTargetGroupByUuid(uuid: string): TargetGroup | null {
    const row = this.db.prepare('SELECT * FROM target_groups WHERE uuid = ?').get(uuid) as TargetGroupRow | undefined;
    return row ? targetGroupFromRow(row) : null;
  }

  targetGroupsOf(targetId: number): TargetGroup[] {
    const rows = this.db.prepare('SELECT * FROM target_groups WHERE target_id = ? ORDER BY id').all(targetId) as TargetGroupRow[];
    return rows.map(targetGroupFromRow);
  }

  targetGroupsReferencing(tenantId: number, kind: TargetReference, id: number): TargetGroup[] {
    const rows = this.db
      .prepare(`SELECT * FROM target_groups WHERE tenant_id = ? AND ${REFERENCE_COLUMN[kind]} = ? ORDER BY id`)
      .all(tenantId, id) as TargetGroupRow[];
    return rows.map(targetGroupFromRow);
  }

  insertTargetGroup(g: Omit<TargetGroup, 'id'>): number {
    return Number(
      this.db
        .prepare(
          `INSERT INTO target_groups (uuid, tenant_id, target_id, portal_group_id, initiator_group_id, auth_method, auth_group,
             digest)
           VALUES (@uuid, @tenant_id, @target_id, @portal_group_id, @initiator_group_id, @auth_method, @auth_group, @digest)`,
        )
        .run(targetGroupToRow(g)).lastInsertRowid,
    );
  }

  updateTargetGroup(g: TargetGroup): void {
    this.db
      .prepare(
        `UPDATE target_groups SET target_id = @target_id, portal_group_id = @portal_group_id,
           initiator_group_id = @initiator_group_id, auth_method = @auth_method, auth_group = @auth_group, digest = @digest
         WHERE id = @id`,
      )
      .run({ ...targetGroupToRow(g), id: g.id });
  }

  deleteTargetGroup(id: number): void {
    this.db.prepare('DELETE FROM target_groups WHERE id = ?').run(id);
  }

  // ---- volumes ----------------------------------------------------------------------

  listVolumes(tenantId?: number): Volume[] {
    const rows = (
      tenantId === undefined
        ? this.db.prepare('SELECT * FROM volumes ORDER BY id').all()
        : this.db.prepare('SELECT * FROM volumes WHERE tenant_id = ? ORDER BY id').all(tenantId)
    ) as VolumeRow[];
    return rows.map(volumeFromRow);
  }

  getVolume(id: number): Volume | null {
    const row = this.db.prepare('SELECT * FROM volumes WHERE id = ?').get(id) as VolumeRow | undefined;
    return row ? volumeFromRow(row) : null;
  }

  insertVolume(v: Omit<Volume, 'id'>): number {
    return Number(
      this.db
        .prepare('INSERT INTO volumes (uuid, tenant_id, name, pool_id, size_bytes, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(v.uuid, v.tenantId, v.name, v.poolId, v.sizeBytes, v.comment, v.createdAt).lastInsertRowid,
    );
  }

  updateVolume(v: Volume): void {
    this.db.prepare('UPDATE volumes SET name = ?, size_bytes = ?, comment = ? WHERE id = ?').run(v.name, v.sizeBytes, v.comment, v.id);
  }

  deleteVolume(id: number): void {
    this.db.prepare('DELETE FROM volumes WHERE id = ?').run(id);
  }

  extentsInVolume(volumeId: number): Extent[] {
    return (this.db.prepare('SELECT * FROM extents WHERE volume_id = ? ORDER BY id').all(volumeId) as ExtentRow[]).map(extentFromRow);
  }

  // ---- LUN maps (masking) -------------------------------------------------------------

  listLunMaps(tenantId?: number): LunMap[] {
    const rows = (
      tenantId === undefined
        ? this.db.prepare('SELECT * FROM lun_maps ORDER BY id').all()
        : this.db.prepare('SELECT * FROM lun_maps WHERE tenant_id = ? ORDER BY id').all(tenantId)
    ) as LunMapRow[];
    return rows.map(lunMapFromRow);
  }

  insertLunMap(m: Omit<LunMap, 'id'>): number {
    return Number(
      this.db
        .prepare('INSERT INTO lun_maps (uuid, tenant_id, extent_id, initiator_group_id, lun) VALUES (?, ?, ?, ?, ?)')
        .run(m.uuid, m.tenantId, m.extentId, m.initiatorGroupId, m.lun).lastInsertRowid,
    );
  }

  deleteLunMap(id: number): void {
    this.db.prepare('DELETE FROM lun_maps WHERE id = ?').run(id);
  }

  // ---- annotations --------------------------------------------------------------------

  annotations(ownerUuid: string): Record<string, string> {
    const row = this.db.prepare('SELECT data FROM annotations WHERE owner_uuid = ?').get(ownerUuid) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as Record<string, string>) : {};
  }

  setAnnotations(ownerUuid: string, data: Record<string, string>): void {
    if (Object.keys(data).length === 0) this.db.prepare('DELETE FROM annotations WHERE owner_uuid = ?').run(ownerUuid);
    else
      this.db
        .prepare('INSERT INTO annotations (owner_uuid, data) VALUES (?, ?) ON CONFLICT (owner_uuid) DO UPDATE SET data = excluded.data')
        .run(ownerUuid, JSON.stringify(data));
  }

  // ---- everything -------------------------------------------------------------------

  /** The whole configuration, read in one transaction so it is consistent. */
  snapshot(): ConfigSnapshot {
    return this.db.transaction(() => ({
      globals: this.getGlobals()!,
      portalGroups: this.listPortalGroups().items,
      initiatorGroups: this.listInitiatorGroups().items,
      authCredentials: this.listAuthCredentials().items,
      targets: this.listTargets().items,
      targetGroups: this.listTargetGroups().items,
      extents: this.listExtents().items,
      luns: this.listLuns().items,
      lunMaps: this.listLunMaps(),
      pools: this.listPools(),
      tenants: this.listTenants(),
    }))();
  }
}

/** The column of an allow-listed domain field: `portalGroupId` is `portal_group_id`. */
function column(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function portalGroupFromRow(r: PortalGroupRow, listen: string[]): PortalGroup {
  return { id: r.id, uuid: r.uuid, tenantId: r.tenant_id, tag: r.tag, listen, comment: r.comment, enabled: r.enabled === 1 };
}

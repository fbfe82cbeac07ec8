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
  Pool,
  PortalGroup,
  ServiceSetting,
  Target,
  TargetGroup,
} from '../domain/entities.js';
import type { ConfigRepository, CredentialRepository, Page, TargetReference } from '../domain/repository.js';
import type { ApiKey, ApiKeyRepository } from '../domain/api-keys.js';
import type { Db } from './database.js';
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
  type AuthCredentialRow,
  type ExtentRow,
  type InitiatorGroupRow,
  type LunRow,
  type TargetGroupRow,
  type TargetRow,
} from './rows.js';

const GLOBALS_KEY = 'iscsi.globals';
const ISCSI_SERVICE_KEY = 'service.iscsitarget';

const API_KEY_COLUMNS = 'id, name, tenant, secret_hash AS secretHash, created_at AS createdAt';

const REFERENCE_COLUMN = {
  portalGroup: 'portal_group_id',
  initiatorGroup: 'initiator_group_id',
  authGroup: 'auth_group',
} as const;

/** The repository ports of the domain (domain/repository.ts) on SQLite. */
export class ConfigStore implements ConfigRepository, CredentialRepository, ApiKeyRepository {
  constructor(readonly db: Db) {}

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
    return this.db.prepare('SELECT name, path FROM pools ORDER BY name').all() as Pool[];
  }

  upsertPool(pool: Pool): void {
    this.db
      .prepare('INSERT INTO pools (name, path) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET path = excluded.path')
      .run(pool.name, pool.path);
  }

  // ---- API users --------------------------------------------------------------------

  getPasswordHash(user: string): string | null {
    const row = this.db.prepare('SELECT password_hash FROM api_users WHERE name = ?').get(user) as
      | { password_hash: string }
      | undefined;
    return row?.password_hash ?? null;
  }

  setPasswordHash(user: string, hash: string): void {
    this.db
      .prepare(
        'INSERT INTO api_users (name, password_hash) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET password_hash = excluded.password_hash',
      )
      .run(user, hash);
  }

  // ---- portal groups ----------------------------------------------------------------

  listApiKeys(): ApiKey[] {
    return (this.db.prepare(`SELECT ${API_KEY_COLUMNS} FROM api_keys ORDER BY id`).all() as ApiKey[]);
  }

  getApiKey(id: number): ApiKey | null {
    return (this.db.prepare(`SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE id = ?`).get(id) as ApiKey | undefined) ?? null;
  }

  apiKeyByName(name: string): ApiKey | null {
    return (this.db.prepare(`SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE name = ?`).get(name) as ApiKey | undefined) ?? null;
  }

  insertApiKey(k: Omit<ApiKey, 'id'>): number {
    const r = this.db
      .prepare('INSERT INTO api_keys (name, tenant, secret_hash, created_at) VALUES (?, ?, ?, ?)')
      .run(k.name, k.tenant, k.secretHash, k.createdAt);
    return Number(r.lastInsertRowid);
  }

  deleteApiKey(id: number): void {
    this.db.prepare('DELETE FROM api_keys WHERE id = ?').run(id);
  }

  listPortalGroups(page?: Page): PortalGroup[] {
    const rows = this.db
      .prepare(`SELECT id, tag, comment FROM portal_groups ORDER BY id ${limitClause(page)}`)
      .all() as Omit<PortalGroup, 'listen'>[];
    const listen = this.db.prepare('SELECT address FROM portal_listen WHERE portal_group_id = ? ORDER BY position');
    return rows.map((r) => ({ ...r, listen: (listen.all(r.id) as { address: string }[]).map((l) => l.address) }));
  }

  getPortalGroup(id: number): PortalGroup | null {
    const row = this.db.prepare('SELECT id, tag, comment FROM portal_groups WHERE id = ?').get(id) as
      | Omit<PortalGroup, 'listen'>
      | undefined;
    if (!row) return null;
    const listen = this.db
      .prepare('SELECT address FROM portal_listen WHERE portal_group_id = ? ORDER BY position')
      .all(id) as { address: string }[];
    return { ...row, listen: listen.map((l) => l.address) };
  }

  /** The portal group (id) already listening on `address`, if any. */
  portalGroupListeningOn(address: string): number | null {
    const row = this.db.prepare('SELECT portal_group_id FROM portal_listen WHERE address = ?').get(address) as
      | { portal_group_id: number }
      | undefined;
    return row?.portal_group_id ?? null;
  }

  insertPortalGroup(group: Omit<PortalGroup, 'id'>): number {
    const id = Number(
      this.db.prepare('INSERT INTO portal_groups (tag, comment) VALUES (?, ?)').run(group.tag, group.comment).lastInsertRowid,
    );
    this.replaceListen(id, group.listen);
    return id;
  }

  updatePortalGroup(group: PortalGroup): void {
    this.db.prepare('UPDATE portal_groups SET tag = ?, comment = ? WHERE id = ?').run(group.tag, group.comment, group.id);
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

  maxPortalTag(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(tag), 0) AS m FROM portal_groups').get() as { m: number }).m;
  }

  portalGroupByTag(tag: number): number | null {
    const row = this.db.prepare('SELECT id FROM portal_groups WHERE tag = ?').get(tag) as { id: number } | undefined;
    return row?.id ?? null;
  }

  // ---- initiator groups -------------------------------------------------------------

  listInitiatorGroups(page?: Page): InitiatorGroup[] {
    const rows = this.db.prepare(`SELECT * FROM initiator_groups ORDER BY id ${limitClause(page)}`).all() as InitiatorGroupRow[];
    return rows.map(initiatorGroupFromRow);
  }

  getInitiatorGroup(id: number): InitiatorGroup | null {
    const row = this.db.prepare('SELECT * FROM initiator_groups WHERE id = ?').get(id) as InitiatorGroupRow | undefined;
    return row ? initiatorGroupFromRow(row) : null;
  }

  insertInitiatorGroup(g: Omit<InitiatorGroup, 'id'>): number {
    return Number(
      this.db
        .prepare('INSERT INTO initiator_groups (tag, initiators, networks, comment) VALUES (?, ?, ?, ?)')
        .run(g.tag, JSON.stringify(g.initiators), JSON.stringify(g.networks), g.comment).lastInsertRowid,
    );
  }

  updateInitiatorGroup(g: InitiatorGroup): void {
    this.db
      .prepare('UPDATE initiator_groups SET tag = ?, initiators = ?, networks = ?, comment = ? WHERE id = ?')
      .run(g.tag, JSON.stringify(g.initiators), JSON.stringify(g.networks), g.comment, g.id);
  }

  deleteInitiatorGroup(id: number): void {
    this.db.prepare('DELETE FROM initiator_groups WHERE id = ?').run(id);
  }

  maxInitiatorTag(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(tag), 0) AS m FROM initiator_groups').get() as { m: number }).m;
  }

  initiatorGroupByTag(tag: number): number | null {
    const row = this.db.prepare('SELECT id FROM initiator_groups WHERE tag = ?').get(tag) as { id: number } | undefined;
    return row?.id ?? null;
  }

  // ---- auth credentials -------------------------------------------------------------

  listAuthCredentials(page?: Page): AuthCredential[] {
    const rows = this.db.prepare(`SELECT * FROM auth_credentials ORDER BY id ${limitClause(page)}`).all() as AuthCredentialRow[];
    return rows.map(authCredentialFromRow);
  }

  getAuthCredential(id: number): AuthCredential | null {
    const row = this.db.prepare('SELECT * FROM auth_credentials WHERE id = ?').get(id) as AuthCredentialRow | undefined;
    return row ? authCredentialFromRow(row) : null;
  }

  authCredentialsWithTag(tag: number): AuthCredential[] {
    const rows = this.db.prepare('SELECT * FROM auth_credentials WHERE tag = ? ORDER BY id').all(tag) as AuthCredentialRow[];
    return rows.map(authCredentialFromRow);
  }

  insertAuthCredential(c: Omit<AuthCredential, 'id'>): number {
    return Number(
      this.db
        .prepare('INSERT INTO auth_credentials (tag, user, secret, peer_user, peer_secret) VALUES (?, ?, ?, ?, ?)')
        .run(c.tag, c.user, c.secret, c.peerUser, c.peerSecret).lastInsertRowid,
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

  maxAuthTag(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(tag), 0) AS m FROM auth_credentials').get() as { m: number }).m;
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

  listTargets(page?: Page): Target[] {
    const rows = this.db.prepare(`SELECT * FROM targets ORDER BY id ${limitClause(page)}`).all() as TargetRow[];
    return rows.map(targetFromRow);
  }


  getTarget(id: number): Target | null {
    const row = this.db.prepare('SELECT * FROM targets WHERE id = ?').get(id) as TargetRow | undefined;
    return row ? targetFromRow(row) : null;
  }

  targetByName(name: string): Target | null {
    const row = this.db.prepare('SELECT * FROM targets WHERE name = ?').get(name) as TargetRow | undefined;
    return row ? targetFromRow(row) : null;
  }

  targetsReferencing(kind: TargetReference, id: number): Target[] {
    return this.targetsWhere(REFERENCE_COLUMN[kind], id);
  }

  private targetsWhere(column: 'portal_group_id' | 'initiator_group_id' | 'auth_group', value: number): Target[] {
    const rows = this.db.prepare(`SELECT * FROM targets WHERE ${column} = ? ORDER BY id`).all(value) as TargetRow[];
    return rows.map(targetFromRow);
  }

  targetSerials(): string[] {
    return (this.db.prepare('SELECT serial FROM targets').all() as { serial: string }[]).map((r) => r.serial);
  }

  insertTarget(t: Omit<Target, 'id'>): number {
    const row = targetToRow(t);
    return Number(
      this.db
        .prepare(
          `INSERT INTO targets (name, alias, serial, read_only, portal_group_id, initiator_group_id, auth_method,
             auth_group, digest, queue_depth, block_size, type)
           VALUES (@name, @alias, @serial, @read_only, @portal_group_id, @initiator_group_id, @auth_method,
             @auth_group, @digest, @queue_depth, @block_size, @type)`,
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

  listExtents(page?: Page): Extent[] {
    const rows = this.db.prepare(`SELECT * FROM extents ORDER BY id ${limitClause(page)}`).all() as ExtentRow[];
    return rows.map(extentFromRow);
  }

  getExtent(id: number): Extent | null {
    const row = this.db.prepare('SELECT * FROM extents WHERE id = ?').get(id) as ExtentRow | undefined;
    return row ? extentFromRow(row) : null;
  }

  extentByName(name: string): Extent | null {
    const row = this.db.prepare('SELECT * FROM extents WHERE name = ?').get(name) as ExtentRow | undefined;
    return row ? extentFromRow(row) : null;
  }

  extentByPath(realPath: string): Extent | null {
    const row = this.db.prepare('SELECT * FROM extents WHERE path = ?').get(realPath) as ExtentRow | undefined;
    return row ? extentFromRow(row) : null;
  }

  naaInUse(naa: string): boolean {
    return this.db.prepare('SELECT 1 FROM extents WHERE naa = ?').get(naa) !== undefined;
  }

  insertExtent(e: Omit<Extent, 'id'>): number {
    const row = extentToRow(e);
    return Number(
      this.db
        .prepare(
          `INSERT INTO extents (name, type, path, display_path, size_bytes, size_text, comment, block_size, serial,
             read_only, rpm, insecure_tpc, xen, avail_threshold, naa)
           VALUES (@name, @type, @path, @display_path, @size_bytes, @size_text, @comment, @block_size, @serial,
             @read_only, @rpm, @insecure_tpc, @xen, @avail_threshold, @naa)`,
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
           avail_threshold = @avail_threshold, naa = @naa
         WHERE id = @id`,
      )
      .run({ ...extentToRow(e), id: e.id });
  }

  deleteExtent(id: number): void {
    this.db.prepare('DELETE FROM extents WHERE id = ?').run(id);
  }

  // ---- LUN mappings -----------------------------------------------------------------

  listLuns(page?: Page): Lun[] {
    const rows = this.db.prepare(`SELECT * FROM luns ORDER BY id ${limitClause(page)}`).all() as LunRow[];
    return rows.map(lunFromRow);
  }

  getLun(id: number): Lun | null {
    const row = this.db.prepare('SELECT * FROM luns WHERE id = ?').get(id) as LunRow | undefined;
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
        .prepare('INSERT INTO luns (target_id, extent_id, lun, auto_numbered) VALUES (?, ?, ?, ?)')
        .run(l.targetId, l.extentId, l.lun, l.autoNumbered === false ? 0 : 1).lastInsertRowid,
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

  listTargetGroups(page?: Page): TargetGroup[] {
    const rows = this.db.prepare(`SELECT * FROM target_groups ORDER BY id ${limitClause(page)}`).all() as TargetGroupRow[];
    return rows.map(targetGroupFromRow);
  }

  getTargetGroup(id: number): TargetGroup | null {
    const row = this.db.prepare('SELECT * FROM target_groups WHERE id = ?').get(id) as TargetGroupRow | undefined;
    return row ? targetGroupFromRow(row) : null;
  }

  targetGroupsOf(targetId: number): TargetGroup[] {
    return this.targetGroupsWhere('target_id', targetId);
  }

  targetGroupsReferencing(kind: TargetReference, id: number): TargetGroup[] {
    return this.targetGroupsWhere(REFERENCE_COLUMN[kind], id);
  }

  private targetGroupsWhere(column: 'target_id' | 'portal_group_id' | 'initiator_group_id' | 'auth_group', value: number): TargetGroup[] {
    const rows = this.db.prepare(`SELECT * FROM target_groups WHERE ${column} = ? ORDER BY id`).all(value) as TargetGroupRow[];
    return rows.map(targetGroupFromRow);
  }

  insertTargetGroup(g: Omit<TargetGroup, 'id'>): number {
    return Number(
      this.db
        .prepare(
          `INSERT INTO target_groups (target_id, portal_group_id, initiator_group_id, auth_method, auth_group, digest)
           VALUES (@target_id, @portal_group_id, @initiator_group_id, @auth_method, @auth_group, @digest)`,
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

  // ---- services (administrative state) ----------------------------------------------

  /** Whether the iSCSI target service is switched on; a fresh store says yes. */
  iscsiEnabled(): boolean {
    const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(ISCSI_SERVICE_KEY) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as Pick<ServiceSetting, 'enabled'>).enabled : true;
  }

  setIscsiEnabled(enabled: boolean): void {
    this.db
      .prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value')
      .run(ISCSI_SERVICE_KEY, JSON.stringify({ enabled }));
  }

  // ---- everything -------------------------------------------------------------------

  /** The whole configuration, read in one transaction so it is consistent. */
  snapshot(): ConfigSnapshot {
    return this.db.transaction(() => ({
      globals: this.getGlobals()!,
      portalGroups: this.listPortalGroups(),
      initiatorGroups: this.listInitiatorGroups(),
      authCredentials: this.listAuthCredentials(),
      targets: this.listTargets(),
      targetGroups: this.listTargetGroups(),
      extents: this.listExtents(),
      luns: this.listLuns(),
      pools: this.listPools(),
      iscsiEnabled: this.iscsiEnabled(),
    }))();
  }
}

/**
 * The page as SQL text. Its numbers are checked here rather than trusted: a float or a
 * number past 2^53 becomes a literal SQLite refuses (a 500 at the API), whatever dialect
 * computed it. Dialects answer bad paging in their own words before this.
 */
function limitClause(page?: Page): string {
  if (!page) return '';
  const limit = page.limit <= 0 ? -1 : Math.floor(page.limit);
  const offset = Math.max(0, Math.floor(page.offset));
  if (!Number.isSafeInteger(limit) || !Number.isSafeInteger(offset)) {
    throw new RangeError(`page offset ${page.offset}, limit ${page.limit} is not a pair of whole numbers below 2^53`);
  }
  return `LIMIT ${limit} OFFSET ${offset}`;
}

/**
 * Versioned schema migrations. PRAGMA user_version holds the number of migrations
 * applied; each runs once, in order, inside one transaction. Append, never edit.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
  /**
   * The migration rebuilds a table other tables refer to (SQLite cannot drop NOT NULL in
   * place): foreign keys are off while it runs, and checked before it commits.
   */
  rebuildsTables?: boolean;
}

/**
 * An RFC 4122 version 4 uuid as SQL, evaluated once per row: 122 random bits, the version
 * nibble 4 and the variant bits 10 (the first digit of the fourth group is 8, 9, a or b).
 * The domain gives new rows `crypto.randomUUID()`; this is for rows that exist already.
 */
const UUID_V4 = `(lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' ||
  substr('89ab', 1 + (random() & 3), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))))`;

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'iSCSI configuration, pools and API users',
    sql: `
      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
      CREATE TABLE pools (
        name TEXT PRIMARY KEY,
        path TEXT NOT NULL
      );
      CREATE TABLE api_users (
        name          TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL
      );
      CREATE TABLE portal_groups (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        tag     INTEGER NOT NULL UNIQUE,
        comment TEXT NOT NULL DEFAULT ''
      );
      CREATE TABLE portal_listen (
        portal_group_id INTEGER NOT NULL REFERENCES portal_groups(id) ON DELETE CASCADE,
        position        INTEGER NOT NULL,
        address         TEXT NOT NULL UNIQUE,
        PRIMARY KEY (portal_group_id, position)
      );
      CREATE TABLE initiator_groups (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        tag        INTEGER NOT NULL UNIQUE,
        initiators TEXT NOT NULL,
        networks   TEXT NOT NULL,
        comment    TEXT NOT NULL DEFAULT ''
      );
      CREATE TABLE auth_credentials (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        tag         INTEGER NOT NULL,
        user        TEXT NOT NULL,
        secret      TEXT NOT NULL,
        peer_user   TEXT NOT NULL DEFAULT '',
        peer_secret TEXT NOT NULL DEFAULT ''
      );
      CREATE TABLE targets (
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        name               TEXT NOT NULL UNIQUE,
        alias              TEXT,
        serial             TEXT NOT NULL,
        read_only          INTEGER NOT NULL DEFAULT 0,
        portal_group_id    INTEGER NOT NULL REFERENCES portal_groups(id),
        initiator_group_id INTEGER REFERENCES initiator_groups(id),
        auth_method        TEXT NOT NULL,
        auth_group         INTEGER,
        digest             TEXT NOT NULL,
        queue_depth        INTEGER NOT NULL,
        block_size         INTEGER NOT NULL,
        type               TEXT NOT NULL
      );
      CREATE TABLE extents (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        name            TEXT NOT NULL UNIQUE,
        type            TEXT NOT NULL,
        path            TEXT NOT NULL,
        display_path    TEXT,
        size_bytes      INTEGER NOT NULL,
        size_text       TEXT NOT NULL,
        comment         TEXT NOT NULL DEFAULT '',
        block_size      INTEGER,
        serial          TEXT,
        read_only       INTEGER NOT NULL DEFAULT 0,
        rpm             TEXT NOT NULL,
        insecure_tpc    INTEGER NOT NULL,
        xen             INTEGER NOT NULL,
        avail_threshold INTEGER,
        naa             TEXT NOT NULL UNIQUE
      );
      CREATE TABLE luns (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        target_id     INTEGER NOT NULL REFERENCES targets(id) ON DELETE CASCADE,
        extent_id     INTEGER NOT NULL REFERENCES extents(id),
        lun           INTEGER NOT NULL,
        auto_numbered INTEGER NOT NULL DEFAULT 1,
        UNIQUE (target_id, lun)
      );
    `,
  },
  {
    version: 2,
    description: 'API keys (only a digest of each secret)',
    sql: `
      CREATE TABLE api_keys (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        name        TEXT NOT NULL UNIQUE,
        tenant      TEXT,
        secret_hash TEXT NOT NULL,
        created_at  TEXT NOT NULL
      );
    `,
  },
  {
    version: 3,
    description: 'FreeNAS 9.3+: target groups (a target on several portal groups), targets without a portal group',
    rebuildsTables: true,
    sql: `
      CREATE TEMP TABLE target_sequence AS SELECT seq FROM sqlite_sequence WHERE name = 'targets';
      CREATE TABLE targets_v2 (
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        name               TEXT NOT NULL UNIQUE,
        alias              TEXT,
        serial             TEXT NOT NULL,
        read_only          INTEGER NOT NULL DEFAULT 0,
        portal_group_id    INTEGER REFERENCES portal_groups(id),
        initiator_group_id INTEGER REFERENCES initiator_groups(id),
        auth_method        TEXT NOT NULL,
        auth_group         INTEGER,
        digest             TEXT NOT NULL,
        queue_depth        INTEGER NOT NULL,
        block_size         INTEGER NOT NULL,
        type               TEXT NOT NULL
      );
      INSERT INTO targets_v2 SELECT id, name, alias, serial, read_only, portal_group_id, initiator_group_id,
        auth_method, auth_group, digest, queue_depth, block_size, type FROM targets;
      DROP TABLE targets;
      ALTER TABLE targets_v2 RENAME TO targets;
      -- AUTOINCREMENT's high-water mark survives the rebuild: a deleted target's id stays unused.
      DELETE FROM sqlite_sequence WHERE name = 'targets';
      INSERT INTO sqlite_sequence (name, seq)
        SELECT 'targets', MAX(COALESCE((SELECT seq FROM target_sequence), 0), COALESCE((SELECT MAX(id) FROM targets), 0));
      DROP TABLE target_sequence;
      CREATE TABLE target_groups (
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        target_id          INTEGER NOT NULL REFERENCES targets(id) ON DELETE CASCADE,
        portal_group_id    INTEGER NOT NULL REFERENCES portal_groups(id),
        initiator_group_id INTEGER REFERENCES initiator_groups(id),
        auth_method        TEXT NOT NULL,
        auth_group         INTEGER,
        digest             TEXT NOT NULL,
        UNIQUE (target_id, portal_group_id)
      );
    `,
  },
  {
    version: 4,
    description: 'tenants: every configuration row belongs to one (the default tenant owns what exists), has a uuid, and names are unique per tenant',
    rebuildsTables: true,
    sql: `
      -- AUTOINCREMENT high-water marks survive the rebuilds below: a deleted row's id stays unused.
      CREATE TEMP TABLE saved_sequence AS SELECT name, seq FROM sqlite_sequence;
      CREATE TABLE tenants (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid          TEXT NOT NULL UNIQUE,
        name          TEXT NOT NULL UNIQUE,
        iscsi_enabled INTEGER NOT NULL DEFAULT 1,
        created_at    TEXT NOT NULL
      );
      -- The iSCSI service switch moves from settings onto the default tenant.
      INSERT INTO tenants (id, uuid, name, iscsi_enabled, created_at)
        VALUES (1, ${UUID_V4}, 'default',
          COALESCE((SELECT CASE json_extract(value, '$.enabled') WHEN 0 THEN 0 ELSE 1 END FROM settings WHERE key = 'service.iscsitarget'), 1),
          strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
      DELETE FROM settings WHERE key = 'service.iscsitarget';

      CREATE TABLE new_portal_groups (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid      TEXT NOT NULL UNIQUE,
        tenant_id INTEGER NOT NULL REFERENCES tenants(id),
        tag       INTEGER NOT NULL,
        comment   TEXT NOT NULL DEFAULT '',
        UNIQUE (tenant_id, tag)
      );
      INSERT INTO new_portal_groups SELECT id, ${UUID_V4}, 1, tag, comment FROM portal_groups;

      CREATE TABLE new_initiator_groups (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid       TEXT NOT NULL UNIQUE,
        tenant_id  INTEGER NOT NULL REFERENCES tenants(id),
        tag        INTEGER NOT NULL,
        initiators TEXT NOT NULL,
        networks   TEXT NOT NULL,
        comment    TEXT NOT NULL DEFAULT '',
        UNIQUE (tenant_id, tag)
      );
      INSERT INTO new_initiator_groups SELECT id, ${UUID_V4}, 1, tag, initiators, networks, comment FROM initiator_groups;

      CREATE TABLE new_auth_credentials (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid        TEXT NOT NULL UNIQUE,
        tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
        tag         INTEGER NOT NULL,
        user        TEXT NOT NULL,
        secret      TEXT NOT NULL,
        peer_user   TEXT NOT NULL DEFAULT '',
        peer_secret TEXT NOT NULL DEFAULT ''
      );
      INSERT INTO new_auth_credentials SELECT id, ${UUID_V4}, 1, tag, user, secret, peer_user, peer_secret FROM auth_credentials;
      CREATE INDEX auth_credentials_tag ON new_auth_credentials (tenant_id, tag);

      CREATE TABLE new_targets (
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid               TEXT NOT NULL UNIQUE,
        tenant_id          INTEGER NOT NULL REFERENCES tenants(id),
        name               TEXT NOT NULL,
        alias              TEXT,
        serial             TEXT NOT NULL,
        read_only          INTEGER NOT NULL DEFAULT 0,
        portal_group_id    INTEGER REFERENCES portal_groups(id),
        initiator_group_id INTEGER REFERENCES initiator_groups(id),
        auth_method        TEXT NOT NULL,
        auth_group         INTEGER,
        digest             TEXT NOT NULL,
        queue_depth        INTEGER NOT NULL,
        block_size         INTEGER NOT NULL,
        type               TEXT NOT NULL,
        UNIQUE (tenant_id, name)
      );
      INSERT INTO new_targets SELECT id, ${UUID_V4}, 1, name, alias, serial, read_only, portal_group_id, initiator_group_id,
        auth_method, auth_group, digest, queue_depth, block_size, type FROM targets;

      CREATE TABLE new_extents (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid            TEXT NOT NULL UNIQUE,
        tenant_id       INTEGER NOT NULL REFERENCES tenants(id),
        name            TEXT NOT NULL,
        type            TEXT NOT NULL,
        path            TEXT NOT NULL,
        display_path    TEXT,
        size_bytes      INTEGER NOT NULL,
        size_text       TEXT NOT NULL,
        comment         TEXT NOT NULL DEFAULT '',
        block_size      INTEGER,
        serial          TEXT,
        read_only       INTEGER NOT NULL DEFAULT 0,
        rpm             TEXT NOT NULL,
        insecure_tpc    INTEGER NOT NULL,
        xen             INTEGER NOT NULL,
        avail_threshold INTEGER,
        naa             TEXT NOT NULL UNIQUE,
        UNIQUE (tenant_id, name)
      );
      INSERT INTO new_extents SELECT id, ${UUID_V4}, 1, name, type, path, display_path, size_bytes, size_text, comment, block_size,
        serial, read_only, rpm, insecure_tpc, xen, avail_threshold, naa FROM extents;

      CREATE TABLE new_luns (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid          TEXT NOT NULL UNIQUE,
        tenant_id     INTEGER NOT NULL REFERENCES tenants(id),
        target_id     INTEGER NOT NULL REFERENCES targets(id) ON DELETE CASCADE,
        extent_id     INTEGER NOT NULL REFERENCES extents(id),
        lun           INTEGER NOT NULL,
        auto_numbered INTEGER NOT NULL DEFAULT 1,
        UNIQUE (target_id, lun)
      );
      INSERT INTO new_luns SELECT id, ${UUID_V4}, 1, target_id, extent_id, lun, auto_numbered FROM luns;

      CREATE TABLE new_target_groups (
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid               TEXT NOT NULL UNIQUE,
        tenant_id          INTEGER NOT NULL REFERENCES tenants(id),
        target_id          INTEGER NOT NULL REFERENCES targets(id) ON DELETE CASCADE,
        portal_group_id    INTEGER NOT NULL REFERENCES portal_groups(id),
        initiator_group_id INTEGER REFERENCES initiator_groups(id),
        auth_method        TEXT NOT NULL,
        auth_group         INTEGER,
        digest             TEXT NOT NULL,
        UNIQUE (target_id, portal_group_id)
      );
      INSERT INTO new_target_groups SELECT id, ${UUID_V4}, 1, target_id, portal_group_id, initiator_group_id, auth_method,
        auth_group, digest FROM target_groups;

      -- A key's tenant scope: NULL is unscoped. Names are unique per scope, the unscoped one included.
      CREATE TABLE new_api_keys (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid        TEXT NOT NULL UNIQUE,
        tenant_id   INTEGER REFERENCES tenants(id),
        name        TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        UNIQUE (tenant_id, name)
      );
      INSERT INTO new_api_keys SELECT id, ${UUID_V4}, CASE WHEN tenant IS NULL THEN NULL ELSE 1 END, name, secret_hash, created_at
        FROM api_keys;
      CREATE UNIQUE INDEX api_keys_unscoped_name ON new_api_keys (name) WHERE tenant_id IS NULL;

      DROP TABLE portal_groups;
      DROP TABLE initiator_groups;
      DROP TABLE auth_credentials;
      DROP TABLE targets;
      DROP TABLE extents;
      DROP TABLE luns;
      DROP TABLE target_groups;
      DROP TABLE api_keys;
      ALTER TABLE new_portal_groups RENAME TO portal_groups;
      ALTER TABLE new_initiator_groups RENAME TO initiator_groups;
      ALTER TABLE new_auth_credentials RENAME TO auth_credentials;
      ALTER TABLE new_targets RENAME TO targets;
      ALTER TABLE new_extents RENAME TO extents;
      ALTER TABLE new_luns RENAME TO luns;
      ALTER TABLE new_target_groups RENAME TO target_groups;
      ALTER TABLE new_api_keys RENAME TO api_keys;
      DELETE FROM sqlite_sequence WHERE name IN
        ('portal_groups', 'initiator_groups', 'auth_credentials', 'targets', 'extents', 'luns', 'target_groups', 'api_keys')
        OR substr(name, 1, 4) = 'new_';
      INSERT INTO sqlite_sequence (name, seq) SELECT name, seq FROM saved_sequence WHERE name <> 'tenants';
      DROP TABLE saved_sequence;
    `,
  },
  {
    version: 5,
    description: 'pools: every pool a row with a uuid, a type, its source and attributes (the configured ones too); the site uuids are made on first use',
    sql: `
      CREATE TABLE new_pools (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid          TEXT NOT NULL UNIQUE,
        name          TEXT NOT NULL UNIQUE,
        type          TEXT NOT NULL,
        path          TEXT NOT NULL DEFAULT '',
        source        TEXT NOT NULL DEFAULT '',
        ip            TEXT NOT NULL DEFAULT '',
        port          TEXT NOT NULL DEFAULT '',
        username      TEXT NOT NULL DEFAULT '',
        password      TEXT NOT NULL DEFAULT '',
        zone_uuid     TEXT NOT NULL DEFAULT '',
        limit_host    INTEGER NOT NULL DEFAULT 0,
        avail_hosts   TEXT NOT NULL DEFAULT '[]',
        avail_tenants TEXT NOT NULL DEFAULT '[]',
        attributes    TEXT NOT NULL DEFAULT '{"overAllocationThreshold":"1.0"}',
        created_at    INTEGER NOT NULL,
        modified_at   INTEGER NOT NULL DEFAULT 0,
        configured    INTEGER NOT NULL DEFAULT 0,
        health        TEXT NOT NULL DEFAULT 'healthy',
        health_reason TEXT
      );
      INSERT INTO new_pools (uuid, name, type, path, source, ip, created_at, configured)
        SELECT ${UUID_V4}, name, 'disk', path, path, '127.0.0.1', CAST(strftime('%s', 'now') AS INTEGER), 1 FROM pools ORDER BY name;
      DROP TABLE pools;
      ALTER TABLE new_pools RENAME TO pools;
    `,
  },
  {
    version: 6,
    description: 'extents carved out of an iscsi pool: the pool and the byte offset of their range on its LUN (NULL for image files and devices)',
    sql: `
      ALTER TABLE extents ADD COLUMN pool_id INTEGER REFERENCES pools(id);
      ALTER TABLE extents ADD COLUMN pool_offset INTEGER;
      CREATE INDEX extents_pool ON extents (pool_id, pool_offset) WHERE pool_id IS NOT NULL;
    `,
  },
  {
    version: 7,
    description:
      'ONTAP: annotations (what a dialect keeps on an object and the domain never reads), portal groups that can be off, a tenant that can be stopped, a tenant-wide target, volumes holding extents, and LUN maps per initiator group',
    sql: `
      CREATE TABLE annotations (
        owner_uuid TEXT PRIMARY KEY,
        data       TEXT NOT NULL
      );
      ALTER TABLE portal_groups ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE tenants ADD COLUMN running INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE targets ADD COLUMN tenant_wide INTEGER NOT NULL DEFAULT 0;
      CREATE UNIQUE INDEX targets_tenant_wide ON targets (tenant_id) WHERE tenant_wide = 1;
      CREATE TABLE volumes (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid       TEXT NOT NULL UNIQUE,
        tenant_id  INTEGER NOT NULL REFERENCES tenants(id),
        name       TEXT NOT NULL,
        pool_id    INTEGER NOT NULL REFERENCES pools(id),
        size_bytes INTEGER NOT NULL,
        comment    TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        UNIQUE (tenant_id, name)
      );
      ALTER TABLE extents ADD COLUMN volume_id INTEGER REFERENCES volumes(id);
      CREATE TABLE lun_maps (
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid               TEXT NOT NULL UNIQUE,
        tenant_id          INTEGER NOT NULL REFERENCES tenants(id),
        extent_id          INTEGER NOT NULL REFERENCES extents(id),
        initiator_group_id INTEGER NOT NULL REFERENCES initiator_groups(id),
        lun                INTEGER NOT NULL,
        UNIQUE (initiator_group_id, lun),
        UNIQUE (initiator_group_id, extent_id)
      );
${['tenants', 'portal_groups', 'initiator_groups', 'auth_credentials', 'targets', 'extents', 'luns', 'target_groups', 'volumes', 'lun_maps']
  .map((t) => `      CREATE TRIGGER ${t}_annotations AFTER DELETE ON ${t} BEGIN DELETE FROM annotations WHERE owner_uuid = old.uuid; END;`)
  .join('\n')}
    `,
  },
  {
    version: 8,
    description: 'HNAS: access rules by address on initiator groups (rw, ro, none), and targets served on every portal group of their tenant',
    sql: `
      ALTER TABLE initiator_groups ADD COLUMN rules TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE targets ADD COLUMN all_tenant_portals INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 9,
    description: "Ironic: bare-metal nodes, their volume connectors and volume targets (a target's export is a sanbox target)",
    sql: `
      CREATE TABLE nodes (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid            TEXT NOT NULL UNIQUE,
        tenant_id       INTEGER NOT NULL REFERENCES tenants(id),
        name            TEXT UNIQUE,
        driver          TEXT NOT NULL,
        power_state     TEXT NOT NULL,
        provision_state TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        updated_at      TEXT
      );
      CREATE TABLE volume_connectors (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid         TEXT NOT NULL UNIQUE,
        tenant_id    INTEGER NOT NULL REFERENCES tenants(id),
        node_id      INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
        type         TEXT NOT NULL,
        connector_id TEXT NOT NULL,
        extra        TEXT NOT NULL DEFAULT '{}',
        created_at   TEXT NOT NULL,
        updated_at   TEXT,
        UNIQUE (type, connector_id)
      );
      CREATE TABLE volume_targets (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid             TEXT NOT NULL UNIQUE,
        tenant_id        INTEGER NOT NULL REFERENCES tenants(id),
        node_id          INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
        volume_type      TEXT NOT NULL,
        properties       TEXT NOT NULL DEFAULT '{}',
        boot_index       INTEGER NOT NULL,
        volume_id        TEXT NOT NULL,
        extra            TEXT NOT NULL DEFAULT '{}',
        export_target_id INTEGER REFERENCES targets(id) ON DELETE SET NULL,
        created_at       TEXT NOT NULL,
        updated_at       TEXT,
        UNIQUE (node_id, boot_index)
      );
${['nodes', 'volume_connectors', 'volume_targets']
  .map((t) => `      CREATE TRIGGER ${t}_annotations AFTER DELETE ON ${t} BEGIN DELETE FROM annotations WHERE owner_uuid = old.uuid; END;`)
  .join('\n')}
    `,
  },
  {
    version: 10,
    description: 'jobs: long work (thick extents, image imports, clones) with its state and progress, kept across restarts',
    sql: `
      CREATE TABLE jobs (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid         TEXT NOT NULL UNIQUE,
        kind         TEXT NOT NULL,
        state        TEXT NOT NULL,
        done_bytes   INTEGER NOT NULL DEFAULT 0,
        total_bytes  INTEGER NOT NULL DEFAULT 0,
        error        TEXT,
        params       TEXT NOT NULL DEFAULT '{}',
        extent_id    INTEGER,
        work_path    TEXT NOT NULL DEFAULT '',
        created_at   TEXT NOT NULL,
        started_at   TEXT,
        finished_at  TEXT
      );
      CREATE INDEX jobs_unfinished ON jobs (state) WHERE state IN ('queued', 'running');
    `,
  },
];

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
];

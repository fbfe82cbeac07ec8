import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { openDatabase, schemaVersion } from '../../src/store/database.js';
import { ConfigStore } from '../../src/store/config-store.js';
import { defaultGlobals } from '../../src/domain/defaults.js';

/** What every configuration row carries: a fresh uuid, the default tenant. */
const owned = () => ({ uuid: crypto.randomUUID(), tenantId: 1 });

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-store-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a new database gets WAL, foreign keys and every migration', () => {
  const db = openDatabase(path.join(dir, 'a.db'));
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  assert.equal(schemaVersion(db), MIGRATIONS.at(-1)!.version);
  db.close();
});

test('migrations run once, in order; a later migration applies on the next open', () => {
  const file = path.join(dir, 'b.db');
  openDatabase(file).close();
  const extra = [...MIGRATIONS, { version: MIGRATIONS.length + 1, description: 'test', sql: 'CREATE TABLE later (x INTEGER);' }];
  const db = openDatabase(file, extra);
  assert.equal(schemaVersion(db), MIGRATIONS.length + 1);
  db.close();
  const again = openDatabase(file, extra); // would fail if the CREATE ran twice
  again.close();
});

test('a database from a newer sanbox is refused, not touched', () => {
  const file = path.join(dir, 'c.db');
  const db = openDatabase(file);
  db.pragma('user_version = 99');
  db.close();
  assert.throws(() => openDatabase(file), /schema version 99 is newer/);
});

test('entities round-trip through rows; a failed transaction leaves nothing behind', () => {
  const store = new ConfigStore(openDatabase(path.join(dir, 'd.db')));
  store.putGlobals(defaultGlobals());
  const pg = store.insertPortalGroup({ ...owned(), tag: 1, listen: ['0.0.0.0:3260', '[::]:3260'], comment: 'c', enabled: true });
  const tid = store.insertTarget({
    ...owned(),
    name: 't',
    alias: null,
    serial: '10000001',
    readOnly: true,
    portalGroupId: pg,
    initiatorGroupId: null,
    authMethod: 'None',
    authGroup: null,
    digest: 'CRC32C',
    queueDepth: 64,
    blockSize: 4096,
    type: 'Disk',
    tenantWide: false,
    allTenantPortals: false,
  });
  const eid = store.insertExtent({
    ...owned(),
    name: 'e',
    type: 'File',
    path: '/p/e',
    displayPath: '/mnt/tank/e',
    sizeBytes: 1024,
    sizeText: '1KB',
    comment: '',
    blockSize: null,
    serial: null,
    readOnly: false,
    rpm: 'SSD',
    insecureTpc: true,
    xen: false,
    availThreshold: null,
    naa: '6589cfc000000001',
  });
  store.insertLun({ ...owned(), targetId: tid, extentId: eid, lun: 3, autoNumbered: false });
  const snap = store.snapshot();
  const [group] = snap.portalGroups;
  assert.deepEqual(snap.portalGroups, [{ id: pg, uuid: group!.uuid, tenantId: 1, tag: 1, listen: ['0.0.0.0:3260', '[::]:3260'], comment: 'c', enabled: true }]);
  assert.deepEqual(store.getPortalGroupByUuid(group!.uuid), group);
  assert.equal(snap.targets[0]!.readOnly, true);
  assert.equal(snap.targets[0]!.digest, 'CRC32C');
  assert.equal(snap.extents[0]!.displayPath, '/mnt/tank/e');
  assert.deepEqual(snap.luns, [{ id: 1, uuid: snap.luns[0]!.uuid, tenantId: 1, targetId: tid, extentId: eid, lun: 3, autoNumbered: false }]);
  assert.equal(store.getTargetByUuid(snap.targets[0]!.uuid)!.id, tid);
  assert.equal(store.getExtentByUuid(snap.extents[0]!.uuid)!.id, eid);
  assert.equal(store.getLunByUuid(snap.luns[0]!.uuid)!.id, 1);

  assert.throws(() =>
    store.transaction(() => {
      store.insertPortalGroup({ ...owned(), tag: 2, listen: ['1.1.1.1:3260'], comment: '', enabled: true });
      store.insertPortalGroup({ ...owned(), tag: 3, listen: ['0.0.0.0:3260'], comment: '', enabled: true }); // address taken: UNIQUE
    }),
  );
  assert.equal(store.listPortalGroups().total, 1);
  store.deleteTarget(tid);
  assert.equal(store.listLuns().total, 0, 'LUN mappings go with their target');
  store.close();
});

test('the target list and the store version follow every change: insert, update, delete, rolled-back transaction, pages', () => {
  const store = new ConfigStore(openDatabase(path.join(dir, 'cache.db')));
  store.putGlobals(defaultGlobals());
  const pg = store.insertPortalGroup({ ...owned(), tag: 1, listen: ['0.0.0.0:3260'], comment: '', enabled: true });
  const target = (name: string) => ({
    ...owned(),
    name,
    alias: null,
    serial: `s-${name}`,
    readOnly: false,
    portalGroupId: pg,
    initiatorGroupId: null,
    authMethod: 'None' as const,
    authGroup: null,
    digest: 'Auto' as const,
    queueDepth: 32,
    blockSize: 512 as const,
    type: 'Disk' as const,
    tenantWide: false,
    allTenantPortals: false,
  });
  const names = () => store.listTargets().items.map((t) => `${t.name}${t.alias ? '/' + t.alias : ''}`);
  assert.deepEqual(names(), []);
  const v0 = store.version();
  const a = store.insertTarget(target('a'));
  assert.notEqual(store.version(), v0, 'a write moves the version');
  assert.deepEqual(names(), ['a']);
  store.insertTarget(target('b'));
  assert.deepEqual(names(), ['a', 'b']);
  assert.deepEqual(
    store.listTargets({ offset: 1, limit: 1 }).items.map((t) => t.name),
    ['b'],
  );
  store.updateTarget({ ...store.getTarget(a)!, alias: 'x' });
  assert.deepEqual(names(), ['a/x', 'b']);
  const first = store.listTargets().items;
  first[0]!.name = 'mutated by a caller';
  assert.deepEqual(names(), ['a/x', 'b'], 'callers get fresh entities');
  const beforeRollback = store.version();
  assert.throws(() =>
    store.transaction(() => {
      assert.equal(store.version(), -1, 'nothing may be kept inside a transaction');
      store.insertTarget(target('c'));
      assert.deepEqual(names(), ['a/x', 'b', 'c'], 'visible inside the transaction');
      throw new Error('roll back');
    }),
  );
  assert.deepEqual(names(), ['a/x', 'b'], 'gone after the rollback');
  assert.notEqual(store.version(), beforeRollback, 'a rolled-back write moves the version too');
  store.deleteTarget(a);
  assert.deepEqual(names(), ['b']);
  store.close();
});

test('a page that is no pair of whole numbers below 2^53 is a RangeError', () => {
  const db = openDatabase(path.join(dir, 'page.db'));
  try {
    const store = new ConfigStore(db);
    assert.deepEqual(store.listTargets({ offset: Number.MAX_SAFE_INTEGER, limit: 1000 }), { items: [], total: 0 });
    assert.deepEqual(store.listTargets({ offset: 0, limit: 0 }), { items: [], total: 0 });
    for (const page of [
      { offset: 2 ** 63, limit: 30 },
      { offset: 0, limit: 1e20 },
      { offset: NaN, limit: 30 },
    ]) {
      assert.throws(() => store.listTargets(page), RangeError, JSON.stringify(page));
    }
  } finally {
    db.close();
  }
});

test('migration 2 keeps a 9.2 database: targets, their LUNs and the id high-water mark survive the rebuild', () => {
  const file = path.join(dir, 'v1.db');
  const v1 = openDatabase(
    file,
    MIGRATIONS.filter((m) => m.version === 1),
  );
  v1.exec(`INSERT INTO settings (key, value) VALUES ('iscsi.globals', '${JSON.stringify(defaultGlobals())}');
    INSERT INTO portal_groups (tag) VALUES (1);
    INSERT INTO targets (name, serial, portal_group_id, auth_method, digest, queue_depth, block_size, type)
      VALUES ('a', '10000001', 1, 'None', 'Auto', 32, 512, 'Disk'), ('b', '10000002', 1, 'None', 'Auto', 32, 512, 'Disk');
    INSERT INTO extents (name, type, path, size_bytes, size_text, rpm, insecure_tpc, xen, naa)
      VALUES ('e', 'File', '/p/e', 1024, '1KB', 'SSD', 1, 0, '6589cfc000000009');
    INSERT INTO luns (target_id, extent_id, lun) VALUES (1, 1, 0);
    DELETE FROM targets WHERE id = 2;`);
  v1.close();
  const store = new ConfigStore(openDatabase(file));
  assert.equal(schemaVersion(store.db), MIGRATIONS.at(-1)!.version);
  assert.equal(store.db.pragma('foreign_keys', { simple: true }), 1, 'foreign keys are back on');
  assert.equal(store.getTarget(1)!.portalGroupId, 1);
  assert.equal(store.listLuns().total, 1, 'the LUN of target 1 survived');
  const id = store.insertTarget({ ...store.getTarget(1)!, ...owned(), name: 'c', portalGroupId: null });
  assert.equal(id, 3, 'a deleted target id is not reused after the rebuild');
  const tg = store.insertTargetGroup({
    ...owned(),
    targetId: id,
    portalGroupId: 1,
    initiatorGroupId: null,
    authMethod: 'None',
    authGroup: null,
    digest: 'Auto',
  });
  assert.deepEqual(
    store.snapshot().targetGroups.map((g) => g.id),
    [tg],
  );
  store.deleteTarget(id);
  assert.equal(store.listTargetGroups().total, 0, 'target groups go with their target');
  store.close();
});

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('migration 4 keeps a version 3 database: every row, each with a valid unique v4 uuid and the default tenant; the service switch moves onto it', () => {
  const file = path.join(dir, 'v3.db');
  const v3 = openDatabase(
    file,
    MIGRATIONS.filter((m) => m.version <= 3),
  );
  v3.exec(`INSERT INTO settings (key, value) VALUES ('iscsi.globals', '${JSON.stringify(defaultGlobals())}');
    INSERT INTO settings (key, value) VALUES ('service.iscsitarget', '{"enabled":false}');
    INSERT INTO portal_groups (tag, comment) VALUES (1, 'one'), (2, 'two');
    INSERT INTO portal_listen (portal_group_id, position, address) VALUES (1, 0, '0.0.0.0:3260'), (2, 0, '127.0.0.1:3261');
    INSERT INTO initiator_groups (tag, initiators, networks) VALUES (1, '["ALL"]', '["ALL"]');
    INSERT INTO auth_credentials (tag, user, secret) VALUES (1, 'u', 'secretsecret'), (1, 'v', 'secretsecret2');
    INSERT INTO targets (name, serial, portal_group_id, initiator_group_id, auth_method, auth_group, digest, queue_depth, block_size, type)
      VALUES ('a', '10000001', 1, 1, 'CHAP', 1, 'Auto', 32, 512, 'Disk'), ('b', '10000002', NULL, NULL, 'None', NULL, 'Auto', 32, 512, 'Disk'),
        ('gone', '10000003', 1, NULL, 'None', NULL, 'Auto', 32, 512, 'Disk');
    DELETE FROM targets WHERE name = 'gone';
    INSERT INTO extents (name, type, path, size_bytes, size_text, rpm, insecure_tpc, xen, naa)
      VALUES ('e', 'File', '/p/e', 1024, '1KB', 'SSD', 1, 0, '6589cfc000000009'), ('f', 'File', '/p/f', 1024, '1KB', 'SSD', 1, 0, '6589cfc00000000a');
    INSERT INTO luns (target_id, extent_id, lun) VALUES (1, 1, 0), (2, 2, 0);
    INSERT INTO target_groups (target_id, portal_group_id, auth_method, digest) VALUES (2, 2, 'None', 'Auto');
    INSERT INTO api_keys (name, tenant, secret_hash, created_at) VALUES ('ci', NULL, 'ab', '2026-12-01T00:00:00.000Z');`);
  const before = (table: string) => v3.prepare(`SELECT * FROM ${table} ORDER BY id`).all() as Record<string, unknown>[];
  const tables = ['portal_groups', 'initiator_groups', 'auth_credentials', 'targets', 'extents', 'luns', 'target_groups', 'api_keys'];
  const old = Object.fromEntries(tables.map((t) => [t, before(t)]));
  v3.close();

  const store = new ConfigStore(openDatabase(file));
  try {
    assert.equal(schemaVersion(store.db), MIGRATIONS.at(-1)!.version);
    assert.equal(store.db.pragma('foreign_keys', { simple: true }), 1, 'foreign keys are back on');
    assert.deepEqual(store.db.pragma('foreign_key_check'), []);
    assert.deepEqual(
      store.listTenants(),
      [{ id: 1, uuid: store.getTenant(1)!.uuid, name: 'default', iscsiEnabled: false, running: true }],
      'the switch was off and stays off',
    );
    assert.match(store.getTenant(1)!.uuid, UUID_V4);
    assert.equal(store.db.prepare("SELECT 1 FROM settings WHERE key = 'service.iscsitarget'").get(), undefined, 'one place for the switch');
    const uuids = new Set<string>([store.getTenant(1)!.uuid]);
    for (const table of tables) {
      const rows = store.db.prepare(`SELECT * FROM ${table} ORDER BY id`).all() as Record<string, unknown>[];
      assert.equal(rows.length, old[table]!.length, `${table}: every row kept`);
      rows.forEach((row, i) => {
        const { uuid, tenant_id, pool_id, pool_offset, volume_id, enabled, tenant_wide, all_tenant_portals, rules, ...rest } = row;
        const { tenant: _tenant, ...was } = old[table]![i]!;
        // Migration 6 carves extents out of iscsi pools: no extent of before is carved.
        if (table === 'extents') assert.deepEqual([pool_id, pool_offset], [null, null], `extents row ${row.id}: not carved`);
        // Migration 7: in no volume, every portal group on, no target tenant-wide.
        if (table === 'extents') assert.equal(volume_id, null);
        if (table === 'portal_groups') assert.equal(enabled, 1);
        if (table === 'targets') assert.deepEqual([tenant_wide, all_tenant_portals], [0, 0]);
        // Migration 8: no access rules.
        if (table === 'initiator_groups') assert.equal(rules, '[]');
        assert.deepEqual(rest, table === 'api_keys' ? was : old[table]![i], `${table} row ${row.id}: every column kept`);
        assert.match(String(uuid), UUID_V4, `${table} row ${row.id}`);
        assert.ok(!uuids.has(String(uuid)), 'uuids are unique');
        uuids.add(String(uuid));
        assert.equal(tenant_id, table === 'api_keys' ? null : 1, `${table} row ${row.id}: the default tenant (a key stays unscoped)`);
      });
    }
    const snap = store.snapshot();
    assert.deepEqual(
      snap.portalGroups.map((g) => [g.tag, g.listen]),
      [
        [1, ['0.0.0.0:3260']],
        [2, ['127.0.0.1:3261']],
      ],
    );
    assert.deepEqual(
      snap.tenants.map((t) => [t.id, t.iscsiEnabled]),
      [[1, false]],
    );
    assert.equal(store.getApiKey(1)!.tenant, null);
    assert.equal(store.apiKeyByName(null, 'ci')!.id, 1);
    const id = store.insertTarget({ ...store.getTarget(1)!, ...owned(), name: 'c' });
    assert.equal(id, 4, 'a deleted target id is not reused after the rebuild');
    assert.throws(() => store.insertTarget({ ...store.getTarget(1)!, ...owned() }), /UNIQUE/, 'names stay unique within a tenant');
    store.deleteTarget(2);
    assert.equal(store.listTargetGroups().total, 0, 'target groups still go with their target');
    assert.equal(store.listLuns().total, 1, 'and so do LUN mappings');
  } finally {
    store.close();
  }
});

test('a new database has the default tenant, switched on', () => {
  const store = new ConfigStore(openDatabase(path.join(dir, 'fresh.db')));
  try {
    const [tenant] = store.listTenants();
    assert.deepEqual(tenant, { id: 1, uuid: tenant!.uuid, name: 'default', iscsiEnabled: true, running: true });
    assert.match(tenant!.uuid, UUID_V4);
    assert.deepEqual(store.tenantByUuid(tenant!.uuid), tenant);
    assert.deepEqual(store.tenantByName('default'), tenant);
    const two = store.insertTenant({ uuid: crypto.randomUUID(), name: 'two', iscsiEnabled: true, running: true });
    assert.equal(two, 2);
    // Names and tags are per tenant: the same tag and name in two tenants are two rows.
    const pg1 = store.insertPortalGroup({ ...owned(), tag: 1, listen: ['127.0.0.1:3260'], comment: '', enabled: true });
    const pg2 = store.insertPortalGroup({ uuid: crypto.randomUUID(), tenantId: two, tag: 1, listen: ['127.0.0.1:3261'], comment: '', enabled: true });
    assert.equal(store.portalGroupByTag(1, 1), pg1);
    assert.equal(store.portalGroupByTag(two, 1), pg2);
    assert.deepEqual(store.tenantHoldings(two), { 'portal groups': 1 });
    const ig = store.getInitiatorGroup(store.insertInitiatorGroup({ ...owned(), tag: 1, initiators: ['ALL'], networks: ['ALL'], comment: '', rules: [] }))!;
    assert.deepEqual(store.getInitiatorGroupByUuid(ig.uuid), ig);
    const cred = store.getAuthCredential(store.insertAuthCredential({ ...owned(), tag: 1, user: 'u', secret: 's', peerUser: '', peerSecret: '' }))!;
    assert.deepEqual(store.getAuthCredentialByUuid(cred.uuid), cred);
    assert.deepEqual(store.authCredentialsWithTag(1, 1), [cred]);
    assert.deepEqual(store.authCredentialsWithTag(two, 1), [], 'auth groups are per tenant');
    store.putGlobals(defaultGlobals());
    const t = store.insertTarget({
      ...owned(),
      name: 't',
      alias: null,
      serial: '1',
      readOnly: false,
      portalGroupId: null,
      initiatorGroupId: null,
      authMethod: 'None',
      authGroup: null,
      digest: 'Auto',
      queueDepth: 32,
      blockSize: 512,
      type: 'Disk',
      tenantWide: false,
      allTenantPortals: false,
    });
    const tg = store.getTargetGroup(
      store.insertTargetGroup({ ...owned(), targetId: t, portalGroupId: pg1, initiatorGroupId: null, authMethod: 'None', authGroup: null, digest: 'Auto' }),
    )!;
    assert.deepEqual(store.getTargetGroupByUuid(tg.uuid), tg);
    assert.equal(store.getTargetByUuid('00000000-0000-4000-8000-000000000000'), null);
    assert.throws(
      () => store.insertPortalGroup({ uuid: crypto.randomUUID(), tenantId: two, tag: 1, listen: ['127.0.0.1:3262'], comment: '', enabled: true }),
      /UNIQUE/,
    );
    assert.throws(
      () => store.insertPortalGroup({ uuid: crypto.randomUUID(), tenantId: 99, tag: 1, listen: ['127.0.0.1:3263'], comment: '', enabled: true }),
      /FOREIGN KEY/,
    );
  } finally {
    store.close();
  }
});

test("migration 5 keeps a version 4 database's pools: each a configured disk pool with a v4 uuid, its directory its source", () => {
  const file = path.join(dir, 'v4.db');
  const v4 = openDatabase(
    file,
    MIGRATIONS.filter((m) => m.version <= 4),
  );
  v4.exec(`INSERT INTO pools (name, path) VALUES ('default', '/var/sanbox/pools/default'), ('tank', '/srv/tank');`);
  v4.close();
  const store = new ConfigStore(openDatabase(file));
  try {
    const pools = store.listPools();
    assert.deepEqual(
      pools.map((p) => [p.name, p.type, p.path, p.source, p.configured, p.attributes, p.health]),
      [
        ['default', 'disk', '/var/sanbox/pools/default', '/var/sanbox/pools/default', true, { overAllocationThreshold: '1.0' }, 'healthy'],
        ['tank', 'disk', '/srv/tank', '/srv/tank', true, { overAllocationThreshold: '1.0' }, 'healthy'],
      ],
    );
    for (const p of pools) assert.match(p.uuid, UUID_V4);
    assert.notEqual(pools[0]!.uuid, pools[1]!.uuid);
    const site = store.siteIdentity();
    assert.deepEqual(store.siteIdentity(), site, 'the site uuids are made once and kept');
    store.upsertConfiguredPool('tank', '/srv/tank2');
    assert.equal(store.poolByName('tank')!.path, '/srv/tank2', 'the settings keep a configured pool in step');
    assert.equal(store.poolByName('tank')!.uuid, pools[1]!.uuid, 'with its uuid');
  } finally {
    store.close();
  }
});

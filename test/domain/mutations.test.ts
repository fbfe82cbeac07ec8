/**
 * The mutation path on a real SQLite file: a change that fails after touching a file
 * rolls the transaction back and undoes the file change; the data plane hears only about
 * committed changes, in commit order.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/store/database.js';
import { ConfigStore } from '../../src/store/config-store.js';
import { createDomainServices } from '../../src/domain/services.js';
import { createSparseFile } from '../../src/domain/extent-files.js';
import type { ConfigSnapshot } from '../../src/domain/entities.js';
import { HostStorage } from '../../src/backstore/host-storage.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-mut-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const quiet = { warn: () => {}, error: () => {} };

function setup() {
  const store = new ConfigStore(openDatabase(path.join(dir, `${Math.random()}.db`)));
  const pool = fs.mkdtempSync(path.join(dir, 'pool-'));
  store.upsertConfiguredPool('tank', pool);
  const applied: ConfigSnapshot[] = [];
  const services = createDomainServices(store, { apply: async (s) => void applied.push(s) }, quiet, new HostStorage());
  services.globals.ensureDefaults();
  return { store, pool, applied, services };
}

test('a failure after a file was created removes the file and the rows', async () => {
  const { store, pool, applied, services } = setup();
  const file = path.join(pool, 'img');
  await assert.rejects(
    services.mutations.run((onRollback) => {
      store.insertPortalGroup({ uuid: crypto.randomUUID(), tenantId: 1, tag: 1, listen: ['0.0.0.0:3260'], comment: '', enabled: true });
      onRollback(createSparseFile('path', file, 1 << 20));
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(fs.existsSync(file), false);
  assert.equal(store.listPortalGroups().total, 0);
  assert.equal(applied.length, 0);
});

test('committed changes reach the applier in order, each with the whole configuration', async () => {
  const { applied, services } = setup();
  await services.portalGroups.create({ listen: ['10.0.0.1:3260'] });
  await services.portalGroups.create({ listen: ['10.0.0.2:3260'] });
  await services.initiatorGroups.create({});
  assert.deepEqual(
    applied.map((s) => s.portalGroups.length + s.initiatorGroups.length),
    [1, 2, 3],
  );
  assert.equal(applied[2]!.globals.basename, 'iqn.2011-03.org.example.istgt');
});

test('concurrent changes: each caller waits for an apply that already includes its change', async () => {
  const { applied, services } = setup();
  const seen: number[] = [];
  await Promise.all(
    ['10.0.0.1:3260', '10.0.0.2:3260', '10.0.0.3:3260'].map(async (address) => {
      const pg = await services.portalGroups.create({ listen: [address] });
      seen.push(applied.findIndex((s) => s.portalGroups.some((p) => p.id === pg.id)));
    }),
  );
  assert.ok(seen.every((i) => i >= 0));
  assert.equal(applied.at(-1)!.portalGroups.length, 3, 'the last apply has everything');
});

test('extents: created sparse, grown, never shrunk; a target serial counts up', async () => {
  const { services, pool } = setup();
  const e = await services.extents.create({ name: 'e', type: 'File', path: '/mnt/tank/e', size: '1MB' });
  assert.equal(e.sizeBytes, 1 << 20);
  assert.equal(e.displayPath, '/mnt/tank/e');
  assert.equal(e.path, path.join(pool, 'e'));
  await services.extents.update(e.id, { size: '2MB' });
  assert.equal(fs.statSync(e.path).size, 2 << 20);
  await assert.rejects(services.extents.update(e.id, { size: '1MB' }), /Shrinking is not supported/);
  assert.equal(fs.statSync(e.path).size, 2 << 20);
  const pg = await services.portalGroups.create({ listen: ['0.0.0.0:3260'] });
  const t1 = await services.targets.create({ name: 'a', portalGroupId: pg.id });
  const t2 = await services.targets.create({ name: 'b', portalGroupId: pg.id, serial: '10000009' });
  const t3 = await services.targets.create({ name: 'c', portalGroupId: pg.id });
  assert.deepEqual([t1.serial, t2.serial, t3.serial], ['10000001', '10000009', '10000010']);
});

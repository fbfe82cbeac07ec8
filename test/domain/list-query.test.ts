/**
 * The domain's ListQuery on a real store: a tenant's rows, filtered on domain fields,
 * sorted (ties by id), paged by offset/limit or by an `after` cursor; the total ignores
 * the page; unknown fields and markers are refused as the domain's invalid errors.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/store/database.js';
import { ConfigStore } from '../../src/store/config-store.js';
import { createDomainServices, type DomainServices } from '../../src/domain/services.js';
import { DomainError } from '../../src/domain/errors.js';
import type { Target } from '../../src/domain/entities.js';
import type { ListQuery } from '../../src/domain/repository.js';
import { HostStorage } from '../../src/backstore/host-storage.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-list-'));
let store: ConfigStore;
let services: DomainServices;
let two: number;

before(async () => {
  store = new ConfigStore(openDatabase(path.join(dir, 'list.db')));
  services = createDomainServices(store, { apply: async () => {} }, { warn: () => {}, error: () => {} }, new HostStorage());
  services.globals.ensureDefaults();
  two = (await services.tenants.create({ name: 'two' })).id;
  // Default tenant: 10 targets, queue depths 8/16/32 repeating (ties), every third read-only,
  // aliases for the even ones. Tenant two: 3 more, interleaved by id.
  for (let i = 0; i < 10; i++) {
    await services.targets.create({ name: `t${i}`, queueDepth: [8, 16, 32][i % 3]!, readOnly: i % 3 === 0, alias: i % 2 ? null : `alias-${9 - i}` });
    if (i % 4 === 0) await services.targets.create({ name: `t${i}`, tenantId: two, queueDepth: 16 });
  }
});
after(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const names = (items: Target[]) => items.map((t) => t.name);
const list = (q: ListQuery) => services.targets.list({ tenantId: 1, ...q });

function refused(field: string) {
  return (e: unknown) => e instanceof DomainError && e.kind === 'invalid' && e.field === field;
}

test("the default order is id ascending, one tenant's rows only; no tenant: everyone's", () => {
  const all = list({});
  assert.deepEqual(names(all.items), ['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7', 't8', 't9']);
  assert.equal(all.total, 10);
  const ids = all.items.map((t) => t.id);
  assert.deepEqual(
    ids,
    [...ids].sort((a, b) => a - b),
  );
  const theirs = services.targets.list({ tenantId: two });
  assert.deepEqual(names(theirs.items), ['t0', 't4', 't8']);
  assert.ok(theirs.items.every((t) => t.tenantId === two));
  assert.equal(services.targets.list().total, 13);
});

test('filters: equality on domain fields, booleans and null included; the total counts the matches', () => {
  assert.deepEqual(names(list({ filters: { readOnly: true } }).items), ['t0', 't3', 't6', 't9']);
  assert.deepEqual(names(list({ filters: { readOnly: false, queueDepth: 16 } }).items), ['t1', 't4', 't7']);
  assert.deepEqual(names(list({ filters: { alias: null } }).items), ['t1', 't3', 't5', 't7', 't9']);
  assert.deepEqual(names(list({ filters: { name: 't5' } }).items), ['t5']);
  assert.deepEqual(list({ filters: { name: 'nope' } }), { items: [], total: 0 });
  const t7 = list({ filters: { name: 't7' } }).items[0]!;
  assert.deepEqual(list({ filters: { uuid: t7.uuid } }).items, [t7]);
  assert.equal(list({ filters: { queueDepth: 32 }, limit: 1 }).total, 3, 'the total ignores the page');
  assert.equal(services.targets.list({ filters: { name: 't0' } }).total, 2, "both tenants' t0 without a tenant");
});

test('sort ascending and descending, ties broken by id ascending; several keys', () => {
  assert.deepEqual(names(list({ sort: [{ field: 'queueDepth' }] }).items), ['t0', 't3', 't6', 't9', 't1', 't4', 't7', 't2', 't5', 't8']);
  assert.deepEqual(
    names(list({ sort: [{ field: 'queueDepth', descending: true }] }).items),
    ['t2', 't5', 't8', 't1', 't4', 't7', 't0', 't3', 't6', 't9'],
    'ties stay in id order when descending',
  );
  assert.deepEqual(names(list({ sort: [{ field: 'queueDepth' }, { field: 'name', descending: true }] }).items), [
    't9',
    't6',
    't3',
    't0',
    't7',
    't4',
    't1',
    't8',
    't5',
    't2',
  ]);
  assert.deepEqual(names(list({ sort: [{ field: 'alias' }] }).items), ['t1', 't3', 't5', 't7', 't9', 't8', 't6', 't4', 't2', 't0'], 'null first, then text');
  assert.deepEqual(names(list({ sort: [{ field: 'id', descending: true }] }).items), ['t9', 't8', 't7', 't6', 't5', 't4', 't3', 't2', 't1', 't0']);
});

test('offset and limit page the sorted, filtered list; limit 0 is no limit', () => {
  const sort = [{ field: 'queueDepth', descending: true }];
  assert.deepEqual(names(list({ sort, offset: 2, limit: 3 }).items), ['t8', 't1', 't4']);
  assert.deepEqual(list({ sort, offset: 2, limit: 3 }).total, 10);
  assert.deepEqual(names(list({ offset: 8 }).items), ['t8', 't9']);
  assert.deepEqual(names(list({ offset: 8, limit: 0 }).items), ['t8', 't9']);
  assert.deepEqual(list({ offset: 10, limit: 5 }), { items: [], total: 10 });
  assert.deepEqual(names(list({ filters: { readOnly: true }, offset: 1, limit: 2 }).items), ['t3', 't6']);
});

test('the after cursor walks every row exactly once, in any order, with any page size and filter', () => {
  const orders: ListQuery[] = [
    {},
    { sort: [{ field: 'queueDepth' }] },
    { sort: [{ field: 'queueDepth', descending: true }, { field: 'alias' }] },
    { sort: [{ field: 'alias', descending: true }], filters: { readOnly: false } },
  ];
  for (const base of orders) {
    const whole = list(base);
    for (const limit of [1, 3, 4, 100]) {
      const seen: string[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 20; pages++) {
        const page = list({ ...base, limit, ...(after ? { after } : {}) });
        assert.equal(page.total, whole.total, 'the total ignores the cursor');
        seen.push(...page.items.map((t) => t.uuid));
        if (page.items.length < limit) break;
        after = page.items.at(-1)!.uuid;
      }
      assert.deepEqual(
        seen,
        whole.items.map((t) => t.uuid),
        `${JSON.stringify(base)} by ${limit}`,
      );
    }
  }
  const last = list({}).items.at(-1)!;
  assert.deepEqual(list({ after: last.uuid }), { items: [], total: 10 }, 'after the last: nothing');
});

test('unknown filter and sort fields, ill-typed filter values and unknown markers are refused', () => {
  assert.throws(() => list({ filters: { colour: 'red' } }), refused('filter'));
  assert.throws(() => list({ filters: { toString: 'x' } }), refused('filter'), 'no inherited names');
  assert.throws(() => list({ filters: { queueDepth: '16' } }), refused('filter'), 'a number field takes a number');
  assert.throws(() => list({ filters: { readOnly: 1 } }), refused('filter'));
  assert.throws(() => list({ sort: [{ field: 'colour' }] }), refused('sort'));
  assert.throws(() => services.authCredentials.list({ sort: [{ field: 'secret' }] }), refused('sort'), 'secrets are no sort key');
  assert.throws(() => services.authCredentials.list({ filters: { secret: 'guess' } }), refused('filter'), 'nor a filter');
  assert.throws(() => services.portalGroups.list({ sort: [{ field: 'listen' }] }), refused('sort'));
  assert.throws(() => list({ after: '00000000-0000-4000-8000-000000000000' }), refused('marker'));
  const theirs = services.targets.list({ tenantId: two }).items[0]!;
  assert.throws(() => list({ after: theirs.uuid }), refused('marker'), "another tenant's row is no marker here");
  const readOnly = list({ filters: { readOnly: true } }).items[0]!;
  assert.throws(() => list({ filters: { readOnly: false }, after: readOnly.uuid }), refused('marker'), 'nor a row the filters leave out');
  assert.throws(() => list({ after: readOnly.uuid, offset: 1 }), refused('marker'), 'a marker and an offset do not mix');
});

test('every CRUD service answers the same query shape', async () => {
  const e = await services.extents.create({ name: 'a', type: 'Device', path: '/dev/zero', size: '1MB' });
  await services.extents.create({ name: 'b', type: 'Device', path: '/dev/zero', size: '2MB', tenantId: two });
  await services.portalGroups.create({ listen: ['127.0.0.1:3260'], comment: 'x' });
  await services.initiatorGroups.create({ comment: 'y' });
  await services.authCredentials.create({ user: 'u', secret: 'secretsecret1' });
  const t0 = list({ filters: { name: 't0' } }).items[0]!;
  await services.luns.create({ targetId: t0.id, extentId: e.id });
  const p = services.portalGroups.list({ tenantId: 1 }).items[0]!;
  await services.targetGroups.create({ targetId: t0.id, portalGroupId: p.id });
  assert.deepEqual(
    services.extents.list({ tenantId: 1, filters: { sizeBytes: 1 << 20 } }).items.map((x) => x.name),
    ['a'],
  );
  assert.equal(services.extents.list({ sort: [{ field: 'sizeBytes', descending: true }] }).items[0]!.name, 'b');
  assert.equal(services.portalGroups.list({ filters: { comment: 'x' } }).total, 1);
  assert.equal(services.initiatorGroups.list({ filters: { comment: 'y', tenantId: 1 } }).total, 1);
  assert.equal(services.authCredentials.list({ filters: { user: 'u' } }).total, 1);
  assert.equal(services.luns.list({ filters: { targetId: t0.id, lun: 0 } }).total, 1);
  assert.equal(services.targetGroups.list({ tenantId: 1, filters: { portalGroupId: p.id } }).total, 1);
});

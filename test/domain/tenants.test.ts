/**
 * Tenants on a real SQLite file: names and tags are each tenant's own, references stay
 * inside a tenant, served iSCSI names stay unique across all of them, a tenant that owns
 * anything cannot go, and each has its own iSCSI service switch.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/store/database.js';
import { ConfigStore } from '../../src/store/config-store.js';
import { createDomainServices } from '../../src/domain/services.js';
import { DomainError } from '../../src/domain/errors.js';
import { HostStorage } from '../../src/backstore/host-storage.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-tenants-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const quiet = { warn: () => {}, error: () => {} };

function setup() {
  const store = new ConfigStore(openDatabase(path.join(dir, `${Math.random()}.db`)));
  const services = createDomainServices(store, { apply: async () => {} }, quiet, new HostStorage());
  services.globals.ensureDefaults();
  return { store, services };
}

/** Rejects with a DomainError of this kind on this field. */
function refused(kind: DomainError['kind'], field: string, message?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof DomainError, String(e));
    assert.equal(e.kind, kind, e.message);
    assert.equal(e.field, field, e.message);
    if (message) assert.match(e.message, message);
    return true;
  };
}

const nullExtent = (name: string, tenantId?: number) => ({ name, type: 'Device', path: '/dev/zero', size: '1MB', ...(tenantId ? { tenantId } : {}) });

test('two tenants may each have a target named disk0, an extent named a, and tag 1 of every kind; each is served under its own name', async () => {
  const { services } = setup();
  const two = await services.tenants.create({ name: 'two' });
  assert.equal(two.id, 2);
  assert.equal(two.iscsiEnabled, true);
  assert.match(two.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

  const t1 = await services.targets.create({ name: 'disk0' });
  const t2 = await services.targets.create({ name: 'disk0', tenantId: two.id });
  assert.equal(t1.tenantId, 1, 'no tenant asked for: the default tenant');
  assert.equal(t2.tenantId, two.id);
  assert.notEqual(t1.uuid, t2.uuid);
  assert.equal(services.targets.servedName(t1), 'iqn.2011-03.org.example.istgt:disk0', 'the default tenant serves as FreeNAS does');
  assert.equal(services.targets.servedName(t2), 'iqn.2011-03.org.example.istgt:t2:disk0');
  await assert.rejects(services.targets.create({ name: 'disk0', tenantId: two.id }), refused('conflict', 'name', /already exists/));

  const e1 = await services.extents.create(nullExtent('a'));
  const e2 = await services.extents.create(nullExtent('a', two.id));
  assert.deepEqual([e1.tenantId, e2.tenantId], [1, two.id]);
  await assert.rejects(services.extents.create(nullExtent('a', two.id)), refused('conflict', 'name'));

  const p1 = await services.portalGroups.create({ listen: ['127.0.0.1:3260'] });
  const p2 = await services.portalGroups.create({ listen: ['127.0.0.1:3261'], tenantId: two.id });
  assert.deepEqual([p1.tag, p2.tag], [1, 1], 'tags count per tenant');
  await assert.rejects(services.portalGroups.create({ listen: ['127.0.0.1:3262'], tag: 1, tenantId: two.id }), refused('conflict', 'tag'));
  await assert.rejects(
    services.portalGroups.create({ listen: ['127.0.0.1:3260'], tenantId: two.id }),
    refused('conflict', 'listen'),
    'an address is one per host',
  );
  const i1 = await services.initiatorGroups.create({});
  const i2 = await services.initiatorGroups.create({ tenantId: two.id });
  assert.deepEqual([i1.tag, i2.tag], [1, 1]);
  const a1 = await services.authCredentials.create({ user: 'u', secret: 'secretsecret1' });
  const a2 = await services.authCredentials.create({ user: 'u', secret: 'secretsecret2', tenantId: two.id });
  assert.deepEqual([a1.tag, a2.tag], [1, 1]);

  const m1 = await services.luns.create({ targetId: t1.id, extentId: e1.id });
  const m2 = await services.luns.create({ targetId: t2.id, extentId: e2.id });
  assert.deepEqual([m1.tenantId, m2.tenantId], [1, two.id], "a mapping is its target's tenant's");
  const g2 = await services.targetGroups.create({ targetId: t2.id, portalGroupId: p2.id, initiatorGroupId: i2.id, authMethod: 'CHAP', authGroup: 1 });
  assert.equal(g2.tenantId, two.id);
  assert.equal(services.targetGroups.list({ tenantId: two.id }).total, 1);
  assert.equal(services.targetGroups.list({ tenantId: 1 }).total, 0);
});

test('the same served iSCSI name in two tenants is refused, whichever way it is spelled', async () => {
  const { services, store } = setup();
  const two = await services.tenants.create({ name: 'two' });
  await services.targets.create({ name: 'iqn.2026-12.org.example:shared' });
  await assert.rejects(
    services.targets.create({ name: 'iqn.2026-12.org.example:shared', tenantId: two.id }),
    refused('conflict', 'name', /already served as iqn\.2026-12\.org\.example:shared/),
  );
  await assert.rejects(
    services.targets.create({ name: 'IQN.2026-12.org.example:SHARED', tenantId: two.id }),
    refused('conflict', 'name'),
    'iSCSI names fold case',
  );
  // Tenant 2's disk0 is served as <basename>:t2:disk0: the default tenant cannot take that name either.
  const disk = await services.targets.create({ name: 'disk0', tenantId: two.id });
  await assert.rejects(services.targets.create({ name: 't2:disk0' }), refused('conflict', 'name', /already served/));
  await assert.rejects(services.targets.create({ name: 'iqn.2011-03.org.example.istgt:t2:disk0' }), refused('conflict', 'name'));
  const other = await services.targets.create({ name: 'other' });
  await assert.rejects(services.targets.update(other.id, { name: 't2:disk0' }), refused('conflict', 'name'));
  assert.equal((await services.targets.update(disk.id, { alias: 'kept' })).alias, 'kept', 'a target does not collide with itself');
  assert.equal(store.listTargets().total, 3, 'nothing refused was stored');
});

test("references stay inside a tenant: another tenant's groups, targets and extents do not exist there", async () => {
  const { services } = setup();
  const two = await services.tenants.create({ name: 'two' });
  const p1 = await services.portalGroups.create({ listen: ['127.0.0.1:3260'] });
  const i1 = await services.initiatorGroups.create({});
  await services.authCredentials.create({ user: 'u', secret: 'secretsecret1' });
  const t1 = await services.targets.create({ name: 'mine' });
  const e1 = await services.extents.create(nullExtent('a'));
  const t2 = await services.targets.create({ name: 'theirs', tenantId: two.id });
  const e2 = await services.extents.create(nullExtent('b', two.id));

  await assert.rejects(services.targets.create({ name: 'x', portalGroupId: p1.id, tenantId: two.id }), refused('invalid', 'portalGroupId', /does not exist/));
  await assert.rejects(services.targets.create({ name: 'x', initiatorGroupId: i1.id, tenantId: two.id }), refused('invalid', 'initiatorGroupId'));
  await assert.rejects(
    services.targets.create({ name: 'x', authMethod: 'CHAP', authGroup: 1, tenantId: two.id }),
    refused('invalid', 'authGroup'),
    'auth groups are per tenant',
  );
  await assert.rejects(services.luns.create({ targetId: t2.id, extentId: e1.id }), refused('invalid', 'extentId'));
  await assert.rejects(services.luns.create({ targetId: t1.id, extentId: e2.id }), refused('invalid', 'extentId'));
  await assert.rejects(services.luns.create({ targetId: t1.id, extentId: e1.id, tenantId: two.id }), refused('invalid', 'tenantId'));
  await assert.rejects(services.targetGroups.create({ targetId: t2.id, portalGroupId: p1.id }), refused('invalid', 'portalGroupId'));
  await assert.rejects(services.targets.create({ name: 'x', tenantId: 9 }), refused('invalid', 'tenantId', /Tenant 9 does not exist/));
  await assert.rejects(services.targets.update(t1.id, { tenantId: two.id }), refused('invalid', 'tenantId', /cannot move/));
  const m = await services.luns.create({ targetId: t1.id, extentId: e1.id });
  await assert.rejects(services.luns.update(m.id, { targetId: t2.id, extentId: e2.id }), refused('invalid', 'targetId'), 'a mapping stays with its tenant');
});

test('tenants: names unique, the default tenant and a tenant that owns anything cannot be deleted; an empty one can', async () => {
  const { services } = setup();
  assert.deepEqual(
    services.tenants.list().map((t) => t.name),
    ['default'],
  );
  await assert.rejects(services.tenants.create({ name: 'default' }), refused('conflict', 'name'));
  await assert.rejects(services.tenants.create({ name: ' ' }), refused('invalid', 'name'));
  const two = await services.tenants.create({ name: ' two ' });
  assert.equal(two.name, 'two');
  assert.deepEqual(services.tenants.get(two.id), two);
  await assert.rejects(services.tenants.delete(1), refused('referenced', '__all__', /default tenant/));
  const t = await services.targets.create({ name: 'disk0', tenantId: two.id });
  services.apiKeys.create({ name: 'ci', tenantId: two.id });
  await assert.rejects(services.tenants.delete(two.id), refused('referenced', '__all__', /still owns 1 targets, 1 API keys/));
  await services.targets.delete(t.id);
  services.apiKeys.revoke(services.apiKeys.list()[0]!.id);
  await services.tenants.delete(two.id);
  assert.throws(() => services.tenants.get(two.id), refused('not_found', '__all__'));
});

test('API key names are unique per tenant scope; a scoped key names its tenant by uuid', async () => {
  const { services } = setup();
  const two = await services.tenants.create({ name: 'two' });
  const unscoped = services.apiKeys.create({ name: 'ci' });
  assert.equal(unscoped.key.tenantId, null);
  assert.equal(unscoped.key.tenant, null);
  assert.throws(() => services.apiKeys.create({ name: 'ci' }), refused('conflict', 'name'));
  const scoped = services.apiKeys.create({ name: 'ci', tenantId: two.id });
  assert.equal(scoped.key.tenant, two.uuid);
  assert.deepEqual(services.apiKeys.verify(scoped.token), scoped.key);
  assert.throws(() => services.apiKeys.create({ name: 'ci', tenantId: two.id }), refused('conflict', 'name'));
  assert.throws(() => services.apiKeys.create({ name: 'x', tenantId: 7 }), refused('invalid', 'tenantId'));
});

test("each tenant has its own iSCSI service switch; FreeNAS's is the default tenant's", async () => {
  const { services, store } = setup();
  const two = await services.tenants.create({ name: 'two' });
  const off = await services.serviceSwitch.setEnabled('iscsitarget', false, two.id);
  assert.deepEqual(off, { id: 1, name: 'iscsitarget', enabled: false, running: false });
  assert.equal(store.getTenant(two.id)!.iscsiEnabled, false);
  assert.deepEqual(services.serviceSwitch.list(), [{ id: 1, name: 'iscsitarget', enabled: true, running: true }], "the default tenant's is still on");
  assert.deepEqual(
    store.snapshot().tenants.map((t) => [t.id, t.iscsiEnabled]),
    [
      [1, true],
      [two.id, false],
    ],
  );
  await services.serviceSwitch.setEnabled(1, false);
  assert.equal(services.serviceSwitch.get('iscsitarget').enabled, false);
  assert.equal(services.serviceSwitch.get(1, two.id).enabled, false);
  await services.serviceSwitch.setEnabled(1, true, two.id);
  assert.equal(services.serviceSwitch.get(1, two.id).enabled, true);
  assert.throws(() => services.serviceSwitch.get(1, 9), refused('not_found', '__all__'));
});

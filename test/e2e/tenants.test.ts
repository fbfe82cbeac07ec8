/**
 * Tenants on the wire, with the project's own initiator against the real data plane: two
 * tenants each with a portal group of tag 1 and a target named disk0; a connection sees only
 * its own portal group's targets; switching a tenant's iSCSI service off ends its sessions
 * at once and refuses its logins (0x0301) while the other tenant's session goes on, and
 * switching it on serves it again without a restart.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { IscsiInitiator, LoginFailedError } from '../../src/initiator/client.js';
import type { DomainServices } from '../../src/domain/services.js';
import { startSanbox, type TestSanbox } from '../support/sanbox.js';
import { freePort } from './peers.js';

const BASE = 'iqn.2011-03.org.example.istgt';
const DEFAULT_TARGET = `${BASE}:disk0`;
const TENANT_TARGET = `${BASE}:t2:disk0`;
let sb: TestSanbox;
let services: DomainServices;
let tenant: number;
let port1: number;
let port2: number;

before(async () => {
  sb = await startSanbox();
  services = sb.sanbox.services;
  port1 = await freePort();
  port2 = await freePort();
  tenant = (await services.tenants.create({ name: 'two' })).id;
  for (const [tenantId, port] of [
    [1, port1],
    [tenant, port2],
  ] as const) {
    const portal = await services.portalGroups.create({ tenantId, listen: [`127.0.0.1:${port}`] });
    assert.equal(portal.tag, 1, 'each tenant numbers its own portal groups');
    const target = await services.targets.create({ tenantId, name: 'disk0', portalGroupId: portal.id, authMethod: 'None' });
    const extent = await services.extents.create({ tenantId, name: 'a', type: 'Device', path: '/dev/zero', size: '1MB' });
    await services.luns.create({ targetId: target.id, extentId: extent.id });
  }
});
after(async () => {
  await sb.stop();
});

async function login(target: string | undefined, port: number, initiatorName = 'iqn.2026-12.test:tenants'): Promise<IscsiInitiator> {
  const ini = await IscsiInitiator.connect('127.0.0.1', port);
  try {
    await ini.login({ initiatorName, ...(target ? { targetName: target } : {}) });
  } catch (err) {
    ini.socket.destroy();
    throw err;
  }
  return ini;
}

/** A command that succeeds (the first may be a unit attention). */
async function works(ini: IscsiInitiator): Promise<void> {
  let status = -1;
  for (let i = 0; i < 3 && status !== 0; i++) status = (await ini.scsi(0, Buffer.alloc(6))).status;
  assert.equal(status, 0);
  assert.equal((await ini.read10(0, 0, 1)).status, 0);
}

async function discover(port: number): Promise<string[]> {
  const ini = await login(undefined, port);
  try {
    const pairs = await ini.text([['SendTargets', 'All']]);
    return pairs.filter(([k]) => k === 'TargetName').map(([, v]) => v);
  } finally {
    ini.socket.destroy();
  }
}

const status = (code: number) => (e: unknown) => e instanceof LoginFailedError && e.status === code;

test("the FreeNAS dialect lists the default tenant's objects only, and creates the default tenant's", async () => {
  for (const resource of ['portal', 'target', 'extent', 'targettoextent']) {
    const res = await sb.api('GET', `/api/v1.0/services/iscsi/${resource}/`);
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 1, `${resource}: ${res.text}`);
  }
  assert.equal(services.targets.list().total, 2, "both tenants' targets exist");
  // Another tenant's object is no object to FreeNAS, by id too: GET, PUT and DELETE answer 404 and change nothing.
  const other = services.targets.list({ filters: { tenantId: 2 } }).items[0]!;
  for (const [method, body] of [
    ['GET', undefined],
    ['PUT', { iscsi_target_alias: 'mine' }],
    ['DELETE', undefined],
  ] as const) {
    const res = await sb.api(method, `/api/v1.0/services/iscsi/target/${other.id}/`, body);
    assert.equal(res.status, 404, `${method}: ${res.text}`);
    assert.deepEqual(res.body, { error_message: 'No such target.' });
  }
  assert.deepEqual(services.targets.get(other.id), other);
  const ig = await sb.api('POST', '/api/v1.0/services/iscsi/authorizedinitiator/', { iscsi_target_initiator_initiators: 'ALL' });
  assert.equal(ig.status, 201);
  assert.equal(services.initiatorGroups.get(ig.body.id).tenantId, 1);
  assert.equal((await sb.api('DELETE', `/api/v1.0/services/iscsi/authorizedinitiator/${ig.body.id}/`)).status, 204);
});

test("portal groups of two tenants may share a tag: each connection sees only its own group's targets", async () => {
  assert.deepEqual(await discover(port1), [DEFAULT_TARGET]);
  assert.deepEqual(await discover(port2), [TENANT_TARGET]);
  await assert.rejects(login(DEFAULT_TARGET, port2), status(0x0203), "not through the other tenant's portal");
  await assert.rejects(login(TENANT_TARGET, port1), status(0x0203));
  const a = await login(DEFAULT_TARGET, port1);
  const b = await login(TENANT_TARGET, port2);
  try {
    await works(a);
    await works(b);
  } finally {
    a.socket.destroy();
    b.socket.destroy();
  }
});

test("tenant two switched off: its session ends, its logins get SERVICE UNAVAILABLE, discovery hides it; the default tenant's session goes on", async () => {
  const mine = await login(DEFAULT_TARGET, port1);
  const theirs = await login(TENANT_TARGET, port2);
  try {
    await works(mine);
    await works(theirs);
    const off = await services.serviceSwitch.setEnabled('iscsitarget', false, tenant);
    assert.deepEqual([off.enabled, off.running], [false, false]);
    assert.equal(services.serviceSwitch.get(1).running, true, 'the default tenant still serves');
    await theirs.whenClosed();
    assert.ok(theirs.isClosed, "tenant two's session ended at once");
    await works(mine);
    assert.equal(mine.isClosed, false, "the default tenant's session goes on");
    await assert.rejects(login(TENANT_TARGET, port2), status(0x0301));
    assert.deepEqual(await discover(port2), [], 'its portal still listens, and reports nothing');
    assert.deepEqual(await discover(port1), [DEFAULT_TARGET]);
    const listening = (await sb.api('GET', '/api/status')).body.listeners.map((l: { address: string }) => l.address).sort();
    assert.deepEqual(listening, [`127.0.0.1:${port1}`, `127.0.0.1:${port2}`].sort());

    const on = await services.serviceSwitch.setEnabled('iscsitarget', true, tenant);
    assert.deepEqual([on.enabled, on.running], [true, true]);
    const again = await login(TENANT_TARGET, port2);
    await works(again);
    again.socket.destroy();
    await works(mine);
  } finally {
    mine.socket.destroy();
    theirs.socket.destroy();
  }
});

test("the default tenant switched off (FreeNAS's switch): its portals close and its session ends; tenant two is served on", async () => {
  const mine = await login(DEFAULT_TARGET, port1);
  const theirs = await login(TENANT_TARGET, port2);
  try {
    const off = await sb.api('PUT', '/api/v1.0/services/services/iscsitarget/', { srv_enable: false });
    assert.deepEqual(off.body, { id: 1, srv_service: 'iscsitarget', srv_enable: false, srv_state: 'STOPPED' });
    await mine.whenClosed();
    await assert.rejects(login(DEFAULT_TARGET, port1), /ECONNREFUSED/);
    await works(theirs);
    assert.equal(theirs.isClosed, false);
    assert.equal(services.serviceSwitch.get(1, tenant).running, true);
    assert.deepEqual(await discover(port2), [TENANT_TARGET]);
  } finally {
    await sb.api('PUT', '/api/v1.0/services/services/iscsitarget/', { srv_enable: true });
    mine.socket.destroy();
    theirs.socket.destroy();
  }
  const back = await login(DEFAULT_TARGET, port1);
  await works(back);
  back.socket.destroy();
});

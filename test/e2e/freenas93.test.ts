/**
 * The FreeNAS 9.3+ way of building a target, with real initiators: a target created by
 * name only, given its portal and initiators through a target group, an extent under
 * /mnt/<pool>/<dataset>/, a LUN mapping with iscsi_lunid null (the payloads of FreeNAS's
 * own integration tests). Then a target on two portal groups, and the service switch.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IscsiInitiator, LoginFailedError } from '../../src/initiator/client.js';
import { FREENAS, startSanbox, tempDir, type TestSanbox } from '../support/sanbox.js';
import { freePort, iscsiLs, iscsiUrl, run } from './peers.js';

const TARGET = 'iqn.1994-09.freenasqa:target0';
const SERVICES = '/api/v1.0/services/services';
let sb: TestSanbox;
let pool: string;
let work: string;
let port: number;

before(async () => {
  pool = tempDir();
  fs.mkdirSync(path.join(pool, 'dataset03'));
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-fn93-'));
  sb = await startSanbox({ pools: { tank: pool } });
  port = await freePort();
});
after(async () => {
  await sb.stop();
  fs.rmSync(pool, { recursive: true, force: true });
  fs.rmSync(work, { recursive: true, force: true });
});

async function post(resource: string, body: unknown): Promise<any> {
  const res = await sb.api('POST', `${FREENAS}/${resource}/`, body);
  assert.equal(res.status, 201, `POST ${resource}: ${res.text}`);
  return res.body;
}

async function login(name: string, target = TARGET, p = port): Promise<IscsiInitiator> {
  const ini = await IscsiInitiator.connect('127.0.0.1', p);
  try {
    await ini.login({ initiatorName: name, targetName: target });
  } catch (err) {
    ini.socket.destroy();
    throw err;
  }
  return ini;
}

/** VPD 83h: the relative target port (designator type 4) and target port group (type 5). */
async function targetPort(ini: IscsiInitiator): Promise<{ relative: number; group: number }> {
  const res = await ini.scsi(0, Buffer.from([0x12, 0x01, 0x83, 0x00, 0xff, 0x00]), { readLength: 255 });
  assert.equal(res.status, 0);
  const page = res.data;
  const out = { relative: -1, group: -1 };
  for (let i = 4; i + 4 <= 4 + page.readUInt16BE(2); i += 4 + page[i + 3]!) {
    const type = page[i + 1]! & 0x0f;
    if (type === 4) out.relative = page.readUInt16BE(i + 6);
    if (type === 5) out.group = page.readUInt16BE(i + 6);
  }
  return out;
}

test('FreeNAS 9.3+: name-only target + target group + /mnt/<pool>/<dataset>/ extent + iscsi_lunid null, served to iscsi-ls and qemu-img', async () => {
  const portal = await post('portal', { iscsi_target_portal_ips: [`127.0.0.1:${port}`] });
  const ig = await post('authorizedinitiator', {
    id: 1,
    iscsi_target_initiator_tag: 1,
    iscsi_target_initiator_initiators: 'ALL',
    iscsi_target_initiator_auth_network: '127.0.0.0/8',
  });
  assert.equal(ig.id, 1);
  assert.equal(ig.iscsi_target_initiator_tag, 1);

  const target = await post('target', { iscsi_target_name: TARGET });
  assert.deepEqual(target, { iscsi_target_name: TARGET, iscsi_target_alias: null, id: target.id });
  let ls = await iscsiLs(port);
  assert.equal(ls.raw.code, 0, ls.raw.stderr);
  assert.ok(!ls.targets.has(TARGET), 'no target group yet: not served');

  const tg = await post('targetgroup', {
    iscsi_target: String(target.id),
    iscsi_target_authgroup: null,
    iscsi_target_portalgroup: portal.id,
    iscsi_target_initiatorgroup: String(ig.id),
    iscsi_target_authtype: 'None',
    iscsi_target_initialdigest: 'Auto',
  });
  assert.deepEqual(tg, {
    id: tg.id,
    iscsi_target: target.id,
    iscsi_target_portalgroup: portal.id,
    iscsi_target_initiatorgroup: ig.id,
    iscsi_target_authgroup: null,
    iscsi_target_authtype: 'None',
    iscsi_target_initialdigest: 'Auto',
  });

  const extent = await post('extent', {
    iscsi_target_extent_type: 'File',
    iscsi_target_extent_name: 'extent',
    iscsi_target_extent_filesize: '8MB',
    iscsi_target_extent_rpm: 'SSD',
    iscsi_target_extent_path: '/mnt/tank/dataset03/iscsi',
  });
  assert.equal(extent.iscsi_target_extent_path, '/mnt/tank/dataset03/iscsi');
  assert.equal(fs.statSync(path.join(pool, 'dataset03', 'iscsi')).size, 8 * 1024 * 1024);
  const map = await post('targettoextent', { id: '1', iscsi_extent: String(extent.id), iscsi_lunid: null, iscsi_target: String(target.id) });
  assert.deepEqual(map, { iscsi_target: target.id, iscsi_extent: extent.id, id: map.id });

  ls = await iscsiLs(port);
  assert.equal(ls.raw.code, 0, ls.raw.stderr);
  assert.deepEqual([...(ls.targets.get(TARGET) ?? new Map()).keys()], [0], ls.raw.stdout);

  const src = path.join(work, 'random.img');
  fs.writeFileSync(src, crypto.randomBytes(4 * 1024 * 1024));
  const url = iscsiUrl(port, TARGET, 0);
  const into = await run('qemu-img', ['convert', '-n', '-f', 'raw', '-O', 'raw', src, url], { timeoutMs: 60_000 });
  assert.equal(into.code, 0, into.stderr);
  const back = path.join(work, 'back.img');
  const out = await run('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', url, back], { timeoutMs: 60_000 });
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(fs.readFileSync(back).subarray(0, 4 * 1024 * 1024), fs.readFileSync(src));
});

test('a target on two portal groups: each group its own TPGT, VPD 83h port, I_T nexus and initiator rules; the same LU', async () => {
  const port2 = await freePort();
  const portal2 = await post('portal', { iscsi_target_portal_ips: [`127.0.0.1:${port2}`] });
  const only = await post('authorizedinitiator', { iscsi_target_initiator_initiators: 'iqn.2026-12.test:only', iscsi_target_initiator_auth_network: 'ALL' });
  const tg2 = await post('targetgroup', { iscsi_target: 1, iscsi_target_portalgroup: portal2.id, iscsi_target_initiatorgroup: only.id });
  assert.equal(tg2.iscsi_target_authtype, 'None', "FreeNAS's default");

  const a = await login('iqn.2026-12.test:only', TARGET, port);
  const b = await login('iqn.2026-12.test:only', TARGET, port2);
  try {
    const tur = Buffer.alloc(6);
    for (const ini of [a, b]) for (let i = 0; i < 3; i++) if ((await ini.scsi(0, tur)).status === 0) break;
    const pa = await targetPort(a);
    const pb = await targetPort(b);
    assert.notEqual(pa.relative, pb.relative, 'relative target port differs per portal group');
    assert.notEqual(pa.group, pb.group);
    // The same LU behind both: a write through one portal reads back through the other.
    const data = crypto.randomBytes(512);
    assert.equal((await a.write10(0, 100, data)).status, 0);
    assert.deepEqual((await b.read10(0, 100, 1)).data, data);
    // Persistent reservations see two I_T nexuses: a key registered through portal 1 is not
    // portal 2's, so portal 2 cannot reserve with it.
    const prOut = (sa: number, type: number, key: bigint, saKey: bigint) => {
      const param = Buffer.alloc(24);
      param.writeBigUInt64BE(key, 0);
      param.writeBigUInt64BE(saKey, 8);
      return [Buffer.from([0x5f, sa, type, 0, 0, 0, 0, 0, 24, 0]), param] as const;
    };
    const [reg, regParam] = prOut(0x00, 0, 0n, 0xan);
    assert.equal((await a.scsi(0, reg, { dataOut: regParam })).status, 0);
    const keys = await b.scsi(0, Buffer.from([0x5e, 0x00, 0, 0, 0, 0, 0, 0, 64, 0]), { readLength: 64 });
    assert.equal(keys.data.readUInt32BE(4), 8, 'one key, seen through either portal');
    const [res, resParam] = prOut(0x01, 0x01, 0xan, 0n);
    assert.equal((await b.scsi(0, res, { dataOut: resParam })).status, 0x18, 'RESERVATION CONFLICT: portal 2 is another nexus');
    assert.equal((await a.scsi(0, res, { dataOut: resParam })).status, 0);
    const [rel, relParam] = prOut(0x02, 0x01, 0xan, 0n);
    assert.equal((await a.scsi(0, rel, { dataOut: relParam })).status, 0);
    const [unreg, unregParam] = prOut(0x00, 0, 0xan, 0n);
    assert.equal((await a.scsi(0, unreg, { dataOut: unregParam })).status, 0);
    const status = await sb.api('GET', '/api/status');
    const tags = status.body.sessions.filter((s: any) => s.target === TARGET).map((s: any) => s.parameters.TargetPortalGroupTag ?? s.portal);
    assert.equal(new Set(tags).size, 2, JSON.stringify(status.body.sessions));
  } finally {
    a.socket.destroy();
    b.socket.destroy();
  }
  // Portal 2's group admits one name; portal 1's admits all.
  await assert.rejects(login('iqn.2026-12.test:other', TARGET, port2), (e) => e instanceof LoginFailedError && e.statusClass === 2 && e.statusDetail === 2);
  (await login('iqn.2026-12.test:other', TARGET, port)).socket.destroy();

  // Deleting the group ends its sessions and its portal no longer serves the target.
  const c = await login('iqn.2026-12.test:only', TARGET, port2);
  assert.equal((await sb.api('DELETE', `${FREENAS}/targetgroup/${tg2.id}/`)).status, 204);
  await c.whenClosed();
  await assert.rejects(login('iqn.2026-12.test:only', TARGET, port2), (e) => e instanceof LoginFailedError && e.statusClass === 2 && e.statusDetail === 3);
});

test('services/services: switched off, live sessions end, portals close, logins fail; on again without a restart; the state survives a restart', async () => {
  const list = await sb.api('GET', `${SERVICES}/`);
  assert.equal(list.status, 200);
  assert.deepEqual(list.body, [{ id: 1, srv_service: 'iscsitarget', srv_enable: true, srv_state: 'RUNNING' }]);

  const ini = await login('iqn.2026-12.test:switch');
  const off = await sb.api('PUT', `${SERVICES}/iscsitarget/`, { srv_enable: false });
  assert.equal(off.status, 200, off.text);
  assert.deepEqual(off.body, { id: 1, srv_service: 'iscsitarget', srv_enable: false, srv_state: 'STOPPED' });
  await ini.whenClosed();
  assert.ok(ini.isClosed, 'the live session ended');
  await assert.rejects(login('iqn.2026-12.test:switch'), /ECONNREFUSED/);
  const ls = await run('iscsi-ls', ['-s', iscsiUrl(port)]);
  assert.notEqual(ls.code, 0, 'iscsi-ls cannot reach a stopped target');
  assert.deepEqual((await sb.api('GET', '/api/status')).body.listeners, []);

  await sb.restart();
  const after = await sb.api('GET', `${SERVICES}/1/`);
  assert.deepEqual(after.body, { id: 1, srv_service: 'iscsitarget', srv_enable: false, srv_state: 'STOPPED' });
  await assert.rejects(login('iqn.2026-12.test:switch'), /ECONNREFUSED/);

  const on = await sb.api('PUT', `${SERVICES}/1/`, { srv_enable: 'true' });
  assert.deepEqual(on.body, { id: 1, srv_service: 'iscsitarget', srv_enable: true, srv_state: 'RUNNING' });
  const again = await login('iqn.2026-12.test:switch');
  again.socket.destroy();
  const qemu = await run('qemu-img', ['info', iscsiUrl(port, TARGET, 0)]);
  assert.equal(qemu.code, 0, qemu.stderr);
});

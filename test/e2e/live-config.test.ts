/**
 * What the FreeNAS API configures is what real initiators see, at once: libiscsi's tools
 * against a sanbox provisioned through the API, changed while sessions run.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { IscsiInitiator } from '../../src/initiator/client.js';
import { FREENAS, startSanbox, type TestSanbox } from '../support/sanbox.js';
import { freePort, iscsiLs, iscsiUrl, run } from './peers.js';
import { post, provisionTarget, put, type Provisioned } from './provision.js';

let sb: TestSanbox;
let t: Provisioned;

before(async () => {
  sb = await startSanbox();
  t = await provisionTarget(sb, { port: await freePort(), size: '64MB', target: { iscsi_target_serial: 'SBX0042' } });
});
after(async () => {
  await sb.stop();
});

test('iscsi-ls lists the target and its LUN right after the API answered', async () => {
  const ls = await iscsiLs(t.port);
  assert.equal(ls.raw.code, 0, ls.raw.stderr);
  assert.ok(ls.targets.has(t.iqn), ls.raw.stdout);
  assert.deepEqual([...ls.targets.get(t.iqn)!.keys()], [0]);
  assert.match(ls.raw.stdout, /Lun:0\s+Type:DIRECT_ACCESS \(Size:/);
});

test('iscsi-inq and iscsi-readcapacity16 report the configured serial and size', async () => {
  const url = iscsiUrl(t.port, t.iqn, 0);
  const serial = await run('iscsi-inq', ['-e', '1', '-c', '128', url]);
  assert.equal(serial.code, 0, serial.stderr);
  assert.match(serial.stdout, /Unit Serial Number:\[SBX0042\]/);
  const std = await run('iscsi-inq', [url]);
  assert.match(std.stdout, /Peripheral Device Type:DIRECT_ACCESS/);
  const cap = await run('iscsi-readcapacity16', [url]);
  assert.equal(cap.code, 0, cap.stderr);
  assert.match(cap.stdout, /Total size:67108864\b/);
  assert.match(cap.stdout, /LOGICAL BLOCK LENGTH IN BYTES:512\b/);
});

test('a mapping with iscsi_lunid appears as that LUN at once; growing the extent shows the new size', async () => {
  const extent = await post(sb, 'extent', {
    iscsi_target_extent_type: 'File',
    iscsi_target_extent_name: 'second',
    iscsi_target_extent_filesize: '8MB',
    iscsi_target_extent_path: path.join(sb.dataDir, 'pools', 'default', 'second.img'),
  });
  await post(sb, 'targettoextent', { iscsi_target: String(t.targetId), iscsi_extent: extent.id, iscsi_lunid: 3 });
  const ls = await iscsiLs(t.port);
  assert.deepEqual([...ls.targets.get(t.iqn)!.keys()].sort(), [0, 3]);

  await put(sb, 'extent', extent.id, { iscsi_target_extent_filesize: '16MB' });
  const cap = await run('iscsi-readcapacity16', [iscsiUrl(t.port, t.iqn, 3)]);
  assert.match(cap.stdout, /Total size:16777216\b/);
});

test('a session that sees the extent grow gets CAPACITY DATA HAS CHANGED, then the new size', async () => {
  const ini = await IscsiInitiator.connect('127.0.0.1', t.port);
  try {
    await ini.login({ initiatorName: 'iqn.2026-11.test:grow', targetName: t.iqn });
    const tur = Buffer.alloc(6);
    // Clear the power-on unit attention a new nexus gets first.
    for (let i = 0; i < 3; i++) if ((await ini.scsi(0, tur)).status === 0) break;
    await put(sb, 'extent', t.extentId, { iscsi_target_extent_filesize: '96MB' });
    const rc16 = Buffer.from([0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0]);
    const first = await ini.scsi(0, rc16, { readLength: 32 });
    assert.equal(first.status, 2);
    assert.equal(first.sense![2]! & 0x0f, 0x06);
    assert.equal(first.sense![12], 0x2a);
    assert.equal(first.sense![13], 0x09);
    const second = await ini.scsi(0, rc16, { readLength: 32 });
    assert.equal(second.status, 0);
    const blocks = Number(second.data.readBigUInt64BE(0)) + 1;
    assert.equal(blocks * second.data.readUInt32BE(8), 96 * 1024 * 1024);
  } finally {
    ini.socket.destroy();
  }
});

test('deleting the target ends its sessions; the target is gone from discovery', async () => {
  const extra = await post(sb, 'target', {
    iscsi_target_name: 'doomed',
    iscsi_target_portalgroup: t.portalId,
    iscsi_target_initiatorgroup: t.initiatorGroupId,
  });
  const extent = await post(sb, 'extent', {
    iscsi_target_extent_type: 'File',
    iscsi_target_extent_name: 'doomed',
    iscsi_target_extent_filesize: '4MB',
    iscsi_target_extent_path: path.join(sb.dataDir, 'pools', 'default', 'doomed.img'),
  });
  await post(sb, 'targettoextent', { iscsi_target: extra.id, iscsi_extent: extent.id });
  const iqn = t.iqn.replace(/:disk0$/, ':doomed');
  const ini = await IscsiInitiator.connect('127.0.0.1', t.port);
  await ini.login({ initiatorName: 'iqn.2026-11.test:doomed', targetName: iqn });
  const status = await sb.api('GET', '/api/status');
  assert.ok(status.body.sessions.some((s: any) => s.target === iqn && s.initiatorName === 'iqn.2026-11.test:doomed'));

  const del = await sb.api('DELETE', `${FREENAS}/target/${extra.id}/`);
  assert.equal(del.status, 204);
  await ini.whenClosed();
  assert.ok(ini.isClosed);
  const ls = await iscsiLs(t.port);
  assert.ok(!ls.targets.has(iqn));
  assert.ok(ls.targets.has(t.iqn));
});

test('a read-only target refuses writes with DATA PROTECT / WRITE PROTECTED and still reads', async () => {
  await put(sb, 'target', t.targetId, { iscsi_target_flags: 'ro' });
  const ini = await IscsiInitiator.connect('127.0.0.1', t.port);
  try {
    await ini.login({ initiatorName: 'iqn.2026-11.test:ro', targetName: t.iqn });
    const read10 = Buffer.from([0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    let r = await ini.scsi(0, read10, { readLength: 512 });
    if (r.status === 2) r = await ini.scsi(0, read10, { readLength: 512 }); // power-on UA first
    assert.equal(r.status, 0);
    const write10 = Buffer.from([0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    const w = await ini.scsi(0, write10, { dataOut: Buffer.alloc(512, 0xab) });
    assert.equal(w.status, 2);
    assert.equal(w.sense![2]! & 0x0f, 0x07);
    assert.equal(w.sense![12], 0x27);
  } finally {
    ini.socket.destroy();
    await put(sb, 'target', t.targetId, { iscsi_target_flags: 'rw' });
  }
});

test('portals start and stop listeners live; one that cannot listen is reported and hurts nobody', async () => {
  const bad = await post(sb, 'portal', { iscsi_target_portal_ips: ['192.168.3.20:3260'] });
  let status = await sb.api('GET', '/api/status');
  const failed = status.body.listeners.find((l: any) => l.address === '192.168.3.20:3260');
  assert.equal(failed.state, 'failed');
  assert.match(failed.error, /EADDRNOTAVAIL/);
  assert.equal(status.body.listeners.find((l: any) => l.address === `127.0.0.1:${t.port}`).state, 'listening');

  const newPort = await freePort();
  await put(sb, 'portal', bad.id, { iscsi_target_portal_ips: [`127.0.0.1:${newPort}`] });
  status = await sb.api('GET', '/api/status');
  assert.equal(status.body.listeners.find((l: any) => l.address === `127.0.0.1:${newPort}`).state, 'listening');
  assert.equal(
    status.body.listeners.some((l: any) => l.address === '192.168.3.20:3260'),
    false,
  );
  // The new portal group has no targets: discovery through it lists none.
  const ls = await iscsiLs(newPort);
  assert.equal(ls.targets.size, 0);

  assert.equal((await sb.api('DELETE', `${FREENAS}/portal/${bad.id}/`)).status, 204);
  const gone = await run('iscsi-ls', [iscsiUrl(newPort)], { timeoutMs: 10_000 });
  assert.notEqual(gone.code, 0);
});

/**
 * What later FreeNAS releases' clients send beyond the seed: iscsi_lunid, ids as digit
 * strings, extent options, type "Disk" with iscsi_target_extent_disk, iscsi_target_groups.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { FREENAS, startSanbox, tempDir, type TestSanbox } from '../support/sanbox.js';

let sb: TestSanbox;
let pool: string;

before(async () => {
  pool = tempDir();
  sb = await startSanbox({ pools: { tank: pool } });
  await sb.api('POST', `${FREENAS}/portal/`, { iscsi_target_portal_ips: ['0.0.0.0:3260'] });
  await sb.api('POST', `${FREENAS}/authorizedinitiator/`, {});
});

after(async () => {
  await sb.stop();
  fs.rmSync(pool, { recursive: true, force: true });
});

const extent = (name: string, extra: Record<string, unknown> = {}) =>
  sb.api('POST', `${FREENAS}/extent/`, {
    iscsi_target_extent_type: 'File',
    iscsi_target_extent_name: name,
    iscsi_target_extent_path: `/mnt/tank/${name}`,
    iscsi_target_extent_filesize: '1MB',
    ...extra,
  });

test('ids as digit strings are integers', async () => {
  const t = await sb.api('POST', `${FREENAS}/target/`, { iscsi_target_name: 'strings', iscsi_target_portalgroup: '1', iscsi_target_initiatorgroup: '1' });
  assert.equal(t.status, 201, t.text);
  assert.equal(t.body.iscsi_target_portalgroup, 1);
  const e = await extent('s0');
  const m = await sb.api('POST', `${FREENAS}/targettoextent/`, { iscsi_target: String(t.body.id), iscsi_extent: String(e.body.id) });
  assert.equal(m.status, 201);
  assert.deepEqual(m.body, { iscsi_target: t.body.id, iscsi_extent: e.body.id, id: m.body.id });
});

test('LUN numbers: first is 0, next free when absent or null, explicit when given (and echoed)', async () => {
  const t = (await sb.api('POST', `${FREENAS}/target/`, { iscsi_target_name: 'luns', iscsi_target_portalgroup: 1 })).body;
  const ids = [];
  for (let i = 0; i < 4; i += 1) ids.push((await extent(`l${i}`)).body.id);
  const m0 = await sb.api('POST', `${FREENAS}/targettoextent/`, { iscsi_target: t.id, iscsi_extent: ids[0], iscsi_lunid: 0 });
  assert.equal(m0.body.iscsi_lunid, 0, 'PowerShell FreeNAS sends 0');
  const m1 = await sb.api('POST', `${FREENAS}/targettoextent/`, { iscsi_target: t.id, iscsi_extent: ids[1], iscsi_lunid: null });
  assert.equal(m1.body.iscsi_lunid, undefined);
  const m5 = await sb.api('POST', `${FREENAS}/targettoextent/`, { iscsi_target: t.id, iscsi_extent: ids[2], iscsi_lunid: '5' });
  assert.equal(m5.body.iscsi_lunid, 5);
  await sb.api('POST', `${FREENAS}/targettoextent/`, { iscsi_target: t.id, iscsi_extent: ids[3] });
  const luns = sb.sanbox.services.mutations.store.lunsOfTarget(t.id).map((l) => l.lun);
  assert.deepEqual(luns, [0, 1, 2, 5]);
});

test('extent options are honoured and echoed once set', async () => {
  const res = await extent('opts', {
    iscsi_target_extent_blocksize: 4096,
    iscsi_target_extent_ro: 'true',
    iscsi_target_extent_serial: 'ABC123',
    iscsi_target_extent_rpm: '7200',
    iscsi_target_extent_insecure_tpc: false,
    iscsi_target_extent_xen: true,
    iscsi_target_extent_avail_threshold: 80,
    iscsi_target_extent_pblocksize: true,
  });
  assert.equal(res.status, 201, res.text);
  assert.deepEqual(res.body, {
    iscsi_target_extent_comment: '',
    iscsi_target_extent_type: 'File',
    iscsi_target_extent_name: 'opts',
    iscsi_target_extent_filesize: '1MB',
    id: res.body.id,
    iscsi_target_extent_path: '/mnt/tank/opts',
    iscsi_target_extent_blocksize: 4096,
    iscsi_target_extent_serial: 'ABC123',
    iscsi_target_extent_ro: true,
    iscsi_target_extent_rpm: '7200',
    iscsi_target_extent_insecure_tpc: false,
    iscsi_target_extent_xen: true,
    iscsi_target_extent_avail_threshold: 80,
  });
  const e = sb.sanbox.services.extents.get(res.body.id);
  assert.equal(e.blockSize, 4096);
  assert.equal(e.readOnly, true);
  assert.equal(e.serial, 'ABC123');
  assert.match(e.naa, /^6[0-9a-f]{15}$/);
  assert.equal(e.path, `${pool}/opts`);
});

test('filesize: raw bytes, suffixes, 0 adopts an existing file, growing grows the file', async () => {
  fs.writeFileSync(`${pool}/existing`, Buffer.alloc(4096));
  const adopted = await sb.api('POST', `${FREENAS}/extent/`, {
    iscsi_target_extent_type: 'File',
    iscsi_target_extent_name: 'adopt',
    iscsi_target_extent_path: '/mnt/tank/existing',
    iscsi_target_extent_filesize: '0',
  });
  assert.equal(adopted.status, 201);
  assert.equal(adopted.body.iscsi_target_extent_filesize, '0');
  assert.equal(sb.sanbox.services.extents.get(adopted.body.id).sizeBytes, 4096);
  const raw = await extent('raw', { iscsi_target_extent_filesize: 1048576 });
  assert.equal(raw.body.iscsi_target_extent_filesize, '1048576');
  const grown = await sb.api('PUT', `${FREENAS}/extent/${raw.body.id}/`, { iscsi_target_extent_filesize: '1GB' });
  assert.equal(grown.status, 200);
  assert.equal(fs.statSync(`${pool}/raw`).size, 1024 ** 3);
});

test('a pool given by its real directory works like /mnt/<name>', async () => {
  const res = await sb.api('POST', `${FREENAS}/extent/`, {
    iscsi_target_extent_type: 'File',
    iscsi_target_extent_name: 'real',
    iscsi_target_extent_path: `${pool}/real`,
    iscsi_target_extent_filesize: '64KB',
  });
  assert.equal(res.status, 201, res.text);
  assert.equal(res.body.iscsi_target_extent_path, `${pool}/real`);
});

test('iscsi_target_groups (FreeNAS 9.3+) sets the portal and initiator group; a target name gets the basename when served', async () => {
  const res = await sb.api('POST', `${FREENAS}/target/`, {
    iscsi_target_name: 'grouped',
    iscsi_target_mode: 'iscsi',
    iscsi_target_groups: [{ iscsi_target_portalgroup: 1, iscsi_target_initiatorgroup: 1, iscsi_target_authtype: 'None', iscsi_target_authgroup: null }],
  });
  assert.equal(res.status, 201, res.text);
  assert.equal(res.body.iscsi_target_portalgroup, 1);
  assert.equal(res.body.iscsi_target_authtype, 'None');
  const t = sb.sanbox.services.targets.get(res.body.id);
  assert.equal(sb.sanbox.services.targets.servedName(t), 'iqn.2011-03.org.example.istgt:grouped');
  const iqn = await sb.api('POST', `${FREENAS}/target/`, { iscsi_target_name: 'iqn.2026-01.org.example:own', iscsi_target_portalgroup: 1 });
  assert.equal(sb.sanbox.services.targets.servedName(sb.sanbox.services.targets.get(iqn.body.id)), 'iqn.2026-01.org.example:own');
});

test('deleting a target removes its LUN mappings, not its extents', async () => {
  const t = (await sb.api('POST', `${FREENAS}/target/`, { iscsi_target_name: 'doomed', iscsi_target_portalgroup: 1 })).body;
  const e = (await extent('kept')).body;
  await sb.api('POST', `${FREENAS}/targettoextent/`, { iscsi_target: t.id, iscsi_extent: e.id });
  assert.equal((await sb.api('DELETE', `${FREENAS}/target/${t.id}/`)).status, 204);
  assert.equal(sb.sanbox.services.mutations.store.lunsOfExtent(e.id).length, 0);
  assert.equal((await sb.api('GET', `${FREENAS}/extent/${e.id}/`)).status, 200);
  assert.equal((await sb.api('DELETE', `${FREENAS}/extent/${e.id}/`)).status, 204);
  assert.ok(fs.existsSync(`${pool}/kept`), 'the image file stays');
});

test('a portal on an address this host does not have is configuration: accepted as the seed shows', async () => {
  const res = await sb.api('POST', `${FREENAS}/portal/`, { iscsi_target_portal_ips: ['192.168.3.20:3260', '[fe80::1]:3260'] });
  assert.equal(res.status, 201);
  assert.deepEqual(res.body.iscsi_target_portal_ips, ['192.168.3.20:3260', '[fe80::1]:3260']);
});

test('requests without the trailing slash are accepted', async () => {
  assert.equal((await sb.api('GET', `${FREENAS}/portal`)).status, 200);
  assert.equal((await sb.api('GET', `${FREENAS}/portal/1`)).status, 200);
  assert.equal((await sb.api('GET', `${FREENAS}/globalconfiguration`)).status, 200);
});

test('a Device extent on /dev/zero is a null device of the requested size (benchmark convention)', async () => {
  const res = await sb.api('POST', `${FREENAS}/extent/`, {
    iscsi_target_extent_type: 'Device',
    iscsi_target_extent_name: 'null0',
    iscsi_target_extent_path: '/dev/zero',
    iscsi_target_extent_filesize: '1GB',
  });
  assert.equal(res.status, 201, res.text);
  assert.equal(sb.sanbox.services.extents.get(res.body.id).sizeBytes, 1024 ** 3);
  const second = await sb.api('POST', `${FREENAS}/extent/`, {
    iscsi_target_extent_type: 'Device',
    iscsi_target_extent_name: 'null1',
    iscsi_target_extent_path: '/dev/zero',
    iscsi_target_extent_filesize: '1MB',
  });
  assert.equal(second.status, 201, 'several null devices may coexist');
  const sizeless = await sb.api('POST', `${FREENAS}/extent/`, {
    iscsi_target_extent_type: 'Device',
    iscsi_target_extent_name: 'null2',
    iscsi_target_extent_path: '/dev/zero',
  });
  assert.equal(sizeless.status, 400);
  assert.deepEqual(sizeless.body, { iscsi_target_extent_filesize: ['A /dev/zero extent needs a size.'] });
});

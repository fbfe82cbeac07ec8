/**
 * A disk pool on a block device, end to end: a loop device over a sparse file made a pool
 * through the share-pool API by its /dev path (Capacity is the device's size), an extent
 * carved out of it through FreeNAS, sanbox's initiator writing and reading back with the
 * bytes at the extent's offset in the loop's backing file, and the refusals (a device
 * already a pool, a Device extent's device, a mounted device) as exact scodes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IscsiInitiator } from '../../src/initiator/client.js';
import { startSanbox, type TestSanbox } from '../support/sanbox.js';
import { fileBytes, freePort } from './peers.js';
import { basename, post } from './provision.js';

const MiB = 1024 * 1024;
const SHARE = '/v1/pool/share';
const DEVICE_SIZE = 64 * MiB;

let work: string;
let image: string;
let loop: string;
let spare: string;
let spareImage: string;
let mountDir: string;
let mounted = false;
let sb: TestSanbox;
let site: { clusterUuid: string; zoneUuid: string; tenants: Array<{ uuid: string }> };
let pool: any;

function losetup(file: string): string {
  return execFileSync('losetup', ['-f', '--show', file], { encoding: 'utf8' }).trim();
}

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-dpool-'));
  image = path.join(work, 'disk.img');
  // What an earlier user left on the disk: a carved extent must never show it.
  fs.writeFileSync(image, Buffer.alloc(DEVICE_SIZE, 0xab));
  loop = losetup(image);
  spareImage = path.join(work, 'spare.img');
  fs.writeFileSync(spareImage, '');
  fs.truncateSync(spareImage, 16 * MiB);
  spare = losetup(spareImage);
  sb = await startSanbox({ ports: { mediumRecheckMs: 200 } });
  site = (await sb.api('GET', '/api/status')).body.site;
});

after(async () => {
  await sb?.stop();
  if (mounted) execFileSync('umount', [mountDir]);
  for (const dev of [loop, spare]) if (dev) execFileSync('losetup', ['-d', dev]);
  fs.rmSync(work, { recursive: true, force: true });
});

function share(route: string, body: unknown): Promise<{ status: number; body: any }> {
  return sb.api('POST', `${SHARE}${route}`, body);
}

function createBody(name: string, source: string): Record<string, unknown> {
  return {
    pool_name: name,
    pool_type: 4,
    zone_uuid: site.zoneUuid,
    ip: '127.0.0.1',
    source,
    attr: { overAllocationThreshold: '1.0' },
    cluster_uuid: site.clusterUuid,
  };
}

test("made through the share-pool API by its /dev path: Capacity is the device's size, healthy, nothing used", async () => {
  const r = await share('/create', createBody('dpool', loop));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  pool = r.body.data.pool;
  assert.equal(pool.Type, 4);
  assert.equal(pool.Source, loop);
  assert.equal(pool.Capacity, DEVICE_SIZE);
  assert.equal(pool.Status, 'healthy');
  assert.deepEqual([pool.Used, pool.AllocatedCapacity, pool.VolumeTotalCount], [0, 0, 0]);
});

test("FreeNAS carves an extent out of it, zeroed; the initiator's bytes are at its offset in the loop's file", async () => {
  const portalPort = await freePort();
  const portal = await post(sb, 'portal', { iscsi_target_portal_ips: [`127.0.0.1:${portalPort}`] });
  const ig = await post(sb, 'authorizedinitiator', { iscsi_target_initiator_initiators: 'ALL', iscsi_target_initiator_auth_network: 'ALL' });
  const e = await post(sb, 'extent', {
    iscsi_target_extent_type: 'File',
    iscsi_target_extent_name: 'ddisk0',
    iscsi_target_extent_filesize: '16MB',
    iscsi_target_extent_path: '/mnt/dpool/ddisk0',
  });
  assert.equal(e.iscsi_target_extent_path, '/mnt/dpool/ddisk0');
  const target = await post(sb, 'target', { iscsi_target_name: 'dpool0', iscsi_target_portalgroup: portal.id, iscsi_target_initiatorgroup: ig.id });
  await post(sb, 'targettoextent', { iscsi_target: target.id, iscsi_extent: e.id, iscsi_lunid: 0 });
  const range = sb.sanbox.services.extents.get(e.id).poolRange!;
  assert.equal(range.offset % MiB, 0);
  assert.ok(range.offset + 16 * MiB <= DEVICE_SIZE);
  assert.ok(
    fileBytes(image, range.offset, 16 * MiB).every((b) => b === 0),
    "the carved range is zeroed: the disk's old bytes are gone",
  );

  const data = randomBytes(64 * 1024);
  const ini = await IscsiInitiator.connect('127.0.0.1', portalPort);
  try {
    await ini.login({ initiatorName: 'iqn.2026-12.test:dpool', targetName: `${await basename(sb)}:dpool0` });
    await ini.scsi(0, Buffer.alloc(6)); // POWER ON OCCURRED for a new nexus
    const c = await ini.readCapacity10(0);
    assert.equal((c.lastLba + 1) * c.blockSize, 16 * MiB);
    assert.equal((await ini.write10(0, 8, data)).status, 0);
    const back = await ini.read10(0, 8, data.length / 512);
    assert.equal(back.status, 0);
    assert.ok(back.data.equals(data), 'read back what was written');
    // SYNCHRONIZE CACHE: the device's page cache reaches the loop's file.
    const sync = Buffer.alloc(10);
    sync[0] = 0x35;
    assert.equal((await ini.scsi(0, sync)).status, 0);
  } finally {
    ini.socket.destroy();
  }
  assert.ok(fileBytes(image, range.offset + 8 * 512, data.length).equals(data), "the bytes are at the extent's offset in the device");

  const figures = (await share('/get', { cluster_uuid: site.clusterUuid, tenant: site.tenants[0]!.uuid, pool_uuid: pool.UUID })).body.data.pool;
  assert.equal(figures.Capacity, DEVICE_SIZE);
  assert.equal(figures.Used, 16 * MiB, 'the range counts whole');
  assert.equal(figures.AllocatedCapacity, 16 * MiB);
  assert.equal(figures.Status, 'healthy');
});

test('a device already a pool, a Device extent, or mounted is refused with its scode; a non-device source too', async () => {
  const pools = async () => (await share('/list', { cluster_uuid: site.clusterUuid })).body.data.infos.length;
  const before = await pools();
  const taken = await share('/create', createBody('dpool2', loop));
  assert.equal(taken.body.scode, 8120, JSON.stringify(taken.body));

  // The other way round: a pool's device cannot become a Device extent.
  const asExtent = await sb.api('POST', '/api/v1.0/services/iscsi/extent/', {
    iscsi_target_extent_type: 'Device',
    iscsi_target_extent_name: 'raw0',
    iscsi_target_extent_disk: loop,
  });
  assert.equal(asExtent.status, 400, asExtent.text);
  assert.deepEqual(asExtent.body, { iscsi_target_extent_path: [`Device ${loop} is already pool "dpool".`] });

  const raw = await post(sb, 'extent', { iscsi_target_extent_type: 'Device', iscsi_target_extent_name: 'raw1', iscsi_target_extent_disk: spare });
  const inUse = await share('/create', createBody('dpool3', spare));
  assert.equal(inUse.body.scode, 8121, JSON.stringify(inUse.body));
  assert.equal((await sb.api('DELETE', `/api/v1.0/services/iscsi/extent/${raw.id}/`)).status, 204);

  execFileSync('mkfs.ext4', ['-q', '-F', spare], { stdio: 'ignore' });
  mountDir = path.join(work, 'mnt');
  fs.mkdirSync(mountDir);
  execFileSync('mount', [spare, mountDir]);
  mounted = true;
  const busy = await share('/create', createBody('dpool4', spare));
  assert.equal(busy.body.scode, 8122, JSON.stringify(busy.body));
  assert.match(busy.body.message ?? JSON.stringify(busy.body), new RegExp(mountDir));

  const none = await share('/create', createBody('dpool5', '/dev/sanbox-no-such-disk'));
  assert.equal(none.body.scode, 8119, JSON.stringify(none.body));
  const bare = await share('/create', createBody('dpool6', 'wwn-0x5000c500ad9285bb'));
  assert.equal(bare.body.scode, 8119, JSON.stringify(bare.body));
  assert.equal(await pools(), before, 'nothing left behind');
});

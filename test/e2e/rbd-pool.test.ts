/**
 * An rbd pool on a real one-node Ceph cluster (scripts/ceph-cluster.mjs), end to end:
 * made through the share-pool API (its Capacity the cluster's), an extent in it through
 * FreeNAS that is a thin RBD image, qemu-img round-tripping 64 MiB through sanbox with
 * `rbd export` giving the same bytes, UNMAP lowering the image's used size, a resize
 * through the API seen by the initiator, libiscsi's conformance suite on the RBD LUN, the
 * OSD stopped under I/O (errors within the bound, sanbox and another pool's LUN serving,
 * I/O back once the OSD is), and the image removed with its extent.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { IscsiInitiator } from '../../src/initiator/client.js';
import { runConformance } from '../conformance/iscsi-test-cu.js';
import { CephCluster } from '../support/ceph.js';
import { ImageJournal } from '../../src/domain/extent-files.js';
import { FREENAS, startSanbox, type TestSanbox } from '../support/sanbox.js';
import { freePort, iscsiUrl, run } from './peers.js';
import { basename, post, provisionTarget, type Provisioned } from './provision.js';
import { assertPlay, playbook } from './ontap-playbook.js';

const MiB = 1024 * 1024;
const SHARE = '/v1/pool/share';
const SIZE = 64 * MiB;
/** An OSD request waits this long before the I/O fails (ETIMEDOUT): the outage test's bound. */
const OSD_TIMEOUT_S = 4;
/** Where the ONTAP LIF and the HNAS EVS of the dialect tests listen (SANBOX_PORTAL_PORT). */
const LIF_ADDRESS = '127.0.0.7';
const EVS_ADDRESS = '127.0.0.8';
/** The LIF netapp.ontap's playbook makes (its own SVM, beside the REST test's). */
const ANSIBLE_LIF_ADDRESS = '127.0.0.9';
const TUR = Buffer.alloc(6);
const exec = promisify(execFile);

let ceph: CephCluster;
let sb: TestSanbox;
let work: string;
let site: { clusterUuid: string; zoneUuid: string; tenants: Array<{ uuid: string }> };
let tenant: string;
let pool: any;
let portalPort: number;
let iqn: string;
let extentId: number;
let fileTarget: Provisioned;
let src: string;
let dialectPort: number;

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function share(route: string, body: unknown): Promise<{ status: number; body: any }> {
  return sb.api('POST', `${SHARE}${route}`, body);
}

function rbdPoolBody(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    pool_name: name,
    pool_type: 6,
    zone_uuid: site.zoneUuid,
    ip: ceph.env.monitor,
    port: ceph.env.port,
    source: ceph.env.pool,
    username: ceph.env.user,
    password: ceph.env.key,
    attr: { overAllocationThreshold: '1.0' },
    cluster_uuid: site.clusterUuid,
    ...extra,
  };
}

async function getPool(uuid: string): Promise<any> {
  const r = await share('/get', { cluster_uuid: site.clusterUuid, tenant, pool_uuid: uuid });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.data.pool;
}

async function checked(uuid: string): Promise<any> {
  await share('/status/check', { cluster_uuid: site.clusterUuid, tenant, pool_uuid: uuid });
  return getPool(uuid);
}

async function qemu(args: string[]): Promise<number> {
  const t0 = performance.now();
  const r = await run('qemu-img', args, { timeoutMs: 180_000 });
  assert.equal(r.code, 0, r.stderr);
  return (performance.now() - t0) / 1000;
}

async function session(): Promise<IscsiInitiator> {
  const ini = await IscsiInitiator.connect('127.0.0.1', portalPort);
  await ini.login({ initiatorName: 'iqn.2026-12.test:rbd', targetName: iqn });
  await ini.scsi(0, TUR); // POWER ON OCCURRED for a new nexus
  return ini;
}

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-rbd-'));
  src = path.join(work, 'random.img');
  fs.writeFileSync(src, randomBytes(SIZE));
  const t0 = performance.now();
  ceph = await CephCluster.start();
  console.log(`ceph cluster started in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  dialectPort = await freePort(LIF_ADDRESS);
  sb = await startSanbox({
    env: { SANBOX_PORTAL_PORT: String(dialectPort) },
    ports: { mediumRecheckMs: 200, rbd: { monTimeoutS: 5, osdTimeoutS: OSD_TIMEOUT_S, refreshMs: 500, reopenFirstMs: 200, reopenMaxMs: 1000 } },
  });
  site = (await sb.api('GET', '/api/status')).body.site;
  tenant = site.tenants[0]!.uuid;
});

after(async () => {
  await sb?.stop();
  await ceph?.destroy();
  fs.rmSync(work, { recursive: true, force: true });
});

test("made through the share-pool API: rbd is a supported type, its Capacity is the cluster's, a wrong key or pool is refused", async () => {
  const types = await sb.api('GET', `${SHARE}/pool_type/support?cluster_uuid=${site.clusterUuid}`);
  assert.ok(types.body.data.PoolTypes.includes('rbd'), JSON.stringify(types.body));

  const badPool = await share('/create', rbdPoolBody('nopool', { source: 'nosuchpool' }));
  assert.equal(badPool.status, 400, JSON.stringify(badPool.body));
  assert.match(badPool.body.message, /cannot be used: the cluster has no pool nosuchpool/);
  const badSource = await share('/create', rbdPoolBody('badsrc', { source: 'rbd/a/b' }));
  assert.equal(badSource.status, 400);
  assert.match(badSource.body.message, /not a Ceph pool/);

  const r = await share('/create', rbdPoolBody('ceph1'));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  pool = r.body.data.pool;
  assert.equal(pool.Type, 6);
  assert.equal(pool.Source, 'rbd');
  assert.equal(pool.Status, 'healthy');
  assert.equal(pool.Capacity, 8 * 1024 * MiB, "the cluster's raw capacity: one 8 GiB OSD");
  assert.equal(JSON.stringify(r.body).includes(ceph.env.key), false, 'the key is never returned');

  const again = await share('/create', rbdPoolBody('ceph2'));
  assert.equal(again.status, 409, JSON.stringify(again.body));
});

test('FreeNAS puts an extent in it: a thin image; qemu-img round-trips 64 MiB and rbd export has the same bytes', async () => {
  portalPort = await freePort();
  const portal = await post(sb, 'portal', { iscsi_target_portal_ips: [`127.0.0.1:${portalPort}`] });
  const ig = await post(sb, 'authorizedinitiator', { iscsi_target_initiator_initiators: 'ALL', iscsi_target_initiator_auth_network: 'ALL' });
  const bad = await sb.api('POST', `${FREENAS}/extent/`, {
    iscsi_target_extent_type: 'File',
    iscsi_target_extent_name: 'nested',
    iscsi_target_extent_filesize: '16MB',
    iscsi_target_extent_path: '/mnt/ceph1/dir/nested',
  });
  assert.equal(bad.status, 400, bad.text);
  const extent = await post(sb, 'extent', {
    iscsi_target_extent_type: 'File',
    iscsi_target_extent_name: 'disk0',
    iscsi_target_extent_filesize: '64MB',
    iscsi_target_extent_path: '/mnt/ceph1/disk0',
  });
  extentId = extent.id;
  assert.deepEqual(await ceph.images(), ['disk0']);
  assert.deepEqual(await ceph.du('disk0'), { provisioned: SIZE, used: 0 }, 'created thin');
  const target = await post(sb, 'target', { iscsi_target_name: 'rbd0', iscsi_target_portalgroup: portal.id, iscsi_target_initiatorgroup: ig.id });
  await post(sb, 'targettoextent', { iscsi_target: target.id, iscsi_extent: extent.id, iscsi_lunid: 0 });
  iqn = `${await basename(sb)}:rbd0`;

  const url = iscsiUrl(portalPort, iqn, 0);
  const write = await qemu(['convert', '-n', '-f', 'raw', '-O', 'raw', src, url]);
  const back = path.join(work, 'back.img');
  const read = await qemu(['convert', '-f', 'raw', '-O', 'raw', url, back]);
  assert.equal(sha(fs.readFileSync(back)), sha(fs.readFileSync(src)), 'read back through sanbox');
  assert.equal(sha(await ceph.export('disk0')), sha(fs.readFileSync(src)), 'the bytes are in the RBD image');
  console.log(`qemu-img 64 MiB through sanbox on RBD: write ${(64 / write).toFixed(1)} MB/s, read ${(64 / read).toFixed(1)} MB/s`);
  const du = await ceph.du('disk0');
  assert.equal(du.used, SIZE, 'all of it is allocated now');
  const figures = await checked(pool.UUID);
  assert.equal(figures.Status, 'healthy');
  assert.equal(figures.VolumeTotalCount, 1);
  assert.equal(figures.AllocatedCapacity, SIZE);
});

test("UNMAP of written ranges lowers the image's used size; GET LBA STATUS reports them deallocated", async () => {
  const before = (await ceph.du('disk0')).used;
  const ini = await session();
  try {
    // UNMAP the first 16 MiB (32768 blocks of 512): one descriptor.
    const params = Buffer.alloc(24);
    params.writeUInt16BE(22, 0);
    params.writeUInt16BE(16, 2);
    params.writeBigUInt64BE(0n, 8);
    params.writeUInt32BE((16 * MiB) / 512, 16);
    const cdb = Buffer.alloc(10);
    cdb[0] = 0x42;
    cdb.writeUInt16BE(params.length, 7);
    const r = await ini.scsi(0, cdb, { dataOut: params });
    assert.equal(r.status, 0, `UNMAP: ${r.sense?.toString('hex')}`);
    // GET LBA STATUS at LBA 0: the first descriptor is deallocated (provisioning status 1).
    const gls = Buffer.alloc(16);
    gls[0] = 0x9e;
    gls[1] = 0x12;
    gls.writeUInt32BE(4096, 10);
    const st = await ini.scsi(0, gls, { readLength: 4096 });
    assert.equal(st.status, 0);
    assert.equal(st.data.readBigUInt64BE(8), 0n);
    assert.equal(st.data[20]! & 0x0f, 1, 'the first extent is deallocated');
    assert.equal(st.data.readUInt32BE(16), (16 * MiB) / 512);
    // A part of an object (one block inside the fifth 4 MiB object) reads back as zeros too.
    const lba = (16 * MiB + 12_345 * 512) / 512;
    params.writeBigUInt64BE(BigInt(lba), 8);
    params.writeUInt32BE(1, 16);
    assert.equal((await ini.scsi(0, cdb, { dataOut: params })).status, 0);
    const one = await ini.read10(0, lba, 1);
    assert.ok(
      one.data.every((b) => b === 0),
      'a partial-object UNMAP leaves zeros',
    );
  } finally {
    ini.socket.destroy();
  }
  const afterUnmap = (await ceph.du('disk0')).used;
  assert.ok(afterUnmap <= before - 16 * MiB, `used ${before} -> ${afterUnmap}`);
  const exported = await ceph.export('disk0');
  assert.ok(
    exported.subarray(0, 16 * MiB).every((b) => b === 0),
    'the unmapped range reads as zeros',
  );
  const want = Buffer.from(fs.readFileSync(src));
  want.fill(0, 0, 16 * MiB);
  want.fill(0, 16 * MiB + 12_345 * 512, 16 * MiB + 12_346 * 512);
  assert.equal(sha(exported), sha(want), 'the rest is kept');
});

test('a resize through the FreeNAS API grows the image, and the initiator sees it', async () => {
  const ini = await session();
  try {
    const grown = await sb.api('PUT', `${FREENAS}/extent/${extentId}/`, { iscsi_target_extent_filesize: '96MB' });
    assert.equal(grown.status, 200, grown.text);
    assert.equal((await ceph.du('disk0')).provisioned, 96 * MiB);
    // CAPACITY DATA HAS CHANGED comes first on the open session, then the new size.
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await ini.scsi(0, TUR);
      if (r.status !== 2) break;
      const sense = r.sense!;
      seen.push(`${(sense[2]! & 0x0f).toString(16)}/${sense[12]!.toString(16)}/${sense[13]!.toString(16).padStart(2, '0')}`);
    }
    assert.ok(seen.includes('6/2a/09'), `UNIT ATTENTION, CAPACITY DATA HAS CHANGED (${seen.join(' ')})`);
    const c = await ini.readCapacity10(0);
    assert.equal((c.lastLba + 1) * c.blockSize, 96 * MiB);
    const shrink = await sb.api('PUT', `${FREENAS}/extent/${extentId}/`, { iscsi_target_extent_filesize: '32MB' });
    assert.equal(shrink.status, 400);
  } finally {
    ini.socket.destroy();
  }
});

/**
 * The suites that reach the backstore (reads, writes, discards, allocation status,
 * compare-and-write) one by one, 16-byte CDBs only (the 10/12-byte ones take the same path): the whole suite takes ~9 minutes on RBD
 * on this kind of machine, most of it in suites that never leave the SCSI layer and run
 * in test/e2e/conformance.test.ts against a file. SCSI.Unmap alone takes minutes here (its
 * partial-object UNMAPs are covered by the UNMAP test above). SANBOX_RBD_CONFORMANCE=all runs it all.
 */
const RBD_SUITES = [
  'SCSI.Read16',
  'SCSI.Write16',
  'SCSI.Verify16',
  'SCSI.CompareAndWrite',
  'SCSI.Prefetch16',
  'SCSI.ReadCapacity16',
  'SCSI.GetLBAStatus',
  'SCSI.WriteSame16',
];

test('iscsi-test-cu against the RBD-backed LUN 0: nothing fails', async () => {
  const suites = process.env.SANBOX_RBD_CONFORMANCE === 'all' ? [undefined] : RBD_SUITES;
  const result = { passed: [] as string[], skipped: new Map<string, string>(), failed: new Map<string, string>(), seconds: 0 };
  for (const tests of suites) {
    const r = await runConformance(iscsiUrl(portalPort, iqn, 0), { tests, timeoutMs: 600_000 });
    console.log(`  ${tests ?? 'all'}: ${r.passed.length} passed, ${r.skipped.size} skipped, ${r.failed.size} failed in ${r.seconds.toFixed(1)} s`);
    result.passed.push(...r.passed);
    for (const [k, v] of r.skipped) result.skipped.set(k, v);
    for (const [k, v] of r.failed) result.failed.set(k, v);
    result.seconds += r.seconds;
  }
  const total = result.passed.length + result.skipped.size + result.failed.size;
  console.log(
    `iscsi-test-cu on RBD: ${total} tests, ${result.passed.length} passed, ${result.skipped.size} skipped, ${result.failed.size} failed in ${result.seconds.toFixed(0)} s`,
  );
  for (const [name, why] of result.failed) console.log(`  FAILED ${name}: ${why}`);
  for (const [name, why] of result.skipped) console.log(`  skipped ${name}: ${why}`);
  assert.ok(total >= (suites.length === 1 ? 230 : 40), `the suites ran (${total} tests counted)`);
  assert.deepEqual([...result.failed.keys()], [], 'no test fails');
});

test("the OSD stopped under I/O: errors within the bound, sanbox and a file pool's LUN keep serving, I/O back when the OSD is", async () => {
  fileTarget = await provisionTarget(sb, { port: await freePort(), name: 'filedisk', size: '16MB' });
  const file = await IscsiInitiator.connect('127.0.0.1', fileTarget.port);
  await file.login({ initiatorName: 'iqn.2026-12.test:rbd-file', targetName: fileTarget.iqn });
  await file.scsi(0, TUR);
  const ini = await session();
  try {
    const block = Buffer.alloc(4096, 0x5a);
    assert.equal((await ini.write10(0, 0, block)).status, 0);
    await ceph.stopOsd();
    const t0 = performance.now();
    // Writes to new objects need the OSD: each fails once its request times out.
    const writes = [0, 1, 2, 3].map((i) => ini.write10(0, 8192 * (i + 1), block));
    // Meanwhile the file pool's LUN answers, and so does the API.
    const fileRead = await file.read10(0, 0, 8);
    assert.equal(fileRead.status, 0);
    assert.equal((await sb.api('GET', '/api/status')).status, 200);
    const results = await Promise.all(writes);
    const seconds = (performance.now() - t0) / 1000;
    console.log(`OSD down: ${results.length} writes answered in ${seconds.toFixed(1)} s, statuses ${results.map((r) => r.status).join(',')}`);
    assert.ok(
      results.every((r) => r.status === 2),
      'each write ends with CHECK CONDITION',
    );
    assert.ok(seconds < OSD_TIMEOUT_S * 3 + 5, `within the bound (${seconds.toFixed(1)} s)`);
    assert.equal((await checked(pool.UUID)).Status, 'degraded');
    assert.equal((await file.read10(0, 0, 8)).status, 0);

    await ceph.startOsd();
    const deadline = Date.now() + 60_000;
    let ok = false;
    while (!ok && Date.now() < deadline) {
      const r = await ini.write10(0, 8192, block);
      ok = r.status === 0;
      if (!ok) await sleep(500);
    }
    assert.ok(ok, 'writes succeed again without restarting sanbox');
    const r = await ini.read10(0, 8192, 8);
    assert.equal(r.status, 0);
    assert.ok(r.data.equals(block));
    assert.equal((await checked(pool.UUID)).Status, 'healthy');
  } finally {
    ini.socket.destroy();
    file.socket.destroy();
  }
});

/** Sense key / ASC / ASCQ and the INFORMATION field (fixed or descriptor format). */
function senseOf(r: { status: number; sense?: Buffer | null }): { kas: string; info: number | null } {
  assert.equal(r.status, 2, 'CHECK CONDITION');
  const b = r.sense!;
  if ((b[0]! & 0x7f) === 0x72) {
    const kas = `${(b[1]! & 0x0f).toString(16)}/${b[2]!.toString(16).padStart(2, '0')}/${b[3]!.toString(16).padStart(2, '0')}`;
    for (let at = 8; at + 1 < b.length; at += 2 + b[at + 1]!) if (b[at] === 0) return { kas, info: Number(b.readBigUInt64BE(at + 4)) };
    return { kas, info: null };
  }
  const kas = `${(b[2]! & 0x0f).toString(16)}/${b[12]!.toString(16).padStart(2, '0')}/${b[13]!.toString(16).padStart(2, '0')}`;
  return { kas, info: b[0]! & 0x80 ? b.readUInt32BE(3) : null };
}

function caw(lba: number, blocks: number): Buffer {
  const cdb = Buffer.alloc(16);
  cdb[0] = 0x89;
  cdb.writeBigUInt64BE(BigInt(lba), 2);
  cdb[13] = blocks;
  return cdb;
}

test("librbd's own compare and write: the lengths it takes, the mismatch offset of the first differing byte, nothing written on a miscompare", async () => {
  const { RbdCluster } = await import('../../src/backstore/rbd.js');
  const c = await RbdCluster.connect({
    monitors: [ceph.env.monitor],
    port: Number(ceph.env.port),
    pool: ceph.env.pool,
    namespace: '',
    user: ceph.env.user,
    key: ceph.env.key,
  });
  try {
    await c.createImage('cawprobe', 16 * MiB);
    const b = await c.openImage('cawprobe', false);
    try {
      // One sector anywhere, also past the first 4 MiB object (where librbd 16.2.15 misplaces the offset).
      for (const [offset, at, length] of [
        [8192, 37, 512],
        [4 * MiB + 8192, 37, 512],
        [9 * MiB + 256, 3, 256],
        [0, 511, 512],
        [4 * MiB, 0, 512],
      ] as const) {
        await b.write(Buffer.alloc(length, 0x44), offset, false);
        const cmp = Buffer.alloc(length, 0x44);
        cmp[at] = 0x45;
        assert.equal(await b.compareAndWrite(cmp, Buffer.alloc(length, 0x99), offset), at, `mismatch at ${offset}+${at}`);
        const back = Buffer.alloc(length);
        await b.read(back, offset);
        assert.ok(
          back.every((x) => x === 0x44),
          'nothing written',
        );
        assert.equal(await b.compareAndWrite(Buffer.alloc(length, 0x44), Buffer.alloc(length, 0x99), offset), -1, 'a match writes');
        await b.read(back, offset);
        assert.ok(
          back.every((x) => x === 0x99),
          'written',
        );
      }
      // What librbd refuses is not tried: more than a sector, or across a sector boundary.
      assert.equal(b.compareAndWrite(Buffer.alloc(1024), Buffer.alloc(1024), 0), null);
      assert.equal(b.compareAndWrite(Buffer.alloc(512), Buffer.alloc(512), 256), null);
      assert.equal(b.compareAndWrite(Buffer.alloc(4096), Buffer.alloc(4096), 4096), null);
    } finally {
      await b.close();
    }
    await c.removeImage('cawprobe');
  } finally {
    await c.close();
  }
});

test('COMPARE AND WRITE on the RBD LUN: MISCOMPARE with the offset of the first differing byte, one block (librbd) and two (sanbox) alike', async () => {
  const ini = await session();
  try {
    // LBA 8208: in the image's second 4 MiB object.
    const lba = (4 * MiB) / 512 + 16;
    const old = Buffer.alloc(1024, 0x21);
    assert.equal((await ini.write10(0, lba, old)).status, 0);
    for (const blocks of [1, 2]) {
      const bytes = blocks * 512;
      const verify = Buffer.alloc(bytes, 0x21);
      const at = bytes - 7;
      verify[at] = 0x22;
      const r = await ini.scsi(0, caw(lba, blocks), { dataOut: Buffer.concat([verify, Buffer.alloc(bytes, 0x77)]) });
      const s = senseOf(r);
      assert.equal(s.kas, 'e/1d/00', 'MISCOMPARE DURING VERIFY OPERATION');
      assert.equal(s.info, at, 'INFORMATION: the offset of the first differing byte');
      const back = await ini.read10(0, lba, 2);
      assert.ok(back.data.equals(old), 'nothing written');
    }
    const good = await ini.scsi(0, caw(lba, 1), { dataOut: Buffer.concat([Buffer.alloc(512, 0x21), Buffer.alloc(512, 0x77)]) });
    assert.equal(good.status, 0);
    const exported = await ceph.export('disk0');
    assert.ok(
      exported.subarray(lba * 512, lba * 512 + 512).every((x) => x === 0x77),
      'written in the image',
    );
  } finally {
    ini.socket.destroy();
  }
});

test('WRITE SAME(16) of zeros without UNMAP on the RBD LUN: zeros in the image, the blocks still mapped', async () => {
  const ini = await session();
  try {
    const lba = (8 * MiB) / 512 - 8; // across the second and third objects
    const blocks = 4096;
    const pattern = Buffer.alloc(blocks * 512, 0x6b);
    for (let i = 0; i < blocks; i += 1024) assert.equal((await ini.write10(0, lba + i, pattern.subarray(i * 512, (i + 1024) * 512))).status, 0);
    const ws = Buffer.alloc(16);
    ws[0] = 0x93;
    ws.writeBigUInt64BE(BigInt(lba), 2);
    ws.writeUInt32BE(blocks, 10);
    const r = await ini.scsi(0, ws, { dataOut: Buffer.alloc(512) });
    assert.equal(r.status, 0, r.sense?.toString('hex'));
    for (let i = 0; i < blocks; i += 1024) {
      const back = await ini.read10(0, lba + i, 1024);
      assert.ok(
        back.data.every((x) => x === 0),
        `zeros at ${lba + i}`,
      );
    }
    const exported = await ceph.export('disk0');
    assert.ok(
      exported.subarray(lba * 512, (lba + blocks) * 512).every((x) => x === 0),
      'zeros in the image',
    );
    const gls = Buffer.alloc(16);
    gls[0] = 0x9e;
    gls[1] = 0x12;
    gls.writeBigUInt64BE(BigInt(lba), 2);
    gls.writeUInt32BE(4096, 10);
    const st = await ini.scsi(0, gls, { readLength: 4096 });
    assert.equal(st.status, 0);
    assert.equal(Number(st.data.readBigUInt64BE(8)), lba);
    assert.equal(st.data[20]! & 0x0f, 0, 'mapped: WRITE SAME without UNMAP does not deallocate');
    assert.ok(st.data.readUInt32BE(16) >= blocks);
  } finally {
    ini.socket.destroy();
  }
});

async function extentStatus(name: string): Promise<any> {
  const st = await sb.api('GET', '/api/status');
  return st.body.extents.find((e: any) => e.name === name);
}

async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

test("an image removed behind sanbox's back (its watcher blocklisted, then rbd rm): NOT READY / MEDIUM NOT PRESENT, missing in the status, back when the image is", async () => {
  const extent = await post(sb, 'extent', {
    iscsi_target_extent_type: 'File',
    iscsi_target_extent_name: 'disk1',
    iscsi_target_extent_filesize: '16MB',
    iscsi_target_extent_path: '/mnt/ceph1/disk1',
  });
  const targets = await sb.api('GET', `${FREENAS}/target/`);
  const target = targets.body.find((t: any) => t.iscsi_target_name === 'rbd0');
  await post(sb, 'targettoextent', { iscsi_target: target.id, iscsi_extent: extent.id, iscsi_lunid: 1 });
  const ini = await session();
  try {
    await ini.scsi(1, TUR);
    const data = Buffer.alloc(4096, 0x3c);
    assert.equal((await ini.write10(1, 0, data)).status, 0);
    const watchers = JSON.parse(await ceph.rbd(['status', '--format', 'json', `${ceph.env.pool}/disk1`])) as { watchers: Array<{ address: string }> };
    assert.equal(watchers.watchers.length, 1, 'sanbox watches the image');
    const addr = watchers.watchers[0]!.address;
    await ceph.rbd(['rm', `${ceph.env.pool}/disk1`]).then(
      () => assert.fail('rbd rm removes an image sanbox has open'),
      (err) => assert.match(String(err.stderr), /still has watchers/),
    );
    await exec('ceph', ['-c', ceph.env.conf, 'osd', 'blocklist', 'add', addr]);
    try {
      await ceph.rbd(['rm', `${ceph.env.pool}/disk1`]);
      assert.ok(!(await ceph.images()).includes('disk1'));
      // The next command finds it gone: NOT READY, MEDIUM NOT PRESENT (not a MEDIUM ERROR), and so on.
      const r = await ini.read10(1, 0, 8);
      assert.equal(senseOf(r).kas, '2/3a/00', 'NOT READY, MEDIUM NOT PRESENT');
      const st = await until('disk1 missing in /api/status', async () => {
        const e = await extentStatus('disk1');
        return e?.state === 'offline' && e.missing ? e : undefined;
      });
      assert.equal(st.missing, '/mnt/ceph1/disk1');
      assert.match(st.error, /has no image rbd\/disk1/);
      assert.equal(senseOf(await ini.scsi(1, TUR)).kas, '2/3a/00');
      // LUN 0's image is still there: it is served again through a new connection.
      await until('LUN 0 to read again', async () => {
        const back = await ini.read10(0, 0, 1);
        return back.status === 0;
      });
      assert.equal((await extentStatus('disk0')).state, 'online');
      assert.equal((await checked(pool.UUID)).Status, 'healthy');
    } finally {
      await exec('ceph', ['-c', ceph.env.conf, 'osd', 'blocklist', 'rm', addr]);
    }
    // The image made again (rbd create, a restore, an import): the LUN serves it, after a unit attention.
    await ceph.rbd(['create', '--size', '16M', `${ceph.env.pool}/disk1`]);
    await until('LUN 1 to answer again', async () => (await ini.scsi(1, TUR)).status === 0 || undefined);
    const back = await ini.read10(1, 0, 8);
    assert.equal(back.status, 0);
    assert.ok(
      back.data.every((x) => x === 0),
      'the new, empty image',
    );
    assert.equal((await extentStatus('disk1')).state, 'online');

    // Removed while sanbox was not running: it starts with the LU offline and the image missing.
    ini.socket.destroy();
    await (sb as unknown as { sanbox: { close(): Promise<void> } }).sanbox.close();
    await ceph.rbd(['rm', `${ceph.env.pool}/disk1`]);
    await sb.start();
    const again = await session();
    try {
      // The pool connects in the background at start: LUN 0 serves once it has.
      await until('LUN 0 to serve after the restart', async () => (await again.read10(0, 0, 1)).status === 0 || undefined);
      assert.equal(senseOf(await again.scsi(1, TUR)).kas, '6/29/00', 'POWER ON OCCURRED first, as on any new nexus');
      const st = await until('disk1 missing after the restart', async () => {
        const e = await extentStatus('disk1');
        return e?.missing ? e : undefined;
      });
      assert.equal(st.state, 'offline');
      assert.equal(senseOf(await again.read10(1, 0, 8)).kas, '2/3a/00');
    } finally {
      again.socket.destroy();
    }
  } finally {
    ini.socket.destroy();
  }
  const maps = await sb.api('GET', `${FREENAS}/targettoextent/`);
  for (const m of maps.body.filter((x: any) => x.iscsi_extent === extent.id)) {
    assert.equal((await sb.api('DELETE', `${FREENAS}/targettoextent/${m.id}/`)).status, 204);
  }
  const del = await sb.api('DELETE', `${FREENAS}/extent/${extent.id}/`);
  assert.equal(del.status, 204, `an extent whose image is gone can be deleted: ${del.text}`);
});

/** qemu-img writes 16 MiB of random bytes into a LUN and reads them back: both must be what was written. */
async function roundTrip(portal: string, iqn: string, initiator: string, image: string): Promise<void> {
  const bytes = randomBytes(16 * MiB);
  const file = path.join(work, `${image}.in`);
  const back = path.join(work, `${image}.out`);
  fs.writeFileSync(file, bytes);
  const opts = `driver=iscsi,transport=tcp,portal=${portal},target=${iqn},lun=0,initiator-name=${initiator}`;
  await qemu(['convert', '-n', '-f', 'raw', '--target-image-opts', file, opts]);
  await qemu(['convert', '--image-opts', opts, '-O', 'raw', back]);
  assert.equal(sha(fs.readFileSync(back)), sha(bytes), 'read back through sanbox');
  assert.equal(sha(await ceph.export(image)), sha(bytes), `the bytes are in the RBD image ${image}`);
  fs.rmSync(file);
  fs.rmSync(back);
}

test('ONTAP puts a LUN in the rbd pool (its aggregate): a volume in it, a LUN, an igroup and a map; qemu-img round-trips through the LIF; the image is in rbd ls, and gone with the LUN', async () => {
  const ontap = async (method: string, route: string, body?: unknown) => {
    const r = await sb.api(method, route, body);
    return { status: r.status, body: r.body as any, location: r.headers.get('location') };
  };
  const svm = { svm: { name: 'svmrbd' } };
  assert.equal((await ontap('POST', '/api/svm/svms', { name: 'svmrbd' })).status, 202);
  assert.equal((await ontap('POST', '/api/protocols/san/iscsi/services', svm)).status, 201);
  const lif = await ontap('POST', '/api/network/ip/interfaces', {
    name: 'lifrbd',
    ...svm,
    ip: { address: LIF_ADDRESS, netmask: '255.255.255.0' },
    service_policy: { name: 'default-data-iscsi' },
  });
  assert.equal(lif.status, 201, JSON.stringify(lif.body));
  const aggregates = await ontap('GET', '/api/storage/aggregates?fields=name');
  assert.ok(
    aggregates.body.records.some((a: any) => a.name === 'ceph1'),
    `the rbd pool is an aggregate: ${JSON.stringify(aggregates.body)}`,
  );
  const vol = await ontap('POST', '/api/storage/volumes', { name: 'volrbd', ...svm, aggregates: [{ name: 'ceph1' }], size: 100 * MiB });
  assert.equal(vol.status, 202, JSON.stringify(vol.body));
  const before = await ceph.images();
  const lun = await ontap('POST', '/api/storage/luns', { ...svm, name: '/vol/volrbd/lun1', os_type: 'linux', space: { size: 16 * MiB } });
  assert.equal(lun.status, 201, JSON.stringify(lun.body));
  const lunUuid = lun.location!.replace('/api/storage/luns/', '');
  const made = (await ceph.images()).filter((i) => !before.includes(i));
  assert.equal(made.length, 1, `one new image: ${made.join(', ')}`);
  const image = made[0]!;
  assert.deepEqual(await ceph.du(image), { provisioned: 16 * MiB, used: 0 }, 'a thin image of the size asked');
  const initiator = 'iqn.2026-12.test:ontap-rbd';
  const ig = await ontap('POST', '/api/protocols/san/igroups', {
    ...svm,
    name: 'igrbd',
    os_type: 'linux',
    protocol: 'iscsi',
    initiators: [{ name: initiator }],
  });
  assert.equal(ig.status, 201, JSON.stringify(ig.body));
  const igUuid = ig.location!.replace('/api/protocols/san/igroups/', '');
  assert.equal((await ontap('POST', '/api/protocols/san/lun-maps', { ...svm, lun: { name: '/vol/volrbd/lun1' }, igroup: { name: 'igrbd' } })).status, 201);
  const service = await ontap('GET', '/api/protocols/san/iscsi/services?svm.name=svmrbd&fields=target.name');
  const iqn = service.body.records[0].target.name as string;

  await roundTrip(`${LIF_ADDRESS}:${dialectPort}`, iqn, initiator, image);

  assert.equal((await ontap('DELETE', `/api/protocols/san/lun-maps/${lunUuid}/${igUuid}`)).status, 200);
  assert.equal((await ontap('DELETE', `/api/storage/luns/${lunUuid}`)).status, 200);
  assert.equal((await ceph.images()).includes(image), false, 'the image is removed with its LUN');
  const vols = await ontap('GET', '/api/storage/volumes?name=volrbd');
  assert.equal((await ontap('DELETE', `/api/storage/volumes/${vols.body.records[0].uuid}`)).status, 202);
  assert.equal((await ontap('DELETE', `/api/protocols/san/igroups/${igUuid}`)).status, 200);
});

test('netapp.ontap (Ansible, unchanged) provisions an SVM whose volume is in the rbd pool (aggregate ceph1), and removes it: the LUN is an image in rbd ls, gone with the LUN', {
  timeout: 600_000,
}, async () => {
  const before = await ceph.images();
  const vars = { aggregate: 'ceph1', lif_address: ANSIBLE_LIF_ADDRESS, svm_comment: 'rbd by ansible' };
  assertPlay(await playbook(sb, 'provision.yml', vars), 7, 'provision into the rbd pool');
  const made = (await ceph.images()).filter((i) => !before.includes(i));
  assert.equal(made.length, 1, `one new image: ${made.join(', ')}`);
  assert.match(made[0]!, /^lun-/);
  assertPlay(await playbook(sb, 'provision.yml', vars), 0, 're-run');
  assertPlay(await playbook(sb, 'remove.yml', vars), 7, 'removal');
  assert.deepEqual(
    (await ceph.images()).filter((i) => !before.includes(i)),
    [],
    'the image is removed with its LUN',
  );
});

test('HNAS puts a logical unit in the rbd pool (path /mnt/<pool>/<name>): qemu-img round-trips through the EVS; the image is in rbd ls, and gone with the LU', async () => {
  const hnas = async (method: string, route: string, body?: unknown) => {
    const r = await sb.request(method, `/v9/storage${route}`, { body });
    return { status: r.status, body: r.body as any };
  };
  const evs = await hnas('POST', '/virtual-servers', { name: 'evsrbd', ipAddresses: [EVS_ADDRESS] });
  assert.equal(evs.status, 201, JSON.stringify(evs.body));
  const server = evs.body.virtualServer.virtualServerId;
  const nested = await hnas('POST', '/iscsi-logical-units', { name: 'bad', virtualServerId: server, size: 16 * MiB, path: '/mnt/ceph1/a/b' });
  assert.equal(nested.status, 400, JSON.stringify(nested.body));
  const lu = await hnas('POST', '/iscsi-logical-units', { name: 'hnaslu', virtualServerId: server, size: 16 * MiB, path: '/mnt/ceph1/hnaslu' });
  assert.equal(lu.status, 201, JSON.stringify(lu.body));
  assert.ok((await ceph.images()).includes('hnaslu'), 'the image is in rbd ls');
  assert.deepEqual(await ceph.du('hnaslu'), { provisioned: 16 * MiB, used: 0 });
  const t = await hnas('POST', '/iscsi-targets', { alias: 'trbd', virtualServerId: server });
  assert.equal(t.status, 201, JSON.stringify(t.body));
  const id = t.body.iscsiTarget.objectId as string;
  const added = await hnas('POST', `/iscsi-targets/${id}/iscsi-logical-units`, { logicalUnit: 0, logicalUnitObjectId: lu.body.iscsiLogicalUnit.objectId });
  assert.equal(added.status, 201, JSON.stringify(added.body));

  await roundTrip(`${EVS_ADDRESS}:${dialectPort}`, t.body.iscsiTarget.globalUniqueName, 'iqn.2026-12.test:hnas-rbd', 'hnaslu');
  const shown = await hnas('GET', `/iscsi-logical-units/${lu.body.iscsiLogicalUnit.objectId}`);
  assert.equal(shown.status, 200);
  assert.equal(shown.body.iscsiLogicalUnit.used, 16 * MiB, 'used: what the image holds, from the cluster');

  assert.equal((await hnas('DELETE', `/iscsi-targets/${id}/iscsi-logical-units/0`)).status, 204);
  assert.equal((await hnas('DELETE', `/iscsi-targets/${id}`)).status, 204);
  assert.equal((await hnas('DELETE', `/iscsi-logical-units/${lu.body.iscsiLogicalUnit.objectId}`)).status, 204);
  assert.equal((await ceph.images()).includes('hnaslu'), false, 'the image is removed with its LU');
  const gone = await hnas('DELETE', `/virtual-servers/${evs.body.virtualServer.objectId}`);
  assert.equal(gone.status, 204, JSON.stringify(gone.body));
});

test('an rbd image made by a create that never committed (killed in between) is removed at the next start; images sanbox did not make stay', async () => {
  const journal = new ImageJournal(path.join(sb.dataDir, 'creating'));
  // "Killed" after the image was made, before the commit: the record and the image stay behind.
  journal.beginImage(pool.UUID, 'lost', '/mnt/ceph1/lost');
  await ceph.rbd(['create', '--size', '16M', `${ceph.env.pool}/lost`]);
  // An image that was there before the record (a name taken by someone else): kept.
  await ceph.rbd(['create', '--size', '16M', `${ceph.env.pool}/older`]);
  fs.writeFileSync(
    path.join(sb.dataDir, 'creating', 'older-record'),
    JSON.stringify({ pool: pool.UUID, image: 'older', path: '/mnt/ceph1/older', at: Date.now() + 3_600_000 }),
  );
  // Committed, but killed before the record was dropped: the extent keeps its image.
  journal.beginImage(pool.UUID, 'disk0', '/mnt/ceph1/disk0');
  assert.deepEqual((await ceph.images()).sort(), ['disk0', 'lost', 'older']);

  await sb.restart();
  await until('the interrupted create to be cleaned up', async () => !(await ceph.images()).includes('lost') || undefined);
  await until('every record settled', async () => fs.readdirSync(path.join(sb.dataDir, 'creating')).length === 0 || undefined);
  assert.deepEqual((await ceph.images()).sort(), ['disk0', 'older']);
  await ceph.rbd(['rm', `${ceph.env.pool}/older`]);
});

test('deleting the extent removes its image; then the pool can be deleted', async () => {
  const maps = await sb.api('GET', `${FREENAS}/targettoextent/`);
  for (const m of maps.body.filter((x: any) => x.iscsi_extent === extentId)) {
    assert.equal((await sb.api('DELETE', `${FREENAS}/targettoextent/${m.id}/`)).status, 204);
  }
  assert.equal((await sb.api('DELETE', `${FREENAS}/extent/${extentId}/`)).status, 204);
  assert.deepEqual(await ceph.images(), []);
  const del = await share('/delete', { cluster_uuid: site.clusterUuid, tenant, pool_uuid: pool.UUID, pool_name: 'ceph1' });
  assert.equal(del.status, 200, JSON.stringify(del.body));
});

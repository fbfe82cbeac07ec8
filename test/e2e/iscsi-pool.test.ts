/**
 * An iscsi pool over Debian's tgt as the external array, end to end: made through the
 * share-pool API (its Capacity is tgt's backing file), extents carved out of it through
 * FreeNAS and zeroed before use, qemu-img writing through sanbox into tgt's file at each
 * extent's offset, the pool's figures, tgt restarting under a running sanbox (degraded,
 * offline past the bound with the LUN NOT READY, healthy again with I/O), sanbox starting
 * while tgt is down, and the array's refusals as exact scodes that leave nothing behind.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { rbdUnavailable } from '../../src/backstore/rbd.js';
import { IscsiInitiator } from '../../src/initiator/client.js';
import { parseSense } from '../../src/scsi/sense.js';
import { FREENAS, startSanbox, type TestSanbox } from '../support/sanbox.js';
import { fileBytes, freePort, iscsiUrl, run } from './peers.js';
import { basename, post } from './provision.js';
import { TgtArray } from './tgt-array.js';

const MiB = 1024 * 1024;
const SHARE = '/v1/pool/share';
const ARRAY = 'iqn.2026-11.test.sanbox:pool-array';
const CHAP = 'iqn.2026-11.test.sanbox:pool-chap';
const BENCH = 'iqn.2026-11.test.sanbox:pool-bench';
const ACCOUNT = { user: 'sanbox-pool', secret: 'pool-secret-0042' };
const ARRAY_SIZE = 160 * MiB;
const SIZE = 64 * MiB;
/** Short bounds, so an outage turns the pool offline within the test's patience. */
const UNREACHABLE_AFTER_MS = 2500;
const TUR = Buffer.alloc(6);

let work: string;
let image: string;
let array: TgtArray;
let sb: TestSanbox;
let site: { clusterUuid: string; zoneUuid: string; tenants: Array<{ uuid: string }> };
let tenant: string;
let pool: any;
let iqn: string;
let portalPort: number;
let disk0: { id: number; offset: number };
let src: string;

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function imageOf(name: string, size: number, fill = 0): string {
  const file = path.join(work, name);
  if (fill === 0) {
    fs.writeFileSync(file, '');
    fs.truncateSync(file, size);
  } else fs.writeFileSync(file, Buffer.alloc(size, fill));
  return file;
}

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-ipool-'));
  // What an earlier user left on the LUN: a carved extent must never show it.
  image = imageOf('array.img', ARRAY_SIZE, 0xab);
  array = await TgtArray.start(work, [
    { iqn: ARRAY, image },
    { iqn: CHAP, image: imageOf('chap.img', 16 * MiB), chap: ACCOUNT },
    { iqn: BENCH, image: imageOf('bench.img', SIZE) },
  ]);
  sb = await startSanbox({
    ports: {
      mediumRecheckMs: 200,
      arrays: { unreachableAfterMs: UNREACHABLE_AFTER_MS, backoffFirstMs: 100, backoffMaxMs: 400, reopenFirstMs: 200, reopenMaxMs: 800, probeTimeoutMs: 2000 },
    },
  });
  site = (await sb.api('GET', '/api/status')).body.site;
  tenant = site.tenants[0]!.uuid;
  src = path.join(work, 'random.img');
  fs.writeFileSync(src, randomBytes(SIZE));
});

after(async () => {
  await sb?.stop();
  await array?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

function share(route: string, body: unknown): Promise<{ status: number; body: any }> {
  return sb.api('POST', `${SHARE}${route}`, body);
}

function createBody(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    pool_name: name,
    pool_type: 1,
    zone_uuid: site.zoneUuid,
    ip: '127.0.0.1',
    port: String(array.port),
    source: `${ARRAY}/1`,
    username: '',
    password: '',
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

/** status/check, then the pool as get shows it. */
async function checked(uuid: string): Promise<any> {
  const r = await share('/status/check', { cluster_uuid: site.clusterUuid, tenant, pool_uuid: uuid });
  assert.equal(r.body.scode, 0, JSON.stringify(r.body));
  return getPool(uuid);
}

async function until(what: string, timeoutMs: number, ok: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) assert.fail(`${what} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Sessions from this host to tgt's portal (ours, qemu-img's gone by then). */
function arraySessions(): number {
  const out = execFileSync('ss', ['-Htn', 'state', 'established', `( dport = :${array.port} )`], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.trim() !== '').length;
}

async function qemu(args: string[]): Promise<number> {
  const t0 = performance.now();
  const r = await run('qemu-img', args, { timeoutMs: 180_000 });
  assert.equal(r.code, 0, r.stderr);
  return (performance.now() - t0) / 1000;
}

async function extentState(name: string): Promise<string> {
  const st = (await sb.api('GET', '/api/status')).body.extents.find((e: { name: string }) => e.name === name);
  return st?.state;
}

test("made through the share-pool API: its Capacity is tgt's backing file, and pool_type/support lists iscsi", async () => {
  const types = await sb.api('GET', `${SHARE}/pool_type/support?cluster_uuid=${site.clusterUuid}`);
  assert.deepEqual(types.body.data.PoolTypes, rbdUnavailable() === null ? ['iscsi', 'disk', 'rbd'] : ['iscsi', 'disk']);
  const r = await share('/create', createBody('ipool', { port: String(array.port) }));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  pool = r.body.data.pool;
  assert.equal(pool.Type, 1);
  assert.equal(pool.Source, `${ARRAY}/1`);
  assert.equal(pool.Port, String(array.port));
  assert.equal(pool.Capacity, fs.statSync(image).size);
  assert.equal(pool.Status, 'healthy');
  assert.deepEqual([pool.Used, pool.AllocatedCapacity, pool.VolumeTotalCount], [0, 0, 0]);
  assert.equal(arraySessions(), 1, 'one session to the array for the pool');
});

test('FreeNAS carves two extents out of it, zeroed; qemu-img writes through sanbox into tgt at their offsets and reads back', async () => {
  portalPort = await freePort();
  const portal = await post(sb, 'portal', { iscsi_target_portal_ips: [`127.0.0.1:${portalPort}`] });
  const ig = await post(sb, 'authorizedinitiator', { iscsi_target_initiator_initiators: 'ALL', iscsi_target_initiator_auth_network: 'ALL' });
  const extent = (name: string, size: string) =>
    post(sb, 'extent', {
      iscsi_target_extent_type: 'File',
      iscsi_target_extent_name: name,
      iscsi_target_extent_filesize: size,
      iscsi_target_extent_path: `/mnt/ipool/${name}`,
    });
  const e0 = await extent('disk0', '64MB');
  const e1 = await extent('disk1', '32MB');
  assert.equal(e0.iscsi_target_extent_path, '/mnt/ipool/disk0');
  const target = await post(sb, 'target', { iscsi_target_name: 'ipool0', iscsi_target_portalgroup: portal.id, iscsi_target_initiatorgroup: ig.id });
  await post(sb, 'targettoextent', { iscsi_target: target.id, iscsi_extent: e0.id, iscsi_lunid: 0 });
  await post(sb, 'targettoextent', { iscsi_target: target.id, iscsi_extent: e1.id, iscsi_lunid: 1 });
  iqn = `${await basename(sb)}:ipool0`;

  const r0 = sb.sanbox.services.extents.get(e0.id).poolRange!;
  const r1 = sb.sanbox.services.extents.get(e1.id).poolRange!;
  disk0 = { id: e0.id, offset: r0.offset };
  assert.equal(r0.offset % MiB, 0);
  assert.equal(r1.offset % MiB, 0);
  assert.ok(r0.offset + SIZE <= r1.offset || r1.offset + 32 * MiB <= r0.offset, `ranges ${r0.offset} and ${r1.offset} overlap`);
  assert.ok(r1.offset + 32 * MiB <= ARRAY_SIZE && r0.offset + SIZE <= ARRAY_SIZE);
  assert.ok(
    fileBytes(image, r0.offset, SIZE).every((b) => b === 0),
    "the carved range is zeroed: the LUN's old bytes are gone",
  );
  assert.ok(
    fileBytes(image, r1.offset + 32 * MiB, MiB).every((b) => b === 0xab),
    'nothing past the ranges is touched',
  );

  const url = iscsiUrl(portalPort, iqn, 0);
  const other = sha(fileBytes(image, r1.offset, 32 * MiB));
  const write = await qemu(['convert', '-n', '-f', 'raw', '-O', 'raw', src, url]);
  assert.equal(sha(fileBytes(image, r0.offset, SIZE)), sha(fs.readFileSync(src)), "the bytes are at the extent's offset in tgt's file");
  assert.equal(sha(fileBytes(image, r1.offset, 32 * MiB)), other, 'the second extent is untouched');
  const back = path.join(work, 'back.img');
  const read = await qemu(['convert', '-f', 'raw', '-O', 'raw', url, back]);
  assert.equal(sha(fs.readFileSync(back)), sha(fs.readFileSync(src)));

  // The second extent, through LUN 1: its bytes at its own offset, the first's unchanged.
  const small = path.join(work, 'small.img');
  fs.writeFileSync(small, randomBytes(32 * MiB));
  await qemu(['convert', '-n', '-f', 'raw', '-O', 'raw', small, iscsiUrl(portalPort, iqn, 1)]);
  assert.equal(sha(fileBytes(image, r1.offset, 32 * MiB)), sha(fs.readFileSync(small)));
  assert.equal(sha(fileBytes(image, r0.offset, SIZE)), sha(fs.readFileSync(src)));

  // The same 64 MiB straight to tgt, for the side-by-side figure.
  const direct = iscsiUrl(array.port, BENCH, array.lun);
  const directWrite = await qemu(['convert', '-n', '-f', 'raw', '-O', 'raw', src, direct]);
  const directRead = await qemu(['convert', '-f', 'raw', '-O', 'raw', direct, path.join(work, 'direct.img')]);
  const rate = (s: number) => `${(SIZE / MiB / s).toFixed(1)} MB/s`;
  const line = `qemu-img 64 MiB: through sanbox -> tgt write ${rate(write)}, read ${rate(read)}; direct to tgt write ${rate(directWrite)}, read ${rate(directRead)}`;
  console.log(line);

  const figures = await getPool(pool.UUID);
  assert.equal(figures.Capacity, ARRAY_SIZE);
  assert.equal(figures.Used, 96 * MiB, 'the ranges count whole');
  assert.equal(figures.AllocatedCapacity, 96 * MiB);
  assert.equal(figures.VolumeTotalCount, 2);
  const list = (await share('/list', { cluster_uuid: site.clusterUuid })).body.data.infos.map((i: any) => i.pool);
  assert.equal(list.find((p: any) => p.UUID === pool.UUID).Used, 96 * MiB);

  // Growing: in place into the zeroed free space after disk1, seen by the initiator; disk0 has none after it.
  const crowded = await sb.api('PUT', `${FREENAS}/extent/${e0.id}/`, { iscsi_target_extent_filesize: '65MB' });
  assert.equal(crowded.status, 400);
  assert.match(
    crowded.body.iscsi_target_extent_filesize[0],
    /^The extent can grow only into the free space right after it in pool "ipool": at most 67108864 bytes/,
  );
  assert.equal((await sb.api('PUT', `${FREENAS}/extent/${e1.id}/`, { iscsi_target_extent_filesize: '48MB' })).status, 200);
  assert.ok(
    fileBytes(image, r1.offset + 32 * MiB, 16 * MiB).every((b) => b === 0),
    'the bytes it grew into are zeroed',
  );
  assert.equal(sha(fileBytes(image, r1.offset, 32 * MiB)), sha(fs.readFileSync(small)), 'and its own are kept');
  const ini = await IscsiInitiator.connect('127.0.0.1', portalPort);
  try {
    await ini.login({ initiatorName: 'iqn.2026-12.test:ipool', targetName: iqn });
    await ini.scsi(1, TUR); // POWER ON OCCURRED for a new nexus
    const c = await ini.readCapacity10(1);
    assert.equal((c.lastLba + 1) * c.blockSize, 48 * MiB);
  } finally {
    ini.socket.destroy();
  }
  assert.equal((await getPool(pool.UUID)).Used, 112 * MiB);
});

test('a pool with extents is not deleted', async () => {
  const del = await share('/delete', { cluster_uuid: site.clusterUuid, tenant, pool_uuid: pool.UUID, pool_name: 'ipool' });
  assert.equal(del.status, 409);
  assert.equal(del.body.scode, 2003);
  assert.match(del.body.message, /^Pool \d+ is used by extent "disk0" \(id \d+\), extent "disk1" \(id \d+\)\.$/);
  assert.equal((await getPool(pool.UUID)).Status, 'healthy');
});

test('tgt restarts under a running sanbox: degraded, offline past the bound with the LUN NOT READY, then healthy and I/O again', async () => {
  await array.stop();
  await until('degraded', 3000, async () => (await checked(pool.UUID)).Status === 'degraded');
  await until('offline past the bound', UNREACHABLE_AFTER_MS + 3000, async () => (await checked(pool.UUID)).Status === 'offline');
  await until('the extent offline', 3000, async () => (await extentState('disk0')) === 'offline');
  const ini = await IscsiInitiator.connect('127.0.0.1', portalPort);
  try {
    await ini.login({ initiatorName: 'iqn.2026-12.test:ipool', targetName: iqn });
    await ini.scsi(0, TUR); // POWER ON OCCURRED for a new nexus
    const r = await ini.scsi(0, TUR);
    assert.equal(r.status, 2);
    const s = parseSense(r.sense!);
    assert.deepEqual([s.key, s.asc], [0x02, 0x3a], 'NOT READY, MEDIUM NOT PRESENT');
  } finally {
    ini.socket.destroy();
  }
  await array.start();
  await until('healthy', 5000, async () => (await checked(pool.UUID)).Status === 'healthy');
  await until('the extent online', 3000, async () => (await extentState('disk0')) === 'online');
  const back = path.join(work, 'after-restart.img');
  await qemu(['convert', '-f', 'raw', '-O', 'raw', iscsiUrl(portalPort, iqn, 0), back]);
  assert.equal(sha(fs.readFileSync(back)), sha(fs.readFileSync(src)), 'the same bytes after the outage');
  const again = randomBytes(MiB);
  fs.writeFileSync(path.join(work, 'again.img'), again);
  await qemu(['convert', '-n', '-f', 'raw', '-O', 'raw', path.join(work, 'again.img'), iscsiUrl(portalPort, iqn, 0)]);
  assert.ok(fileBytes(image, disk0.offset, MiB).equals(again), 'writes reach tgt again');
  fs.writeFileSync(src, Buffer.concat([again, fileBytes(src, MiB, SIZE - MiB)]));
});

test('sanbox starting while tgt is down starts all the same: the pool is offline until tgt is back, then serves', async () => {
  await array.stop();
  await sb.restart();
  const down = await getPool(pool.UUID);
  assert.equal(down.Status, 'offline');
  assert.equal(await extentState('disk0'), 'offline');
  await array.start();
  await until('healthy after the array came up', 5000, async () => (await getPool(pool.UUID)).Status === 'healthy');
  await until('the extent online', 3000, async () => (await extentState('disk0')) === 'online');
  const back = path.join(work, 'after-start.img');
  await qemu(['convert', '-f', 'raw', '-O', 'raw', iscsiUrl(portalPort, iqn, 0), back]);
  assert.equal(sha(fs.readFileSync(back)), sha(fs.readFileSync(src)));
  assert.equal((await getPool(pool.UUID)).Capacity, ARRAY_SIZE);
});

test('CHAP: the right secret makes a pool whose password is masked, its delete ends the session', async () => {
  const before = arraySessions();
  const r = await share('/create', createBody('chap', { source: `${CHAP}/1`, username: ACCOUNT.user, password: ACCOUNT.secret }));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.data.pool.Password, '******');
  assert.equal(r.body.data.pool.Capacity, 16 * MiB);
  assert.equal(arraySessions(), before + 1);
  assert.doesNotMatch(JSON.stringify((await share('/list', { cluster_uuid: site.clusterUuid })).body), new RegExp(ACCOUNT.secret));
  const del = await share('/delete', { cluster_uuid: site.clusterUuid, tenant, pool_uuid: r.body.data.pool.UUID, pool_name: 'chap' });
  assert.equal(del.status, 200, JSON.stringify(del.body));
  await until('the session ended', 3000, async () => arraySessions() === before);
});

test('bad inputs: exact scode, desc and status; no pool and no session left behind', async () => {
  const listed = (await share('/list', { cluster_uuid: site.clusterUuid })).body.data;
  const sessions = arraySessions();
  const nobody = await freePort();
  const cases: Array<[string, Record<string, unknown>, number, number, string]> = [
    ['unreachable', { port: String(nobody) }, 400, 8114, 'pool.array-unreachable: ip'],
    ['a wrong CHAP secret', { source: `${CHAP}/1`, username: ACCOUNT.user, password: 'not-the-secret' }, 400, 8115, 'pool.array-auth-failed: password'],
    ['no CHAP for a CHAP target', { source: `${CHAP}/1` }, 400, 8115, 'pool.array-auth-failed: username'],
    ['a CHAP user without a secret', { source: `${CHAP}/1`, username: ACCOUNT.user }, 400, 1001, 'value.required: password'],
    ['a malformed IQN', { source: 'iqn.2026.bad/1' }, 400, 8111, 'pool.source-not-iqn: source'],
    ['a LUN out of range', { source: `${ARRAY}/16384` }, 400, 8112, 'pool.source-lun-invalid: source'],
    ['no such target', { source: 'iqn.2026-11.test.sanbox:nobody/1' }, 400, 8116, 'pool.array-target-unknown: source'],
    ["tgt's controller LUN 0", { source: ARRAY }, 400, 8117, 'pool.array-lun-unusable: source'],
    ['no such LUN', { source: `${ARRAY}/7` }, 400, 8117, 'pool.array-lun-unusable: source'],
    ['the LUN of another pool', {}, 409, 8113, 'pool.array-lun-taken: source'],
    ['a bad ip', { ip: '127.0.0' }, 400, 1010, 'value.not-ip-address: ip'],
  ];
  for (const [what, extra, status, scode, desc] of cases) {
    const r = await share('/create', createBody('fresh', extra));
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.scode, scode, what);
    assert.equal(r.body.desc, desc, what);
    assert.ok(r.body.message_cn.length > 0, what);
    assert.equal(r.body.data, null, what);
    assert.doesNotMatch(r.body.message, /not-the-secret|pool-secret/, `${what}: no secret in the words`);
  }
  assert.deepEqual((await share('/list', { cluster_uuid: site.clusterUuid })).body.data, listed, 'nothing changed');
  await until('no session left behind', 3000, async () => arraySessions() === sessions);
});

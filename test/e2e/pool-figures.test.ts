/**
 * A share-pool pool on a tmpfs mounted for the test, with an extent served over iSCSI:
 * writing 8 MiB through the target raises the pool's Used by 8 MiB (du's count, not the
 * image's size), and when the pool's directory disappears, status/check says offline, its
 * LUN answers NOT READY while a LUN in another pool keeps working, and it all comes back
 * when the directory does.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { IscsiInitiator } from '../../src/initiator/client.js';
import { startSanbox, type TestSanbox } from '../support/sanbox.js';
import { freePort } from './peers.js';
import { post, provisionTarget, senseOf, withSession, type Provisioned } from './provision.js';

const SHARE = '/v1/pool/share';
const MiB = 1024 * 1024;
const TUR = Buffer.alloc(6);
let sb: TestSanbox;
let mnt: string;
let site: { clusterUuid: string; zoneUuid: string; tenants: Array<{ uuid: string }> };
let t: Provisioned;
let poolUuid: string;
let source: string;

before(async () => {
  mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-poolfig-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96m', 'tmpfs', mnt]);
  source = path.join(mnt, 'fast');
  fs.mkdirSync(source);
  sb = await startSanbox({ ports: { mediumRecheckMs: 100 } });
  site = (await sb.api('GET', '/api/status')).body.site;
  const created = await sb.api('POST', `${SHARE}/create`, {
    cluster_uuid: site.clusterUuid,
    zone_uuid: site.zoneUuid,
    pool_name: 'fast',
    pool_type: 4,
    ip: '127.0.0.1',
    source,
    attr: { overAllocationThreshold: '1.0' },
  });
  assert.equal(created.body.scode, 0, JSON.stringify(created.body));
  poolUuid = created.body.data.pool.UUID;
  // LUN 0 in the default pool, LUN 1 in "fast".
  t = await provisionTarget(sb, { port: await freePort(), name: 'keep', size: '4MB' });
  const extent = await post(sb, 'extent', {
    iscsi_target_extent_type: 'File',
    iscsi_target_extent_name: 'fast0',
    iscsi_target_extent_filesize: '32MB',
    iscsi_target_extent_path: '/mnt/fast/fast0',
  });
  await post(sb, 'targettoextent', { iscsi_target: t.targetId, iscsi_extent: extent.id });
});

after(async () => {
  await sb.stop();
  execFileSync('umount', [mnt]);
  fs.rmdirSync(mnt);
});

async function pool(): Promise<any> {
  const r = await sb.api('POST', `${SHARE}/get`, { cluster_uuid: site.clusterUuid, tenant: site.tenants[0]!.uuid, pool_uuid: poolUuid });
  assert.equal(r.body.scode, 0);
  return r.body.data.pool;
}

async function check(): Promise<void> {
  const r = await sb.api('POST', `${SHARE}/status/check`, { cluster_uuid: site.clusterUuid, tenant: site.tenants[0]!.uuid, pool_uuid: poolUuid });
  assert.equal(r.body.scode, 0);
}

async function session<T>(fn: (ini: IscsiInitiator) => Promise<T>): Promise<T> {
  return withSession(t, 'iqn.2026-12.test:poolfig', [0, 1], fn);
}

test('8 MiB written through iSCSI raises Used by 8 MiB; the 32 MiB image counted what it holds', async () => {
  const before = await pool();
  assert.equal(before.AllocatedCapacity, 32 * MiB);
  assert.equal(before.VolumeTotalCount, 1);
  assert.ok(before.Used < MiB, `a fresh sparse image holds nothing: ${before.Used}`);
  const data = crypto.randomBytes(8 * MiB);
  await session(async (ini) => {
    const chunk = 256 * 1024;
    for (let off = 0; off < data.length; off += chunk) {
      const r = await ini.write10(1, off / 512, data.subarray(off, off + chunk));
      assert.equal(r.status, 0);
    }
    const back = await ini.read10(1, 2048, 512);
    assert.ok(back.data.equals(data.subarray(MiB, MiB + 256 * 1024)), 'reads back what it wrote');
  });
  const after = await pool();
  assert.ok(Math.abs(after.Used - before.Used - 8 * MiB) <= 4096, `Used grew by ${after.Used - before.Used}`);
  assert.equal(after.Capacity, before.Capacity, 'the file system did not change size');
  assert.equal(after.AllocatedCapacity, 32 * MiB, 'provisioned size is unchanged by writes');
});

test("the pool directory gone: offline on status/check, its LUN NOT READY, the other pool's LUN unharmed; back when it returns", async () => {
  const moved = path.join(mnt, 'moved-away');
  fs.renameSync(source, moved);
  await check();
  const gone = await pool();
  assert.equal(gone.Status, 'offline');
  assert.equal(gone.Capacity, 0);
  await session(async (ini) => {
    assert.equal(senseOf(await ini.read10(1, 0, 8)), '02/3a/00');
    assert.equal(senseOf(await ini.write10(1, 0, Buffer.alloc(4096, 1))), '02/3a/00');
    assert.equal((await ini.write10(0, 0, Buffer.alloc(4096, 7))).status, 0, "the default pool's LUN writes");
    assert.ok((await ini.read10(0, 0, 8)).data.equals(Buffer.alloc(4096, 7)));
  });
  // An extent cannot be made or grown in an offline pool: the threshold cannot be judged.
  const refused = await sb.api('POST', '/api/v1.0/services/iscsi/extent/', {
    iscsi_target_extent_type: 'File',
    iscsi_target_extent_name: 'fast1',
    iscsi_target_extent_filesize: '1MB',
    iscsi_target_extent_path: '/mnt/fast/fast1',
  });
  assert.equal(refused.status, 400);
  fs.renameSync(moved, source);
  await check();
  assert.equal((await pool()).Status, 'healthy');
  await session(async (ini) => {
    for (let i = 0; i < 50; i++) {
      if ((await ini.scsi(1, TUR)).status === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = await ini.read10(1, 0, 8);
    assert.equal(r.status, 0, 'the LUN is back');
  });
});

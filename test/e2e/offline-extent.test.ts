/**
 * A missing backing file is never recreated: the extent is offline, its LUN stays listed
 * and answers NOT READY / MEDIUM NOT PRESENT (02/3A/00), /api/status names what
 * is missing, and the LUN comes back with its data when the file (or the pool directory)
 * does, without a restart. A healthy LUN beside it keeps working throughout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { IscsiInitiator } from '../../src/initiator/client.js';
import { parseSense } from '../../src/scsi/sense.js';
import { FREENAS, startSanbox, tempDir, type TestSanbox } from '../support/sanbox.js';
import { freePort, iscsiUrl, run } from './peers.js';
import { post, provisionTarget, senseOf, withSession, type Provisioned } from './provision.js';

const TUR = Buffer.alloc(6);
const REQUEST_SENSE = Buffer.from([0x03, 0, 0, 0, 18, 0]);
const KEEP = 0x4b; // LUN 0, the healthy extent, LBA 0
const GONE = 0x47; // LUN 1, the extent that goes missing, LBA 10

function pattern(fill: number): Buffer {
  const b = Buffer.alloc(4096, fill);
  b.write('sanbox offline-extent test', 100);
  return b;
}

interface Setup {
  sb: TestSanbox;
  t: Provisioned;
  pool: string;
  image: string;
}

/** LUN 0 in the default pool, LUN 1 in pool "tank", each written with its pattern. */
async function setup(): Promise<Setup> {
  const pool = tempDir();
  // Offline extents are looked for every 100 ms here (2 s by default), to keep the test short.
  const sb = await startSanbox({ pools: { tank: pool }, ports: { mediumRecheckMs: 100 } });
  const t = await provisionTarget(sb, { port: await freePort(), name: 'keep', size: '4MB' });
  const extent = await post(sb, 'extent', {
    iscsi_target_extent_type: 'File',
    iscsi_target_extent_name: 'gone',
    iscsi_target_extent_filesize: '4MB',
    iscsi_target_extent_path: '/mnt/tank/gone.img',
  });
  await post(sb, 'targettoextent', { iscsi_target: t.targetId, iscsi_extent: extent.id });
  const image = path.join(pool, 'gone.img');
  assert.equal(fs.statSync(image).mode & 0o777, 0o600, 'the API creates images 0600');
  await session(t, async (ini) => {
    assert.equal((await ini.write10(0, 0, pattern(KEEP))).status, 0);
    assert.equal((await ini.write10(1, 10, pattern(GONE))).status, 0);
  });
  return { sb, t, pool, image };
}

async function session<T>(t: Provisioned, fn: (ini: IscsiInitiator) => Promise<T>): Promise<T> {
  return withSession(t, 'iqn.2026-12.test:offline', [0, 1], fn);
}

async function extentStatus(sb: TestSanbox, name: string): Promise<any> {
  const res = await sb.api('GET', '/api/status');
  assert.equal(res.status, 200);
  return res.body.extents.find((e: { name: string }) => e.name === name);
}

/** Polls TEST UNIT READY on LUN 1 until GOOD, collecting the sense seen on the way. */
async function untilReady(ini: IscsiInitiator, timeoutMs = 6000): Promise<string[]> {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await ini.scsi(1, TUR);
    if (r.status === 0) return seen;
    seen.push(senseOf(r));
    if (Date.now() > deadline) assert.fail(`LUN 1 not ready after ${timeoutMs} ms: ${seen.slice(-3).join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function assertOffline(ini: IscsiInitiator): Promise<void> {
  assert.deepEqual(await ini.reportLuns(), [0, 1], 'the offline LUN is still listed');
  const inq = await ini.inquiry(1);
  assert.equal(inq.status, 0, 'INQUIRY answers');
  assert.equal(inq.data[0]! & 0x1f, 0x00, 'a direct-access device');
  assert.equal(senseOf(await ini.scsi(1, TUR)), '02/3a/00');
  assert.equal(senseOf(await ini.read10(1, 10, 8)), '02/3a/00');
  assert.equal(senseOf(await ini.write10(1, 10, pattern(0x99))), '02/3a/00');
  const rs = await ini.scsi(1, REQUEST_SENSE, { readLength: 18 });
  assert.equal(rs.status, 0);
  const s = parseSense(rs.data);
  assert.deepEqual([s.key, s.asc, s.ascq], [0x02, 0x3a, 0x00], 'REQUEST SENSE reports the not-ready state');
  const keep = await ini.read10(0, 0, 8);
  assert.equal(keep.status, 0);
  assert.ok(keep.data.equals(pattern(KEEP)), 'the healthy LUN reads back what it wrote');
}

async function assertBack(ini: IscsiInitiator): Promise<void> {
  const seen = await untilReady(ini);
  assert.ok(seen.includes('06/28/00'), `NOT READY TO READY CHANGE on the way back (saw ${[...new Set(seen)].join(', ')})`);
  const back = await ini.read10(1, 10, 8);
  assert.equal(back.status, 0);
  assert.ok(back.data.equals(pattern(GONE)), 'the original bytes');
}

test('an image missing at start is not recreated: NOT READY 02/3A/00, named by /api/status, online again when it is back', async () => {
  const { sb, t, pool, image } = await setup();
  try {
    await sb.sanbox.close();
    const aside = path.join(path.dirname(pool), `${path.basename(pool)}-gone.img`);
    fs.renameSync(image, aside);
    await sb.start();

    assert.equal(fs.existsSync(image), false, 'the image is not recreated');
    const st = await extentStatus(sb, 'gone');
    assert.equal(st.state, 'offline');
    assert.equal(st.path, image);
    assert.equal(st.missing, image);
    assert.match(st.error, /^ENOENT/);
    assert.equal((await extentStatus(sb, 'keep')).state, 'online');

    // libiscsi's login accepts a LUN that is NOT READY only with MEDIUM NOT PRESENT: then
    // iscsi-inq connects and reads the INQUIRY data of the offline LUN.
    const inq = await run('iscsi-inq', [iscsiUrl(t.port, t.iqn, 1)]);
    assert.equal(inq.code, 0, inq.stderr);
    assert.match(inq.stdout, /Peripheral Device Type:DIRECT_ACCESS/);

    // A client PUTting back what it GETs does not recreate the file either; resizing waits for it.
    const got = await sb.api('GET', `${FREENAS}/extent/${st.id}/`);
    const { id: _id, ...body } = got.body;
    const same = await sb.api('PUT', `${FREENAS}/extent/${st.id}/`, { ...body, iscsi_target_extent_comment: 'offline' });
    assert.equal(same.status, 200, same.text);
    const grow = await sb.api('PUT', `${FREENAS}/extent/${st.id}/`, { iscsi_target_extent_filesize: '8MB' });
    assert.equal(grow.status, 400);
    assert.deepEqual(grow.body, { iscsi_target_extent_filesize: ['The file /mnt/tank/gone.img is missing: restore it before resizing the extent.'] });
    assert.equal(fs.existsSync(image), false, 'still not recreated');

    await session(t, async (ini) => {
      await assertOffline(ini);
      fs.renameSync(aside, image);
      await assertBack(ini);
    });
    assert.equal((await extentStatus(sb, 'gone')).state, 'online');
    assert.equal(fs.statSync(image).mode & 0o777, 0o600, 'the file is the one the API made');
  } finally {
    await sb.stop();
    fs.rmSync(pool, { recursive: true, force: true });
  }
});

test('a pool directory missing at start is not created, and a pool unmounted under a live LUN takes it offline', async () => {
  const { sb, t, pool, image } = await setup();
  const aside = `${pool}-unmounted`;
  try {
    await sb.sanbox.close();
    fs.renameSync(pool, aside);
    await sb.start();
    assert.equal(fs.existsSync(pool), false, 'the pool directory is not created');
    const st = await extentStatus(sb, 'gone');
    assert.equal(st.state, 'offline');
    assert.equal(st.missing, pool, 'names the missing pool directory');

    await session(t, async (ini) => {
      await assertOffline(ini);
      fs.renameSync(aside, pool);
      await assertBack(ini);

      // Gone under a live session: the next re-check stops serving the vanished inode.
      fs.renameSync(pool, aside);
      const deadline = Date.now() + 6000;
      while ((await ini.scsi(1, TUR)).status === 0) {
        assert.ok(Date.now() < deadline, 'LUN 1 still ready 6 s after its pool went away');
        await new Promise((r) => setTimeout(r, 100));
      }
      await assertOffline(ini);
      assert.equal((await extentStatus(sb, 'gone')).missing, pool);
      fs.renameSync(aside, pool);
      await assertBack(ini);
    });
    assert.equal(fs.existsSync(image), true);
  } finally {
    await sb.stop();
    fs.rmSync(pool, { recursive: true, force: true });
    fs.rmSync(aside, { recursive: true, force: true });
  }
});

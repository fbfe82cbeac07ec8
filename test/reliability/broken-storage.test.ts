/**
 * Storage that breaks under sanbox, each beside a healthy LUN in the default pool that
 * must keep reading back what it writes:
 *  - a pool whose file system is read-only (a tmpfs bind mount remounted read-only while
 *    sanbox is down: the kernel refuses to remount it under sanbox's open image, "mount
 *    point is busy"), and made writable again;
 *  - a pool whose file system fails every I/O with EIO (ext4 on a loop device, shut down
 *    with EXT4_IOC_SHUTDOWN, as after a disk failure or a journal abort);
 *  - a block device that answers EIO (a direct-I/O loop device whose backing file is cut
 *    to nothing: the loop driver fails reads it cannot fill; device-mapper's `error`
 *    target would be the usual tool, but this kernel has no device-mapper, /proc/misc
 *    lists no device-mapper and dmsetup finds no control device).
 * An image truncated under a live LUN is test/e2e/truncated-image.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { IscsiInitiator } from '../../src/initiator/client.js';
import { freePort } from '../e2e/peers.js';
import { post, provisionTarget, senseOf, withSession } from '../e2e/provision.js';
import { startSanbox, type TestSanbox } from '../support/sanbox.js';

const KiB = 1024;
const SYNC_CACHE_10 = Buffer.from([0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

function write10Fua(lba: number, blocks: number): Buffer {
  const cdb = Buffer.from([0x2a, 0x08, 0, 0, 0, 0, 0, 0, 0, 0]);
  cdb.writeUInt32BE(lba, 2);
  cdb.writeUInt16BE(blocks, 7);
  return cdb;
}

async function extentStates(sb: TestSanbox): Promise<Record<string, { state: string; missing: string | null; error: string | null }>> {
  const status = await sb.api('GET', '/api/status');
  return Object.fromEntries(status.body.extents.map((e: any) => [e.name, { state: e.state, missing: e.missing, error: e.error }]));
}

/** LUN 0 (the default pool) still writes and reads back. */
async function healthy(ini: IscsiInitiator): Promise<void> {
  const data = crypto.randomBytes(16 * KiB);
  assert.equal((await ini.write10(0, 64, data)).status, 0, 'the healthy LUN writes');
  assert.equal((await ini.scsi(0, SYNC_CACHE_10)).status, 0, 'and syncs');
  assert.ok((await ini.read10(0, 64, data.length / 512)).data.equals(data), 'and reads back');
}

const MODE_SENSE_6 = Buffer.from([0x1a, 0, 0x3f, 0, 255, 0]);

test('a read-only pool: its LUN reads, refuses writes with DATA PROTECT, says why in /api/status, and writes again once the pool is writable', async () => {
  const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-rofs-'));
  const view = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-roview-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mnt]);
  execFileSync('mount', ['--bind', mnt, view]);
  const sb = await startSanbox({ pools: { rofs: view }, ports: { mediumRecheckMs: 200 } });
  try {
    const t = await provisionTarget(sb, { port: await freePort(), name: 'keep', size: '4MB' });
    const extent = await post(sb, 'extent', {
      iscsi_target_extent_type: 'File',
      iscsi_target_extent_name: 'ro0',
      iscsi_target_extent_filesize: '4MB',
      iscsi_target_extent_path: '/mnt/rofs/ro0',
    });
    await post(sb, 'targettoextent', { iscsi_target: t.targetId, iscsi_extent: extent.id });
    const data = crypto.randomBytes(64 * KiB);
    await withSession(t, 'iqn.2026-12.test:ro', [0, 1], async (ini) => {
      assert.equal((await ini.write10(1, 0, data)).status, 0);
      assert.equal((await ini.scsi(1, SYNC_CACHE_10)).status, 0);
    });
    await sb.sanbox.close();
    execFileSync('mount', ['-o', 'remount,bind,ro', view]);
    await sb.start();
    const states = await extentStates(sb);
    assert.equal(states.keep!.state, 'online');
    assert.equal(states.ro0!.state, 'online', 'a read-only pool still serves reads');
    assert.match(states.ro0!.error ?? '', /^EROFS: .*served read-only/);
    await withSession(t, 'iqn.2026-12.test:ro', [0, 1], async (ini) => {
      const r = await ini.read10(1, 0, data.length / 512);
      assert.equal(r.status, 0);
      assert.ok(r.data.equals(data), 'what was written before reads back');
      assert.equal(senseOf(await ini.write10(1, 0, Buffer.alloc(4096, 1))), '07/27/00', 'DATA PROTECT / WRITE PROTECTED');
      const mode = await ini.scsi(1, MODE_SENSE_6, { readLength: 255 });
      assert.equal(mode.status, 0);
      assert.equal(mode.data[2]! & 0x80, 0x80, 'MODE SENSE sets WP');
      await healthy(ini);
    });
    execFileSync('mount', ['-o', 'remount,bind,rw', view]);
    await withSession(t, 'iqn.2026-12.test:ro', [0, 1], async (ini) => {
      let w = await ini.write10(1, 0, Buffer.alloc(4096, 1));
      for (let i = 0; i < 50 && w.status !== 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        w = await ini.write10(1, 0, Buffer.alloc(4096, 1));
      }
      assert.equal(w.status, 0, 'writable again within the re-check');
      assert.ok((await ini.read10(1, 0, 8)).data.equals(Buffer.alloc(4096, 1)));
    });
    assert.equal((await extentStates(sb)).ro0!.error, null);
  } finally {
    await sb.stop();
    execFileSync('umount', [view]);
    execFileSync('umount', [mnt]);
    fs.rmdirSync(view);
    fs.rmdirSync(mnt);
  }
});

/** EXT4_IOC_SHUTDOWN with EXT4_GOING_FLAGS_NOLOGFLUSH: every later I/O on the file system fails with EIO. */
function shutDown(dir: string): void {
  const py = 'import fcntl, os, struct, sys\nfd = os.open(sys.argv[1], os.O_RDONLY)\nfcntl.ioctl(fd, 0x8004587d, struct.pack("I", 2))';
  execFileSync('python3', ['-c', py, dir]);
}

test('a pool whose file system fails with EIO: MEDIUM ERROR on reads and writes, then offline in /api/status; the other LUN is untouched', async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-eiofs-'));
  const image = path.join(work, 'fs.img');
  const mnt = path.join(work, 'mnt');
  fs.mkdirSync(mnt);
  fs.writeFileSync(image, '');
  fs.truncateSync(image, 64 * 1024 * KiB);
  execFileSync('mkfs.ext4', ['-q', '-F', image]);
  execFileSync('mount', ['-o', 'loop', image, mnt]);
  // No periodic re-check: the I/O itself must answer before the data plane notices.
  const sb = await startSanbox({ pools: { sick: mnt }, ports: { mediumRecheckMs: 3_600_000 } });
  try {
    const t = await provisionTarget(sb, { port: await freePort(), name: 'keep', size: '4MB' });
    const extent = await post(sb, 'extent', {
      iscsi_target_extent_type: 'File',
      iscsi_target_extent_name: 'sick0',
      iscsi_target_extent_filesize: '8MB',
      iscsi_target_extent_path: '/mnt/sick/sick0',
    });
    await post(sb, 'targettoextent', { iscsi_target: t.targetId, iscsi_extent: extent.id });
    await withSession(t, 'iqn.2026-12.test:eiofs', [0, 1], async (ini) => {
      assert.equal((await ini.write10(1, 0, crypto.randomBytes(64 * KiB))).status, 0);
      shutDown(mnt);
      assert.equal(senseOf(await ini.read10(1, 0, 8)), '03/11/00', 'MEDIUM ERROR / UNRECOVERED READ ERROR');
      assert.equal(senseOf(await ini.write10(1, 1024, Buffer.alloc(4096, 5))), '03/0c/00', 'MEDIUM ERROR / WRITE ERROR');
      assert.equal(senseOf(await ini.scsi(1, write10Fua(1032, 8), { dataOut: Buffer.alloc(4096, 6) })), '03/0c/00', 'a FUA write too');
      assert.equal(senseOf(await ini.scsi(1, SYNC_CACHE_10)), '03/0c/00', 'SYNCHRONIZE CACHE cannot make anything durable');
      await healthy(ini);
      // The next reconcile (here: a configuration change) re-checks the medium: offline.
      await post(sb, 'portal', { iscsi_target_portal_ips: [`127.0.0.1:${await freePort()}`] });
      const states = await extentStates(sb);
      assert.equal(states.keep!.state, 'online');
      assert.equal(states.sick0!.state, 'offline');
      assert.match(states.sick0!.error ?? '', /^EIO/);
      assert.equal(senseOf(await ini.read10(1, 0, 8)), '02/3a/00', 'then NOT READY / MEDIUM NOT PRESENT');
      await healthy(ini);
    });
  } finally {
    await sb.stop();
    execFileSync('umount', [mnt]);
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('a block device that answers EIO: MEDIUM ERROR for the blocks it cannot read, GOOD again once they are written; the other LUN is untouched', async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-eio-'));
  const backing = path.join(work, 'disk.img');
  fs.writeFileSync(backing, '');
  fs.truncateSync(backing, 8 * 1024 * KiB);
  const loop = execFileSync('losetup', ['-f', '--show', '--direct-io=on', backing], { encoding: 'utf8' }).trim();
  const sb = await startSanbox({ ports: { mediumRecheckMs: 200 } });
  try {
    const t = await provisionTarget(sb, { port: await freePort(), name: 'keep', size: '4MB' });
    const extent = await post(sb, 'extent', { iscsi_target_extent_type: 'Device', iscsi_target_extent_name: 'eio0', iscsi_target_extent_path: loop });
    await post(sb, 'targettoextent', { iscsi_target: t.targetId, iscsi_extent: extent.id });
    await withSession(t, 'iqn.2026-12.test:eio', [0, 1], async (ini) => {
      assert.equal((await ini.write10(1, 0, crypto.randomBytes(64 * KiB))).status, 0);
      assert.equal((await ini.scsi(1, SYNC_CACHE_10)).status, 0);
      // The device loses what is behind it: a direct-I/O loop device fails the reads it
      // cannot fill from its (now empty) backing file with EIO.
      fs.truncateSync(backing, 0);
      const bad = await ini.read10(1, 4096, 8);
      assert.equal(senseOf(bad), '03/11/00', 'MEDIUM ERROR / UNRECOVERED READ ERROR');
      assert.equal((await ini.scsi(1, write10Fua(4096, 8), { dataOut: Buffer.alloc(4096, 2) })).status, 0, 'a write to the failed block');
      const fixed = await ini.read10(1, 4096, 8);
      assert.equal(fixed.status, 0);
      assert.ok(fixed.data.equals(Buffer.alloc(4096, 2)), 'reads back what was written over it');
      const states = await extentStates(sb);
      assert.deepEqual([states.keep!.state, states.eio0!.state], ['online', 'online'], 'a device with unreadable blocks is still there: its LUN stays online');
      await healthy(ini);
    });
  } finally {
    await sb.stop();
    execFileSync('losetup', ['-d', loop]);
    fs.rmSync(work, { recursive: true, force: true });
  }
});

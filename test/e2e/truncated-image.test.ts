/**
 * An image truncated under a live LUN: the read that runs into the missing bytes gets
 * MEDIUM ERROR / UNRECOVERED READ ERROR (03/11/00) with the first missing LBA in the
 * INFORMATION field, never zeros with GOOD; the LU then reports the smaller capacity
 * (CAPACITY DATA HAS CHANGED) and refuses I/O past it; growing the extent back through the
 * API brings the capacity back. The LUN stays online in /api/status, and another LUN of
 * the same target reads and writes on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { IscsiInitiator } from '../../src/initiator/client.js';
import { parseSense } from '../../src/scsi/sense.js';
import { startSanbox } from '../support/sanbox.js';
import { freePort } from './peers.js';
import { post, provisionTarget, put } from './provision.js';

const TUR = Buffer.alloc(6);
const READ_CAPACITY_10 = Buffer.from([0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

function sense(r: { status: number; sense: Buffer | null }): { code: string; information?: number } {
  assert.equal(r.status, 2, 'CHECK CONDITION');
  const s = parseSense(r.sense!);
  return { code: [s.key, s.asc, s.ascq].map((n) => n.toString(16).padStart(2, '0')).join('/'), information: s.information };
}

test('reading past the end of an image truncated under a live session: MEDIUM ERROR at the first missing LBA, then the smaller capacity', async () => {
  // No periodic re-check during the test: the read itself must notice the shrink.
  const sb = await startSanbox({ ports: { mediumRecheckMs: 3_600_000 } });
  try {
    const t = await provisionTarget(sb, { port: await freePort(), size: '4MB' });
    const other = await post(sb, 'extent', {
      iscsi_target_extent_type: 'File',
      iscsi_target_extent_name: 'other',
      iscsi_target_extent_filesize: '1MB',
      iscsi_target_extent_path: `${path.dirname(t.extentPath)}/other.img`,
    });
    await post(sb, 'targettoextent', { iscsi_target: t.targetId, iscsi_extent: other.id });
    const session = await IscsiInitiator.connect('127.0.0.1', t.port);
    try {
      await session.login({ initiatorName: 'iqn.2026-12.test:truncate', targetName: t.iqn });
      await session.scsi(0, TUR); // POWER ON OCCURRED
      const data = Buffer.alloc(8 * 512, 0x5d);
      assert.equal((await session.write10(0, 96, data)).status, 0);

      // The file now ends half way into LBA 100.
      fs.truncateSync(t.extentPath, 100 * 512 + 256);
      const past = await session.read10(0, 96, 8);
      assert.deepEqual(sense(past), { code: '03/11/00', information: 100 });
      assert.equal(past.data.length, 0, 'no data with the error');

      assert.equal(sense(await session.scsi(0, READ_CAPACITY_10, { readLength: 8 })).code, '06/2a/09', 'CAPACITY DATA HAS CHANGED');
      assert.deepEqual(await session.readCapacity10(0), { lastLba: 99, blockSize: 512 });
      assert.equal(sense(await session.read10(0, 100, 1)).code, '05/21/00', 'LBA OUT OF RANGE past the new end');
      assert.equal(sense(await session.write10(0, 100, Buffer.alloc(512, 1))).code, '05/21/00', 'writes past it too');
      assert.equal(fs.statSync(t.extentPath).size, 100 * 512 + 256, 'the refused write did not extend the file');
      const before = await session.read10(0, 96, 4);
      assert.equal(before.status, 0);
      assert.ok(before.data.equals(data.subarray(0, 4 * 512)), 'what is still there reads back');

      // The LUN stays online at its smaller size, and another LUN of the target is untouched.
      const status = await sb.api('GET', '/api/status');
      assert.deepEqual(
        status.body.extents.map((e: { name: string; state: string; error: string | null }) => [e.name, e.state, e.error]),
        [
          ['disk0', 'online', null],
          ['other', 'online', null],
        ],
      );
      await session.scsi(1, TUR); // POWER ON OCCURRED for LUN 1
      const other = Buffer.alloc(16 * 512, 0x3c);
      assert.equal((await session.write10(1, 0, other)).status, 0);
      assert.ok((await session.read10(1, 0, 16)).data.equals(other), 'the other LUN reads back what it wrote');

      // Growing the extent back through the API restores the capacity (the cut bytes read as zeros).
      await put(sb, 'extent', t.extentId, { iscsi_target_extent_filesize: '4MB' });
      assert.equal(sense(await session.scsi(0, TUR)).code, '06/2a/09');
      assert.deepEqual(await session.readCapacity10(0), { lastLba: 4 * 2048 - 1, blockSize: 512 });
      const regrown = await session.read10(0, 96, 8);
      assert.equal(regrown.status, 0);
      const kept = 4 * 512 + 256;
      assert.ok(regrown.data.subarray(0, kept).equals(data.subarray(0, kept)));
      assert.ok(regrown.data.subarray(kept).equals(Buffer.alloc(data.length - kept)));
    } finally {
      session.socket.destroy();
    }
  } finally {
    await sb.stop();
  }
});

test("an image resized behind sanbox's back changes the capacity at the next re-check, with CAPACITY DATA HAS CHANGED", async () => {
  const sb = await startSanbox({ ports: { mediumRecheckMs: 100 } });
  try {
    const t = await provisionTarget(sb, { port: await freePort(), size: '4MB' });
    const session = await IscsiInitiator.connect('127.0.0.1', t.port);
    try {
      await session.login({ initiatorName: 'iqn.2026-12.test:resize', targetName: t.iqn });
      await session.scsi(0, TUR); // POWER ON OCCURRED
      for (const size of [8 * 1024 * 1024, 1024 * 1024]) {
        fs.truncateSync(t.extentPath, size);
        const deadline = Date.now() + 3000;
        let r = await session.scsi(0, TUR);
        while (r.status === 0 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          r = await session.scsi(0, TUR);
        }
        assert.equal(sense(r).code, '06/2a/09', `noticed the file at ${size} bytes`);
        assert.deepEqual(await session.readCapacity10(0), { lastLba: size / 512 - 1, blockSize: 512 });
      }
    } finally {
      session.socket.destroy();
    }
  } finally {
    await sb.stop();
  }
});

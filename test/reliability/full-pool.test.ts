/**
 * A pool whose file system fills up under a live LUN (a tmpfs, shrunk under the image with
 * `mount -o remount,size=`): the write that does not fit gets DATA PROTECT / SPACE
 * ALLOCATION FAILED WRITE PROTECT (07/27/07), what was written before reads back, a LUN in
 * another pool writes on, and after UNMAP gives blocks back the same write succeeds.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { unmapCommand } from '../../src/initiator/cdbs.js';
import { freePort } from '../e2e/peers.js';
import { post, provisionTarget, senseOf, withSession } from '../e2e/provision.js';
import { startSanbox } from '../support/sanbox.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const CHUNK = 256 * KiB;

test('a full pool: 07/27/07 for the write that does not fit, other pools untouched, writes again after UNMAP', async () => {
  const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mnt]);
  const sb = await startSanbox({ pools: { tiny: mnt } });
  try {
    const t = await provisionTarget(sb, { port: await freePort(), name: 'full', size: '4MB' });
    const extent = await post(sb, 'extent', {
      iscsi_target_extent_type: 'File',
      iscsi_target_extent_name: 'tiny0',
      iscsi_target_extent_filesize: '12MB',
      iscsi_target_extent_path: '/mnt/tiny/tiny0',
    });
    await post(sb, 'targettoextent', { iscsi_target: t.targetId, iscsi_extent: extent.id });
    // The sparse image holds nothing yet: the file system can shrink to 2 MiB under it.
    execFileSync('mount', ['-o', 'remount,size=2m', mnt]);

    await withSession(t, 'iqn.2026-12.test:full', [0, 1], async (ini) => {
      const written: Buffer[] = [];
      let refused: { status: number; sense: Buffer | null } | null = null;
      for (let off = 0; off < 12 * MiB; off += CHUNK) {
        const data = crypto.randomBytes(CHUNK);
        const r = await ini.write10(1, off / 512, data);
        if (r.status !== 0) {
          refused = r;
          break;
        }
        written.push(data);
      }
      assert.ok(refused, 'a 2 MiB file system cannot take 12 MiB');
      assert.equal(senseOf(refused), '07/27/07', 'SPACE ALLOCATION FAILED WRITE PROTECT');
      const failedAt = written.length * CHUNK;
      console.log(`full pool: ${written.length} writes of 256 KiB fitted (${failedAt / MiB} MiB) before 07/27/07`);
      assert.ok(failedAt >= MiB && failedAt <= 2 * MiB, `the refusal came when the file system was full (${failedAt} bytes written)`);

      for (let i = 0; i < written.length; i++) {
        const back = await ini.read10(1, (i * CHUNK) / 512, CHUNK / 512);
        assert.equal(back.status, 0);
        assert.ok(back.data.equals(written[i]!), `chunk ${i}, written before the pool filled, reads back`);
      }
      const other = crypto.randomBytes(64 * KiB);
      assert.equal((await ini.write10(0, 0, other)).status, 0, "the default pool's LUN still writes");
      assert.ok((await ini.read10(0, 0, other.length / 512)).data.equals(other));
      const status = await sb.api('GET', '/api/status');
      const states = Object.fromEntries(status.body.extents.map((e: { name: string; state: string }) => [e.name, e.state]));
      assert.deepEqual(states, { full: 'online', tiny0: 'online' }, 'a full pool is not an offline LUN');

      // UNMAP the first MiB: tmpfs gets the pages back, and the refused write fits.
      const { cdb, parameters } = unmapCommand(0, MiB / 512);
      assert.equal((await ini.scsi(1, cdb, { dataOut: parameters })).status, 0);
      const retry = crypto.randomBytes(CHUNK);
      assert.equal((await ini.write10(1, failedAt / 512, retry)).status, 0, 'the refused write succeeds once UNMAP freed space');
      assert.ok((await ini.read10(1, failedAt / 512, CHUNK / 512)).data.equals(retry));
      assert.ok((await ini.read10(1, 0, 8)).data.equals(Buffer.alloc(4096)), 'unmapped blocks read as zeros');
    });
  } finally {
    await sb.stop();
    execFileSync('umount', [mnt]);
    fs.rmdirSync(mnt);
  }
});

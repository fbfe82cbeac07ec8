/**
 * QEMU's iSCSI driver (libiscsi underneath) moves a 64 MiB random image into a LUN and back,
 * byte-identical, also after sanbox restarts; qemu-img bench at depth 32 completes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSanbox, type TestSanbox } from '../support/sanbox.js';
import { freePort, iscsiUrl, run } from './peers.js';
import { provisionTarget, type Provisioned } from './provision.js';

let sb: TestSanbox;
let t: Provisioned;
let work: string;
const SIZE = 64 * 1024 * 1024;

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-qemu-'));
  sb = await startSanbox();
  t = await provisionTarget(sb, { port: await freePort(), size: '64MB' });
});
after(async () => {
  await sb.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

test('qemu-img convert in and out is byte-identical, also after a restart', async () => {
  const src = path.join(work, 'random.img');
  fs.writeFileSync(src, crypto.randomBytes(SIZE));
  const url = iscsiUrl(t.port, t.iqn, 0);
  const into = await run('qemu-img', ['convert', '-n', '-f', 'raw', '-O', 'raw', src, url], { timeoutMs: 120_000 });
  assert.equal(into.code, 0, into.stderr);

  const back = path.join(work, 'back.img');
  const out = await run('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', url, back], { timeoutMs: 120_000 });
  assert.equal(out.code, 0, out.stderr);
  assert.equal(sha256(back), sha256(src));
  // The image file itself holds the bytes (nothing lives only in a cache).
  assert.equal(sha256(t.extentPath), sha256(src));

  await sb.restart();
  const again = path.join(work, 'again.img');
  const out2 = await run('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', url, again], { timeoutMs: 120_000 });
  assert.equal(out2.code, 0, out2.stderr);
  assert.equal(sha256(again), sha256(src));
});

test('qemu-img bench at depth 32 completes reads and writes without error', async () => {
  const url = iscsiUrl(t.port, t.iqn, 0);
  for (const mode of [[], ['-w']]) {
    const res = await run('qemu-img', ['bench', '-f', 'raw', '-t', 'none', '-c', '20000', '-d', '32', '-s', '4096', ...mode, url], { timeoutMs: 120_000 });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /Run completed in [\d.]+ seconds/);
  }
  // 128 KiB sequential at depth 8 too: large transfers go through R2T and several Data-In PDUs.
  const seq = await run('qemu-img', ['bench', '-f', 'raw', '-t', 'none', '-c', '500', '-d', '8', '-s', '131072', '-S', '131072', '-w', url], {
    timeoutMs: 120_000,
  });
  assert.equal(seq.code, 0, seq.stderr);
});

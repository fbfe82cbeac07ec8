/**
 * A real peer through a cut: qemu-img (libiscsi) copies an 8 MiB image to a sanbox LUN
 * through the proxy, which cuts the connection inside the 20th Data-Out PDU. libiscsi
 * logs in again (sanbox must take the new login while the old session is still being
 * torn down), is told of the new nexus by a unit attention, re-sends what was in
 * flight, and the copy completes: the LUN then holds exactly the image, and no session
 * is left once qemu-img exits.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startSanbox, tempDir, type TestSanbox } from '../support/sanbox.js';
import { freePort, iscsiUrl, run } from '../e2e/peers.js';
import { provisionTarget, type Provisioned } from '../e2e/provision.js';
import { FaultProxy } from './support/net-proxy.js';
import { sessions } from './support/net-scsi.js';

let sb: TestSanbox;
let t: Provisioned;
let proxy: FaultProxy;
let dir: string;

before(async () => {
  sb = await startSanbox();
  t = await provisionTarget(sb, { port: await freePort(), size: '8MB' });
  proxy = await FaultProxy.start(t.port);
  dir = tempDir('sanbox-qemu-cut-');
});
after(async () => {
  await proxy.close();
  await sb.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('qemu-img convert survives a connection cut inside a Data-Out: it reconnects and the LUN holds the image', { timeout: 60_000 }, async () => {
  const image = path.join(dir, 'src.raw');
  const bytes = Buffer.alloc(8 << 20);
  for (let i = 0; i < bytes.length; i += 4) bytes.writeUInt32LE((i * 2654435761) >>> 0, i);
  fs.writeFileSync(image, bytes);

  proxy.arm({ dir: 'up', opcode: 0x05, nth: 20, at: 3000, action: 'cut' });
  const t0 = Date.now();
  const copy = await run('qemu-img', ['convert', '-n', '-f', 'raw', '-O', 'raw', image, iscsiUrl(proxy.port, t.iqn, 0)], { timeoutMs: 30_000 });
  const ms = Date.now() - t0;
  assert.equal(copy.code, 0, copy.stderr);
  assert.equal(proxy.faults, 1, 'the cut happened');
  assert.ok(proxy.accepted >= 2, 'libiscsi logged in again');
  console.log(
    `# qemu-img convert of 8 MiB with its connection cut in a Data-Out: ${ms} ms, ${proxy.accepted} logins; it said: ${copy.stderr.trim() || '(nothing)'}`,
  );
  // libiscsi logs in again under a new ISID: a new I_T nexus, told POWER ON, RESET (29/00),
  // which qemu-img prints and retries past.

  // What the LUN holds, read over a session of its own, not through the proxy.
  const back = path.join(dir, 'back.raw');
  const read = await run('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', iscsiUrl(t.port, t.iqn, 0), back], { timeoutMs: 30_000 });
  assert.equal(read.code, 0, read.stderr);
  assert.ok(fs.readFileSync(back).equals(bytes), 'the LUN holds exactly the image');

  const deadline = Date.now() + 2000;
  while ((await sessions(sb)).length > 0) {
    assert.ok(Date.now() < deadline, `sessions left: ${JSON.stringify(await sessions(sb))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
});

/**
 * RemoteLun against sanbox's own target through a cable the test can pull: I/O split by
 * the negotiated burst and sent several at a time, discard, and what happens to I/O in
 * flight when the connection is lost (sent again on the next session, writes to the same
 * blocks in order), while it stays lost (EIO after the bound) and when it hangs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { openBackstore } from '../../src/backstore/open.js';
import type { Backstore } from '../../src/backstore/backstore.js';
import type { TransportHealth } from '../../src/backstore/transport.js';
import { RemoteLun, type RemoteLunOptions } from '../../src/initiator/remote-lun.js';
import { RemoteLoginError } from '../../src/initiator/remote-errors.js';
import { createLogicalUnit } from '../../src/scsi/logical-unit.js';
import type { ItNexus, LogicalUnit, ScsiCommand, ScsiResult } from '../../src/scsi/types.js';
import type { Backstore as Medium } from '../../src/backstore/backstore.js';
import { buildFixedSense } from '../../src/scsi/sense.js';
import { ScriptedLu, TestCatalog, globals, startTarget, type Running } from '../iscsi/harness.js';
import { Cable } from './cable.js';

const MiB = 1024 * 1024;
const TARGET = 'iqn.2026-11.test.sanbox:remote';
const CHAP_TARGET = 'iqn.2026-11.test.sanbox:remote-chap';
const INI = 'iqn.2026-11.test.sanbox:pool';

/** The LU behind the target, watched: commands at once, and the order WRITEs ran in. */
class WatchedLu implements LogicalUnit {
  inflight = 0;
  mostInflight = 0;
  delayMs = 0;
  /** The next WRITE is held this long (a target that stops answering). */
  holdNextWriteMs = 0;
  /** First byte of each WRITE's data, in the order the LU ran them. */
  readonly writes: number[] = [];
  constructor(readonly inner: LogicalUnit) {}
  async execute(cmd: ScsiCommand): Promise<ScsiResult> {
    this.inflight++;
    this.mostInflight = Math.max(this.mostInflight, this.inflight);
    try {
      const isWrite = cmd.cdb[0] === 0x2a || cmd.cdb[0] === 0x8a;
      if (isWrite && this.holdNextWriteMs) {
        const ms = this.holdNextWriteMs;
        this.holdNextWriteMs = 0;
        await sleep(ms);
      }
      if (this.delayMs) await sleep(this.delayMs);
      if (isWrite && cmd.dataOut) this.writes.push(cmd.dataOut[0]!);
      return await this.inner.execute(cmd);
    } finally {
      this.inflight--;
    }
  }
  abortTasks(nexus: ItNexus | undefined, taskTag?: number): number {
    return this.inner.abortTasks(nexus, taskTag);
  }
  abortsSettled(): Promise<void> {
    return this.inner.abortsSettled();
  }
  reset(by: ItNexus): void {
    this.inner.reset(by);
  }
  nexusGone(nexus: ItNexus): void {
    this.inner.nexusGone(nexus);
  }
  capacityChanged(sizeBytes?: number): Promise<void> {
    return this.inner.capacityChanged(sizeBytes);
  }
  changeMedium(b: Medium | null): Promise<void> {
    return this.inner.changeMedium(b);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** An old array: no READ CAPACITY(16), no VPD pages, 8 MiB of 4096-byte blocks. */
const OLD_ARRAY = new ScriptedLu((cmd) => {
  const illegal = { status: 0x02, sense: buildFixedSense(0x5, 0x20, 0x00) };
  if (cmd.cdb[0] === 0x00) return { status: 0x00 };
  if (cmd.cdb[0] === 0x25) return { status: 0x00, data: Buffer.from('000007ff00001000', 'hex') };
  return illegal;
});

let run: Running;
let medium: Backstore;
let lu: WatchedLu;
let thinMedium: Backstore;
let hugeMedium: Backstore;
const TiB = 1024 * 1024 * MiB;

async function luOver(backstore: Backstore, thin: boolean, serial: string): Promise<LogicalUnit> {
  return createLogicalUnit({
    serial,
    naa: '6001405a1b2c3d4f',
    vendor: 'SANBOX',
    product: 'ARRAY',
    revision: '0001',
    blockSize: 512,
    readOnly: false,
    rotationRate: 1,
    thin,
    backstore,
  });
}

before(async () => {
  medium = await openBackstore({ kind: 'memory', sizeBytes: 64 * MiB });
  thinMedium = await openBackstore({ kind: 'memory', sizeBytes: 16 * MiB });
  hugeMedium = await openBackstore({ kind: 'memory', sizeBytes: 3 * TiB });
  lu = new WatchedLu(await luOver(medium, false, 'REMOTE01'));
  const catalog = new TestCatalog(globals());
  catalog.add({
    name: TARGET,
    luns: new Map<number, LogicalUnit>([
      [0, lu],
      [1, await luOver(thinMedium, true, 'REMOTE02')],
      [2, await luOver(hugeMedium, false, 'REMOTE04')],
      [3, OLD_ARRAY],
    ]),
  });
  catalog.add({
    name: CHAP_TARGET,
    auth: { method: 'CHAP', credentials: [{ user: 'pool', secret: 'pool-secret-0001', peerUser: '', peerSecret: '' }] },
    luns: new Map<number, LogicalUnit>([[0, await luOver(await openBackstore({ kind: 'memory', sizeBytes: MiB }), false, 'REMOTE03')]]),
  });
  run = await startTarget(catalog);
});
after(async () => {
  await run.stop();
});

function options(port: number, over: Partial<RemoteLunOptions> = {}): RemoteLunOptions {
  return { address: '127.0.0.1', port, targetName: TARGET, lun: 0, initiatorName: INI, backoffFirstMs: 50, backoffMaxMs: 200, ...over };
}

function states(r: RemoteLun): TransportHealth['state'][] {
  const seen: TransportHealth['state'][] = [];
  r.onHealthChange((h) => seen.push(h.state));
  return seen;
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(10);
  }
}

test('capacity and block size from the LUN; large I/O is split by the burst and sent several at a time', async () => {
  const r = await RemoteLun.open(options(run.port));
  try {
    assert.equal(r.blockSize, 512);
    assert.equal(r.sizeBytes, 64 * MiB);
    assert.equal(await r.capacity(), 64 * MiB);
    assert.equal(r.health().state, 'connected');
    lu.mostInflight = 0;
    lu.delayMs = 5;
    const data = randomBytes(4 * MiB);
    await r.write(data, 8 * MiB, false);
    const direct = Buffer.alloc(data.length);
    await medium.read(direct, 8 * MiB);
    assert.ok(direct.equals(data), "the bytes are on the target's medium");
    const back = Buffer.alloc(data.length);
    await r.read(back, 8 * MiB);
    assert.ok(back.equals(data));
    // 4 MiB in bursts of at most 1 MiB (the target takes 256 KiB): several commands at once.
    assert.ok(lu.mostInflight >= 4, `${lu.mostInflight} commands at once`);
    await r.write(data.subarray(0, 4096), 0, true);
    await r.flush();
    await assert.rejects(r.read(Buffer.alloc(1024), 64 * MiB - 512), { code: 'EINVAL' });
    await assert.rejects(r.read(Buffer.alloc(100), 0), { code: 'EINVAL' });
  } finally {
    lu.delayMs = 0;
    await r.close();
  }
  await assert.rejects(r.read(Buffer.alloc(512), 0), { code: 'EBADF' });
});

test('past 2 TiB: READ(16) and WRITE(16) reach the right bytes', async () => {
  const r = await RemoteLun.open(options(run.port, { lun: 2 }));
  try {
    assert.equal(r.sizeBytes, 3 * TiB);
    const at = 2.5 * TiB;
    const data = randomBytes(MiB + 4096);
    await r.write(data, at, true);
    const direct = Buffer.alloc(data.length);
    await hugeMedium.read(direct, at);
    assert.ok(direct.equals(data));
    const back = Buffer.alloc(data.length);
    await r.read(back, at);
    assert.ok(back.equals(data));
  } finally {
    await r.close();
  }
});

test('an array without READ CAPACITY(16) is sized with READ CAPACITY(10)', async () => {
  const r = await RemoteLun.open(options(run.port, { lun: 3 }));
  try {
    assert.equal(r.blockSize, 4096);
    assert.equal(r.sizeBytes, 8 * MiB);
    assert.equal(await r.capacity(), 8 * MiB);
    assert.deepEqual(
      OLD_ARRAY.seen.map((c) => c.cdb[0]),
      [0x00, 0x9e, 0x25, 0x12, 0x9e, 0x25],
    );
    assert.equal(await r.discard(0, 4096), false);
  } finally {
    await r.close();
  }
});

test('discard: UNMAP on a thin LUN that reads zeros after it; false on a thick one', async () => {
  const thin = await RemoteLun.open(options(run.port, { lun: 1 }));
  const thick = await RemoteLun.open(options(run.port));
  try {
    await thin.write(Buffer.alloc(MiB, 0xee), MiB, false);
    assert.equal(await thin.discard(MiB, MiB), true);
    const back = Buffer.alloc(MiB, 1);
    await thinMedium.read(back, MiB);
    assert.ok(back.every((b) => b === 0));
    assert.equal(await thick.discard(0, MiB), false);
  } finally {
    await thin.close();
    await thick.close();
  }
});

test('the cable is pulled with writes in flight: reconnecting, then connected, and every write lands, in order', async () => {
  const cable = await Cable.to(run.port);
  const r = await RemoteLun.open(options(cable.port));
  const seen = states(r);
  try {
    lu.delayMs = 100;
    lu.writes.length = 0;
    const at = 20 * MiB;
    const first = Buffer.alloc(64 * 1024, 0xa1);
    const second = Buffer.alloc(64 * 1024, 0xb2);
    const other = randomBytes(256 * 1024);
    const pending = [r.write(first, at, false), r.write(second, at, false), r.write(other, at + MiB, false)];
    await until(() => lu.inflight > 0);
    await cable.pull();
    await until(() => r.health().state === 'reconnecting');
    const readDuring = Buffer.alloc(other.length);
    const reading = r.read(readDuring, at + MiB);
    await sleep(300);
    assert.equal(r.health().state, 'reconnecting');
    await cable.plug();
    await Promise.all([...pending, reading]);
    assert.equal(r.health().state, 'connected');
    assert.deepEqual(seen, ['reconnecting', 'connected']);
    const back = Buffer.alloc(first.length);
    await medium.read(back, at);
    assert.ok(back.equals(second), 'the later write wins');
    // The second write never ran before the first was answered, nor the first after it.
    const order = lu.writes.filter((b) => b === 0xa1 || b === 0xb2);
    assert.equal(order.at(-1), 0xb2);
    assert.ok(!order.slice(order.indexOf(0xb2)).includes(0xa1), `order ${order.map((b) => b.toString(16))}`);
    const direct = Buffer.alloc(other.length);
    await medium.read(direct, at + MiB);
    assert.ok(direct.equals(other));
    assert.ok(readDuring.equals(other), 'a read issued during the outage completes with the bytes');
    assert.ok(cable.accepted >= 2);
  } finally {
    lu.delayMs = 0;
    await r.close();
    await cable.close();
  }
});

test('away longer than the bound: I/O fails with EIO, health is unreachable; it comes back when the target does', async () => {
  const cable = await Cable.to(run.port);
  const r = await RemoteLun.open(options(cable.port, { unreachableAfterMs: 600 }));
  const seen = states(r);
  try {
    await cable.pull();
    const t0 = Date.now();
    const failed = await r.read(Buffer.alloc(4096), 0).then(
      () => null,
      (e: NodeJS.ErrnoException) => e,
    );
    const waited = Date.now() - t0;
    assert.equal(failed?.code, 'EIO');
    assert.match(failed!.message, /unreachable since .*ECONNREFUSED|unreachable since .*connection/);
    assert.ok(waited >= 400 && waited < 3000, `failed after ${waited} ms`);
    assert.equal(r.health().state, 'unreachable');
    assert.ok(r.health().lastError);
    // From now on at once, not after another bound.
    const t1 = Date.now();
    await assert.rejects(r.write(Buffer.alloc(512), 0, false), { code: 'EIO' });
    assert.ok(Date.now() - t1 < 100);
    await cable.plug();
    await until(() => r.health().state === 'connected');
    await r.write(Buffer.alloc(512, 7), 0, false);
    assert.deepEqual(seen, ['reconnecting', 'unreachable', 'connected']);
  } finally {
    await r.close();
    await cable.close();
  }
});

test('a connection that stops carrying bytes is noticed by the ping, and its I/O sent again', async () => {
  const cable = await Cable.to(run.port);
  const r = await RemoteLun.open(options(cable.port, { answerTimeoutMs: 400, pingIntervalMs: 100 }));
  const seen = states(r);
  try {
    cable.freeze();
    const data = randomBytes(8192);
    await r.write(data, 30 * MiB, false);
    const direct = Buffer.alloc(data.length);
    await medium.read(direct, 30 * MiB);
    assert.ok(direct.equals(data));
    assert.deepEqual(seen, ['reconnecting', 'connected']);
  } finally {
    await r.close();
    await cable.close();
  }
});

test('a command left unanswered is sent again on a new connection', async () => {
  const r = await RemoteLun.open(options(run.port, { answerTimeoutMs: 300, pingIntervalMs: 60_000 }));
  const seen = states(r);
  try {
    lu.holdNextWriteMs = 1000;
    const data = randomBytes(4096);
    await r.write(data, 31 * MiB, false);
    const direct = Buffer.alloc(data.length);
    await medium.read(direct, 31 * MiB);
    assert.ok(direct.equals(data));
    assert.deepEqual(seen, ['reconnecting', 'connected']);
  } finally {
    lu.holdNextWriteMs = 0;
    await r.close();
  }
});

test('CHAP: the right secret logs in; a wrong one is a clear EACCES naming the target, not the secret', async () => {
  const ok = await RemoteLun.open(options(run.port, { targetName: CHAP_TARGET, chap: { user: 'pool', secret: 'pool-secret-0001' } }));
  assert.equal(ok.sizeBytes, MiB);
  await ok.close();
  for (const chap of [{ user: 'pool', secret: 'wrong-secret-0001' }, undefined]) {
    const err = await RemoteLun.open(options(run.port, { targetName: CHAP_TARGET, ...(chap ? { chap } : {}) })).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof RemoteLoginError, String(err));
    assert.equal(err.code, 'EACCES');
    assert.equal(err.status, 0x0201);
    assert.match(err.message, new RegExp(`${CHAP_TARGET} LUN 0 at 127\\.0\\.0\\.1:${run.port}: authentication failed`));
    assert.doesNotMatch(err.message, /wrong-secret/);
  }
  const missing = await RemoteLun.open(options(run.port, { targetName: 'iqn.2026-11.test.sanbox:nobody' })).catch((e: unknown) => e);
  assert.ok(missing instanceof RemoteLoginError);
  assert.equal(missing.code, 'ENOENT');
  const refused = await RemoteLun.open(options(1)).catch((e: unknown) => e);
  assert.ok(refused instanceof RemoteLoginError);
  assert.equal(refused.code, 'ECONNREFUSED');
});

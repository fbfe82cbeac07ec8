/** COMPARE AND WRITE, ORWRITE, task abort and LU reset with commands really in flight. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileLu, run, clearUa, assertGood, assertSense, cdb, nexus, u64, u32 } from './helpers.js';
import { MemoryBackstore } from '../../src/backstore/memory.js';
import type { ScsiResult } from '../../src/scsi/types.js';

test('COMPARE AND WRITE: match writes, miscompare reports the offset and writes nothing', async () => {
  const t = await fileLu();
  try {
    await clearUa(t.lu);
    const old = Buffer.alloc(1024, 0x11);
    const next = Buffer.alloc(1024, 0x22);
    assertGood(await run(t.lu, cdb.write10(50, 2), old));
    assertGood(await run(t.lu, cdb.compareAndWrite(50, 2), Buffer.concat([old, next])));
    assert.deepEqual(assertGood(await run(t.lu, cdb.read10(50, 2))), next);
    const wrong = Buffer.from(next);
    wrong[600] = 0;
    const s = assertSense(await run(t.lu, cdb.compareAndWrite(50, 2), Buffer.concat([wrong, old])), 0x0e, 0x1d, 0x00);
    assert.equal(s.information, 600);
    assert.deepEqual(assertGood(await run(t.lu, cdb.read10(50, 2))), next);
    assertGood(await run(t.lu, cdb.compareAndWrite(50, 0), null));
    const r = await run(t.lu, cdb.compareAndWrite(50, 1), Buffer.alloc(2048));
    assertSense(r, 0x05, 0x24, 0x00);
    assert.equal(r.dataOutLength, 1024);
    assertSense(await run(t.lu, cdb.compareAndWrite(50, 3), Buffer.alloc(2048)), 0x05, 0x24, 0x00);
    // 256 blocks wraps to 0 in the CDB; the Data-Out gives it away
    assertSense(await run(t.lu, cdb.compareAndWrite(50, 0), Buffer.alloc(256 * 1024)), 0x05, 0x24, 0x00);
    assertSense(await run(t.lu, cdb.compareAndWrite(50, 255), Buffer.alloc(255 * 1024)), 0x0e, 0x1d, 0x00); // 255 is the limit
    assertSense(await run(t.lu, cdb.compareAndWrite(32767, 2), Buffer.alloc(2048)), 0x05, 0x21, 0x00);
  } finally {
    await t.cleanup();
  }
});

test('COMPARE AND WRITE is atomic: of 32 concurrent 0->n swaps exactly one wins', async () => {
  const t = await fileLu();
  try {
    await clearUa(t.lu);
    assertGood(await run(t.lu, cdb.write10(7, 1), Buffer.alloc(512)));
    const tries = Array.from({ length: 32 }, (_, i) => run(t.lu, cdb.compareAndWrite(7, 1), Buffer.concat([Buffer.alloc(512), Buffer.alloc(512, i + 1)])));
    // plain writes to other blocks interleave freely
    const others = Array.from({ length: 8 }, (_, i) => run(t.lu, cdb.write10(100 + i, 1), Buffer.alloc(512, 9)));
    const results = await Promise.all(tries);
    for (const r of await Promise.all(others)) assertGood(r);
    const winners = results.filter((r) => r.status === 0);
    assert.equal(winners.length, 1);
    assert.equal(results.filter((r) => r.status === 0x02 && r.sense![2] === 0x0e).length, 31);
    const v = assertGood(await run(t.lu, cdb.read10(7, 1)));
    assert.equal(v[0], results.indexOf(winners[0]!) + 1);
  } finally {
    await t.cleanup();
  }
});

test('WRITE ATOMIC(16): VPD B0h limits, writes, 0 blocks, range, WRPROTECT, short Data-Out, limit, read-only', async () => {
  const t = await fileLu(); // 16 MiB, 512-byte blocks: 32768 blocks
  try {
    await clearUa(t.lu);
    const b0 = assertGood(await run(t.lu, cdb.inquiry(true, 0xb0)));
    assert.equal(b0.readUInt32BE(44), 2048, 'MAXIMUM ATOMIC TRANSFER LENGTH: 1 MiB');
    assert.equal(b0.readUInt32BE(48), 0, 'ATOMIC ALIGNMENT');
    assert.equal(b0.readUInt32BE(52), 0, 'ATOMIC TRANSFER LENGTH GRANULARITY');
    assert.ok(b0.readUInt32BE(44) <= b0.readUInt32BE(8), 'within MAXIMUM TRANSFER LENGTH');
    const data = Buffer.alloc(3 * 512, 0xa6);
    const r = await run(t.lu, cdb.writeAtomic16(10, 3, 0x18), data); // DPO FUA
    assertGood(r);
    assert.equal(r.dataOutLength, 3 * 512);
    assert.deepEqual(assertGood(await run(t.lu, cdb.read10(10, 3))), data);
    assertGood(await run(t.lu, cdb.writeAtomic16(0, 0), null));
    assertGood(await run(t.lu, cdb.writeAtomic16(32768, 0), null));
    assertSense(await run(t.lu, cdb.writeAtomic16(32769, 0), null), 0x05, 0x21, 0x00);
    assertSense(await run(t.lu, cdb.writeAtomic16(32767, 2), Buffer.alloc(1024)), 0x05, 0x21, 0x00);
    assertSense(await run(t.lu, cdb.writeAtomic16(2 ** 63, 1), Buffer.alloc(512)), 0x05, 0x21, 0x00);
    for (let wrprotect = 1; wrprotect < 8; wrprotect++) {
      const s = assertSense(await run(t.lu, cdb.writeAtomic16(0, 1, wrprotect << 5), Buffer.alloc(512)), 0x05, 0x24, 0x00);
      assert.deepEqual([s.fieldByte, s.fieldBit], [1, 7]);
    }
    // Short Data-Out: nothing is written, not even the blocks that did arrive.
    assertSense(await run(t.lu, cdb.writeAtomic16(10, 3), Buffer.alloc(1024, 0x01)), 0x05, 0x0e, 0x03);
    assert.deepEqual(assertGood(await run(t.lu, cdb.read10(10, 3))), data);
    const s = assertSense(await run(t.lu, cdb.writeAtomic16(0, 2049), Buffer.alloc(2049 * 512)), 0x05, 0x24, 0x00);
    assert.equal(s.fieldByte, 12);
    const rsoc = assertGood(await run(t.lu, cdb.rsoc(1, 0x9c)));
    assert.deepEqual([...rsoc.subarray(0, 6)], [0, 0x03, 0, 16, 0x9c, 0xf8]);
  } finally {
    await t.cleanup();
  }
  const ro = await fileLu({ readOnly: true });
  try {
    await clearUa(ro.lu);
    assertSense(await run(ro.lu, cdb.writeAtomic16(0, 1), Buffer.alloc(512)), 0x07, 0x27, 0x00);
  } finally {
    await ro.cleanup();
  }
});

test('WRITE ATOMIC(16) is not torn by concurrent writes to the same blocks', async () => {
  const t = await fileLu();
  try {
    await clearUa(t.lu);
    const blocks = 2048; // 1 MiB, the limit
    const atomics = Array.from({ length: 6 }, (_, i) => run(t.lu, cdb.writeAtomic16(0, blocks), Buffer.alloc(blocks * 512, 0x10 + i)));
    const plains = Array.from({ length: 6 }, (_, i) => run(t.lu, cdb.write16(0, blocks), Buffer.alloc(blocks * 512, 0x40 + i)));
    for (const r of await Promise.all([...atomics, ...plains])) assertGood(r);
    const back = assertGood(await run(t.lu, cdb.read16(0, blocks)));
    assert.ok(
      back.every((b) => b === back[0]),
      "one writer's data across the whole range",
    );
  } finally {
    await t.cleanup();
  }
});

test('ORWRITE(16) ORs the data into the medium', async () => {
  const t = await fileLu();
  try {
    await clearUa(t.lu);
    assertGood(await run(t.lu, cdb.write10(3, 1), Buffer.alloc(512, 0x0f)));
    assertGood(await run(t.lu, [0x8b, 0, ...u64(3), ...u32(1), 0, 0], Buffer.alloc(512, 0xf0)));
    assert.deepEqual(assertGood(await run(t.lu, cdb.read10(3, 1))), Buffer.alloc(512, 0xff));
    assertGood(await run(t.lu, [0x8b, 0, ...u64(3), ...u32(0), 0, 0], null));
  } finally {
    await t.cleanup();
  }
});

/** A memory backstore whose reads wait until `release()`. */
class GatedBackstore extends MemoryBackstore {
  gate: Promise<void> = Promise.resolve();
  #open: () => void = () => undefined;
  hold(): void {
    this.gate = new Promise((r) => (this.#open = r));
  }
  release(): void {
    this.#open();
  }
  override async read(buf: Buffer, offset: number): Promise<void> {
    await this.gate;
    return super.read(buf, offset);
  }
}

test('abortTasks: an in-flight READ and a queued COMPARE AND WRITE complete as TASK ABORTED', async () => {
  const bs = new GatedBackstore(1 << 20);
  const t = await fileLu({ backstore: bs });
  try {
    const a = nexus('iqn.a'),
      b = nexus('iqn.b');
    await clearUa(t.lu, a);
    await clearUa(t.lu, b);
    bs.hold();
    const full = (c: number[]): Buffer => {
      const x = Buffer.alloc(16);
      Buffer.from(c).copy(x);
      return x;
    };
    const read = t.lu.execute({ cdb: full(cdb.read10(0, 1)), dataOut: null, expectedLength: 512, nexus: a, taskTag: 1001, attribute: 1 });
    const caw1 = t.lu.execute({
      cdb: full(cdb.compareAndWrite(0, 1)),
      dataOut: Buffer.alloc(1024),
      expectedLength: 1024,
      nexus: b,
      taskTag: 2001,
      attribute: 1,
    });
    const caw2 = t.lu.execute({
      cdb: full(cdb.compareAndWrite(0, 1)),
      dataOut: Buffer.alloc(1024),
      expectedLength: 1024,
      nexus: b,
      taskTag: 2002,
      attribute: 1,
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(t.lu.abortTasks(a, 1001), 1);
    assert.equal(t.lu.abortTasks(a, 1001), 0, 'already aborted');
    assert.equal(t.lu.abortTasks(b, 2002), 1);
    bs.release();
    const [r1, r2, r3] = (await Promise.all([read, caw1, caw2])) as ScsiResult[];
    assert.equal(r1!.status, 0x40);
    assertGood(r2!);
    assert.equal(r3!.status, 0x40);
  } finally {
    await t.cleanup();
  }
});

test('reset aborts everything in flight and raises 29/03 on every nexus', async () => {
  const bs = new GatedBackstore(1 << 20);
  const t = await fileLu({ backstore: bs });
  try {
    const a = nexus('iqn.a'),
      b = nexus('iqn.b');
    await clearUa(t.lu, a);
    await clearUa(t.lu, b);
    bs.hold();
    const p = [a, b].map((n) => run(t.lu, cdb.read10(0, 1), null, n));
    await new Promise((r) => setImmediate(r));
    t.lu.reset(a);
    bs.release();
    for (const r of await Promise.all(p)) assert.equal(r.status, 0x40);
    assertSense(await run(t.lu, cdb.tur(), null, a), 0x06, 0x29, 0x03);
    assertSense(await run(t.lu, cdb.tur(), null, b), 0x06, 0x29, 0x03);
    assertGood(await run(t.lu, cdb.tur(), null, b));
  } finally {
    await t.cleanup();
  }
});

test('task attributes: ORDERED waits for older tasks, newer SIMPLE waits for it, HEAD OF QUEUE does not', async () => {
  const bs = new GatedBackstore(1 << 20);
  const t = await fileLu({ backstore: bs });
  try {
    const n = nexus();
    await clearUa(t.lu, n);
    const order: string[] = [];
    const full = (c: number[]): Buffer => {
      const x = Buffer.alloc(16);
      Buffer.from(c).copy(x);
      return x;
    };
    const exec = (name: string, c: number[], attribute: number, data: Buffer | null = null) =>
      t.lu.execute({ cdb: full(c), dataOut: data, expectedLength: 512, nexus: n, taskTag: order.length + 100 + name.length, attribute }).then((r) => {
        order.push(name);
        return r;
      });
    bs.hold();
    const older = exec('older-read', cdb.read10(0, 1), 1);
    const ord = exec('ordered-write', cdb.write10(0, 1), 2, Buffer.alloc(512, 1));
    const newer = exec('newer-tur', cdb.tur(), 1);
    const hoq = exec('hoq-tur', cdb.tur(), 3);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, ['hoq-tur']);
    bs.release();
    for (const r of await Promise.all([older, ord, newer, hoq])) assertGood(r);
    assert.deepEqual(order, ['hoq-tur', 'older-read', 'ordered-write', 'newer-tur']);

    // a queued ORDERED task can be aborted; the ones behind it then run
    order.length = 0;
    bs.hold();
    const r1 = exec('read', cdb.read10(0, 1), 1);
    const o2 = t.lu.execute({ cdb: full(cdb.tur()), dataOut: null, expectedLength: 0, nexus: n, taskTag: 7777, attribute: 2 });
    const s3 = exec('after', cdb.tur(), 1);
    await new Promise((r) => setImmediate(r));
    assert.equal(t.lu.abortTasks(n, 7777), 1);
    assert.equal((await o2).status, 0x40);
    assertGood(await s3);
    bs.release();
    assertGood(await r1);
    assert.deepEqual(order, ['after', 'read']);
  } finally {
    await t.cleanup();
  }
});

/** A memory backstore whose writes wait until `release()`. */
class GatedWrites extends MemoryBackstore {
  gate: Promise<void> = Promise.resolve();
  #open: () => void = () => undefined;
  hold(): void {
    this.gate = new Promise((r) => (this.#open = r));
  }
  release(): void {
    this.#open();
  }
  override async write(buf: Buffer, offset: number, fua: boolean): Promise<void> {
    await this.gate;
    return super.write(buf, offset, fua);
  }
}

test('COMPARE AND WRITE waits for writes already in flight; later writes wait for it', async () => {
  const bs = new GatedWrites(1 << 20);
  const t = await fileLu({ backstore: bs });
  try {
    await clearUa(t.lu);
    bs.hold();
    const w1 = run(t.lu, cdb.write10(0, 1), Buffer.alloc(512, 0xaa));
    await new Promise((r) => setImmediate(r));
    const caw = run(t.lu, cdb.compareAndWrite(0, 1), Buffer.concat([Buffer.alloc(512, 0xaa), Buffer.alloc(512, 0xbb)]));
    await new Promise((r) => setImmediate(r));
    const w2 = run(t.lu, cdb.write10(0, 1), Buffer.alloc(512, 0xcc));
    await new Promise((r) => setImmediate(r));
    bs.release();
    assertGood(await w1);
    assertGood(await caw);
    assertGood(await w2);
    assert.deepEqual(assertGood(await run(t.lu, cdb.read10(0, 1))), Buffer.alloc(512, 0xcc));
  } finally {
    await t.cleanup();
  }
});

/**
 * I/O buffer pool: size classes, bounds, refused double/foreign releases, and the
 * lifecycle through the target: a READ's pooled Data-In buffer goes back only after the
 * socket write that carries it completed, a WRITE's Data-Out buffer only after the
 * backstore write; data stays intact under concurrent reuse.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { BufferPool, ioBuffers } from '../../src/backstore/buffer-pool.js';
import { IscsiInitiator } from '../../src/initiator/client.js';
import { TestCatalog, globals, memoryLu, startTarget, type Running } from './harness.js';

test('pool: size classes, reuse, bounded free lists, foreign and double releases refused', () => {
  const pool = new BufferPool(64 * 1024);
  const a = pool.acquire(5000);
  assert.equal(a.length, 5000);
  assert.equal(a.buffer.byteLength, 8192);
  assert.equal(pool.release(a), true);
  assert.equal(pool.isFree(a), true);
  assert.equal(pool.release(a), false, 'double release refused');
  const b = pool.acquire(8192);
  assert.equal(b.buffer, a.buffer, 'same class reused');
  assert.equal(pool.isFree(b), false);
  assert.equal(pool.release(Buffer.allocUnsafe(8192)), false, 'foreign buffer refused');
  assert.equal(pool.acquire(1).buffer.byteLength, 4096);
  const big = pool.acquire(2 * 1024 * 1024);
  assert.equal(pool.release(big), false, 'above the largest class: not pooled');
  // 64 KiB per class: at most 8 free 8 KiB buffers (min 4 for large classes).
  const many = Array.from({ length: 12 }, () => pool.acquire(8192));
  for (const m of many) pool.release(m);
  const s = pool.stats();
  assert.equal(s.freeBytes, 8 * 8192);
  assert.equal(s.dropped, 4);
  assert.equal(s.refused, 3);
  pool.clear();
  assert.equal(pool.stats().freeBytes, 0);
});

const T = 'iqn.2026-11.test.sanbox:pool';
const INI = 'iqn.2026-11.test.sanbox:pool-initiator';
let run: Running;

before(async () => {
  const catalog = new TestCatalog(globals());
  catalog.add({ name: T, luns: new Map([[0, await memoryLu(64 << 20)]]) });
  run = await startTarget(catalog);
});
after(async () => {
  await run.stop();
});

async function session(): Promise<IscsiInitiator> {
  const c = await IscsiInitiator.connect('127.0.0.1', run.port);
  await c.login({ initiatorName: INI, targetName: T });
  for (let i = 0; i < 4; i++) if ((await c.scsi(0, Buffer.alloc(6), {})).status === 0) break;
  return c;
}

test('a READ buffer returns to the pool only after its socket write completed', async () => {
  const c = await session();
  const n = 24;
  const blocks = 2048; // 1 MiB each: 24 MiB, more than loopback socket buffers hold
  const data = randomBytes(blocks * 512);
  assert.equal((await c.write10(0, 0, data)).status, 0);
  const releases: Buffer[] = [];
  const orig = ioBuffers.release.bind(ioBuffers);
  ioBuffers.release = (b: Buffer): boolean => {
    releases.push(b);
    return orig(b);
  };
  try {
    const refused0 = ioBuffers.stats().refused;
    c.socket.pause();
    const reads = Array.from({ length: n }, () => c.read10(0, 0, blocks));
    await new Promise((r) => setTimeout(r, 300));
    const whilePaused = releases.length;
    assert.ok(whilePaused < n, `only buffers whose writes completed are back (${whilePaused} of ${n})`);
    c.socket.resume();
    const replies = await Promise.all(reads);
    for (const r of replies) {
      assert.equal(r.status, 0);
      assert.ok(r.data.equals(data));
    }
    await new Promise((r) => setImmediate(r));
    assert.ok(releases.length >= n, `every read buffer released after its write (${releases.length})`);
    assert.equal(ioBuffers.stats().refused, refused0, 'no double or foreign release');
  } finally {
    ioBuffers.release = orig;
  }
  await c.logout();
});

test('concurrent READs and WRITEs through pooled buffers keep every block intact', async () => {
  const c = await session();
  const refused0 = ioBuffers.stats().refused;
  const sizes = [8, 16, 64, 256, 128, 8, 512, 32];
  const expect = new Map<number, Buffer>();
  for (let round = 0; round < 4; round++) {
    const ops: Promise<void>[] = [];
    for (let i = 0; i < 32; i++) {
      const blocks = sizes[i % sizes.length]!;
      const lba = i * 1024;
      const prev = expect.get(lba);
      if (prev && (i + round) % 2 === 0) {
        ops.push(
          c.read10(0, lba, prev.length / 512).then((r) => {
            assert.equal(r.status, 0);
            assert.ok(r.data.equals(prev), `lba ${lba} round ${round}`);
          }),
        );
      } else {
        const d = randomBytes(blocks * 512);
        expect.set(lba, d);
        ops.push(c.write10(0, lba, d).then((r) => assert.equal(r.status, 0)));
      }
    }
    await Promise.all(ops);
  }
  const reads = await Promise.all([...expect].map(([lba, d]) => c.read10(0, lba, d.length / 512).then((r) => [r.data, d] as const)));
  for (const [got, want] of reads) assert.ok(got.equals(want));
  assert.equal(ioBuffers.stats().refused, refused0);
  assert.ok(ioBuffers.stats().hits > 0, 'buffers were reused');
  await c.logout();
});

/** Thin provisioning against a real sparse image: UNMAP, WRITE SAME, GET LBA STATUS. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { fileLu, run, clearUa, assertGood, assertSense, cdb, u64, u32 } from './helpers.js';
import { nativeFs } from '../../src/backstore/native.js';

const MiB = 1024 * 1024;

function unmapList(ranges: Array<[number, number]>): Buffer {
  const b = Buffer.alloc(8 + 16 * ranges.length);
  b.writeUInt16BE(b.length - 2, 0);
  b.writeUInt16BE(16 * ranges.length, 2);
  ranges.forEach(([lba, n], i) => {
    Buffer.from([...u64(lba), ...u32(n)]).copy(b, 8 + i * 16);
  });
  return b;
}

function lbaStatus(d: Buffer): Array<{ lba: number; blocks: number; status: number }> {
  const out = [];
  const len = d.readUInt32BE(0);
  for (let at = 8; at < Math.min(d.length, 4 + len); at += 16) {
    out.push({ lba: Number(d.readBigUInt64BE(at)), blocks: d.readUInt32BE(at + 8), status: d[at + 12]! & 0x0f });
  }
  return out;
}

test('native addon is built (thin provisioning needs it)', () => {
  assert.ok(nativeFs(), 'build/Release/sanbox_native.node missing: run npm install');
});

test('64 MiB written, UNMAPped: allocated blocks fall back and GET LBA STATUS says deallocated', async () => {
  const t = await fileLu({ sizeBytes: 128 * MiB });
  try {
    await clearUa(t.lu);
    const before = statSync(t.path).blocks;
    const chunk = Buffer.alloc(4 * MiB, 0xab);
    for (let off = 0; off < 64 * MiB; off += chunk.length) {
      assertGood(await run(t.lu, cdb.write16(off / 512, chunk.length / 512), chunk));
    }
    assertGood(await run(t.lu, cdb.syncCache10()));
    const written = statSync(t.path).blocks;
    assert.ok((written - before) * 512 >= 64 * MiB, `allocated ${(written - before) * 512}`);
    const mapped = lbaStatus(assertGood(await run(t.lu, cdb.getLbaStatus(0))));
    assert.deepEqual(mapped[0], { lba: 0, blocks: (64 * MiB) / 512, status: 0 });
    assert.deepEqual(mapped[1], { lba: (64 * MiB) / 512, blocks: (64 * MiB) / 512, status: 1 });

    const list = unmapList([
      [0, (32 * MiB) / 512],
      [(32 * MiB) / 512, (32 * MiB) / 512],
    ]);
    assertGood(await run(t.lu, cdb.unmap(list.length), list));
    const after = statSync(t.path).blocks;
    assert.ok(after * 512 < 1 * MiB, `allocated after unmap ${after * 512}`);
    const st = lbaStatus(assertGood(await run(t.lu, cdb.getLbaStatus(0))));
    assert.deepEqual(st, [{ lba: 0, blocks: (128 * MiB) / 512, status: 1 }]);
    // LBPRZ: unmapped blocks read back as zeros
    assert.deepEqual(assertGood(await run(t.lu, cdb.read10(1000, 8))), Buffer.alloc(4096));
    assert.equal(statSync(t.path).size, 128 * MiB, 'image keeps its size');
  } finally {
    await t.cleanup();
  }
});

test('GET LBA STATUS: first descriptor starts at the requested LBA; beyond the end is out of range', async () => {
  const t = await fileLu({ sizeBytes: 4 * MiB });
  try {
    await clearUa(t.lu);
    assertGood(await run(t.lu, cdb.write10(0, 264), Buffer.alloc(264 * 512, 0x41)));
    const list = unmapList([[0, 8]]);
    assertGood(await run(t.lu, cdb.unmap(list.length), list));
    const s0 = lbaStatus(assertGood(await run(t.lu, cdb.getLbaStatus(0, 24))));
    assert.deepEqual(s0, [{ lba: 0, blocks: 8, status: 1 }]);
    const s9 = lbaStatus(assertGood(await run(t.lu, cdb.getLbaStatus(9, 24))));
    assert.deepEqual(s9[0], { lba: 9, blocks: 264 - 9, status: 0 });
    assertSense(await run(t.lu, cdb.getLbaStatus((4 * MiB) / 512)), 0x05, 0x21, 0x00);
    assertSense(await run(t.lu, [0x9e, 0x12, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 24, 0, 0]), 0x05, 0x21, 0x00);
  } finally {
    await t.cleanup();
  }
});

test('UNMAP parameter checks: empty list, 0 blocks, too many blocks, bad lengths, ANCHOR, out of range', async () => {
  const t = await fileLu({ sizeBytes: 4 * MiB });
  try {
    await clearUa(t.lu);
    assertGood(await run(t.lu, cdb.unmap(0), null));
    const empty = unmapList([]);
    assertGood(await run(t.lu, cdb.unmap(empty.length), empty));
    const zero = unmapList([
      [5, 0],
      [8191, 0],
    ]);
    assertGood(await run(t.lu, cdb.unmap(zero.length), zero));
    assertSense(await run(t.lu, cdb.unmap(6), Buffer.alloc(6)), 0x05, 0x1a, 0x00);
    const oob = unmapList([[8190, 3]]);
    assertSense(await run(t.lu, cdb.unmap(oob.length), oob), 0x05, 0x21, 0x00);
    const ok = unmapList([[8190, 2]]);
    assertSense(await run(t.lu, cdb.unmap(ok.length, true), ok), 0x05, 0x24, 0x00);
    const bad = unmapList([[0, 1]]);
    bad.writeUInt16BE(10, 2);
    assertSense(await run(t.lu, cdb.unmap(bad.length), bad), 0x05, 0x26, 0x00);
    const many = unmapList(Array.from({ length: 257 }, (_, i): [number, number] => [i, 1]));
    assertSense(await run(t.lu, cdb.unmap(many.length), many), 0x05, 0x26, 0x00);
  } finally {
    await t.cleanup();
  }
});

test('UNMAP is an invalid opcode on a thick LU, and not listed', async () => {
  const t = await fileLu({ thin: false });
  try {
    await clearUa(t.lu);
    const list = unmapList([[0, 1]]);
    assertSense(await run(t.lu, cdb.unmap(list.length), list), 0x05, 0x20, 0x00);
    const one = assertGood(await run(t.lu, cdb.rsoc(1, 0x42)));
    assert.equal(one[1]! & 7, 1);
    assertSense(await run(t.lu, cdb.writeSame10(0, 1, 0x08), Buffer.alloc(512)), 0x05, 0x24, 0x00);
    const b2 = assertGood(await run(t.lu, cdb.inquiry(true, 0xb2)));
    assert.equal(b2[5], 0);
  } finally {
    await t.cleanup();
  }
});

test('WRITE SAME(10/16): pattern fill, UNMAP of zeros deallocates, WSNZ, limits, ANCHOR, Data-Out size', async () => {
  const t = await fileLu({ sizeBytes: 8 * MiB });
  try {
    await clearUa(t.lu);
    const block = Buffer.alloc(512);
    block.write('sanbox-block', 0);
    assertGood(await run(t.lu, cdb.writeSame10(100, 300), block));
    const back = assertGood(await run(t.lu, cdb.read10(100, 300)));
    for (let i = 0; i < 300; i++) assert.deepEqual(back.subarray(i * 512, (i + 1) * 512), block);
    assertGood(await run(t.lu, cdb.write16(0, 2048), Buffer.alloc(MiB, 0xee)));
    const blocksBefore = statSync(t.path).blocks;
    assertGood(await run(t.lu, cdb.writeSame16(0, 2048, 0x08), Buffer.alloc(512)));
    assert.ok(statSync(t.path).blocks < blocksBefore - 1000, 'WRITE SAME UNMAP freed space');
    assert.deepEqual(assertGood(await run(t.lu, cdb.read10(0, 8))), Buffer.alloc(4096));
    const st = lbaStatus(assertGood(await run(t.lu, cdb.getLbaStatus(0, 24))));
    assert.equal(st[0]!.status, 1);
    // UNMAP with a non-zero pattern writes it
    assertGood(await run(t.lu, cdb.writeSame16(10, 2, 0x08), block));
    assert.deepEqual(assertGood(await run(t.lu, cdb.read10(10, 1))), block);
    assertSense(await run(t.lu, cdb.writeSame10(0, 0), block), 0x05, 0x24, 0x00);
    assertSense(await run(t.lu, cdb.writeSame10(16385, 0), block), 0x05, 0x21, 0x00);
    assertSense(await run(t.lu, cdb.writeSame10(16380, 5), block), 0x05, 0x21, 0x00);
    assertSense(await run(t.lu, cdb.writeSame10(0, 1, 0x18), block), 0x05, 0x24, 0x00);
    assertSense(await run(t.lu, cdb.writeSame10(0, 1), Buffer.alloc(256)), 0x05, 0x0e, 0x03);
    assertSense(await run(t.lu, cdb.writeSame10(0, 1), Buffer.alloc(1024)), 0x05, 0x0e, 0x03);
    assertGood(await run(t.lu, cdb.writeSame16(20, 4, 0x09), null)); // NDOB + UNMAP
    assert.deepEqual(assertGood(await run(t.lu, cdb.read10(20, 4))), Buffer.alloc(2048));
  } finally {
    await t.cleanup();
  }
});

test('memory backstore frees chunks on UNMAP and reports them', async () => {
  const { openBackstore } = await import('../../src/backstore/open.js');
  const backstore = await openBackstore({ kind: 'memory', sizeBytes: 8 * MiB });
  const t = await fileLu({ backstore });
  try {
    await clearUa(t.lu);
    assertGood(await run(t.lu, cdb.write16(0, 4096), Buffer.alloc(2 * MiB, 1)));
    let st = lbaStatus(assertGood(await run(t.lu, cdb.getLbaStatus(0))));
    assert.deepEqual(st, [
      { lba: 0, blocks: 4096, status: 0 },
      { lba: 4096, blocks: 12288, status: 1 },
    ]);
    const list = unmapList([[0, 2048]]);
    assertGood(await run(t.lu, cdb.unmap(list.length), list));
    st = lbaStatus(assertGood(await run(t.lu, cdb.getLbaStatus(0))));
    assert.deepEqual(st[0], { lba: 0, blocks: 2048, status: 1 });
    assert.deepEqual(assertGood(await run(t.lu, cdb.read10(0, 1))), Buffer.alloc(512));
  } finally {
    await t.cleanup();
  }
});

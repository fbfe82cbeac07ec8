/** The block device over a real file backstore: CDB vectors in, data/status/sense out. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileLu, run, clearUa, assertGood, assertSense, cdb, pattern, nexus, u16, u32 } from './helpers.js';
import { openBackstore } from '../../src/backstore/open.js';
import type { Backstore } from '../../src/backstore/backstore.js';

const MiB = 1024 * 1024;

test('unit attention POWER ON on the first command of each nexus; INQUIRY is not blocked', async () => {
  const t = await fileLu();
  try {
    const a = nexus('iqn.a'),
      b = nexus('iqn.b');
    assertGood(await run(t.lu, cdb.inquiry(false, 0), null, a));
    assertSense(await run(t.lu, cdb.tur(), null, a), 0x06, 0x29, 0x00);
    assertGood(await run(t.lu, cdb.tur(), null, a));
    assertSense(await run(t.lu, cdb.read10(0, 1), null, b), 0x06, 0x29, 0x00);
    assertGood(await run(t.lu, cdb.read10(0, 1), null, b));
    // nexus loss: the same initiator port is told I_T NEXUS LOSS OCCURRED (SAM-5 6.3.4) once
    t.lu.nexusGone(a);
    assertSense(await run(t.lu, cdb.tur(), null, a), 0x06, 0x29, 0x07);
    assertGood(await run(t.lu, cdb.tur(), null, a));
    // lost before it was told POWER ON: that one is still owed, and only it
    const c = nexus('iqn.c');
    assertGood(await run(t.lu, cdb.inquiry(false, 0), null, c));
    t.lu.nexusGone(c);
    assertSense(await run(t.lu, cdb.tur(), null, c), 0x06, 0x29, 0x00);
    assertGood(await run(t.lu, cdb.tur(), null, c));
    // lost before it sent this LU anything: POWER ON, as for any new nexus
    const d = nexus('iqn.d');
    t.lu.nexusGone(d);
    assertSense(await run(t.lu, cdb.tur(), null, d), 0x06, 0x29, 0x00);
  } finally {
    await t.cleanup();
  }
});

test('REQUEST SENSE returns and clears a pending unit attention, else NO SENSE', async () => {
  const t = await fileLu();
  try {
    const r = await run(t.lu, cdb.requestSense());
    const d = assertGood(r);
    assert.equal(d.length, 18);
    assert.deepEqual([d[0], d[2], d[12], d[13]], [0x70, 0x06, 0x29, 0x00]);
    const again = assertGood(await run(t.lu, cdb.requestSense()));
    assert.deepEqual([again[2], again[12], again[13]], [0, 0, 0]);
    assertSense(await run(t.lu, [0x03, 0x01, 0, 0, 252, 0]), 0x05, 0x24, 0x00); // DESC
    assert.equal(assertGood(await run(t.lu, cdb.requestSense(8))).length, 8);
  } finally {
    await t.cleanup();
  }
});

test('CAPACITY DATA HAS CHANGED after capacityChanged() grows the medium', async () => {
  const t = await fileLu({ sizeBytes: 1 * MiB });
  try {
    await clearUa(t.lu);
    const { truncateSync } = await import('node:fs');
    truncateSync(t.path, 2 * MiB);
    await t.lu.capacityChanged();
    assertSense(await run(t.lu, cdb.readCapacity10()), 0x06, 0x2a, 0x09);
    const d = assertGood(await run(t.lu, cdb.readCapacity10()));
    assert.equal(d.readUInt32BE(0), (2 * MiB) / 512 - 1);
  } finally {
    await t.cleanup();
  }
});

test('standard INQUIRY: SPC-4, identity from the spec, space padded', async () => {
  const t = await fileLu({ vendor: 'ACME', product: 'Disk', revision: '7' });
  try {
    const d = assertGood(await run(t.lu, cdb.inquiry(false, 0)));
    assert.equal(d.length, 96);
    assert.equal(d[0], 0x00);
    assert.equal(d[2], 0x06);
    assert.equal(d[3] & 0x0f, 2);
    assert.equal(d[4], 91);
    assert.equal(d[7]! & 0x02, 0x02, 'CMDQUE');
    assert.equal(d.subarray(8, 16).toString('ascii'), 'ACME    ');
    assert.equal(d.subarray(16, 32).toString('ascii'), 'Disk            ');
    assert.equal(d.subarray(32, 36).toString('ascii'), '7   ');
    assert.equal(d.readUInt16BE(62), 0x0460, 'SPC-4 version descriptor');
    // allocation length clips
    assert.equal(assertGood(await run(t.lu, cdb.inquiry(false, 0, 36))).length, 36);
    assertSense(await run(t.lu, cdb.inquiry(false, 0x80)), 0x05, 0x24, 0x00);
    const s = assertSense(await run(t.lu, cdb.inquiry(true, 0x99)), 0x05, 0x24, 0x00);
    assert.equal(s.fieldByte, 2);
  } finally {
    await t.cleanup();
  }
});

test('VPD pages 00h, 80h, 83h, B0h, B1h, B2h', async () => {
  const t = await fileLu({ serial: 'SER123', naa: '6001405abcdef012', rotationRate: 7200 });
  try {
    const n = nexus();
    const p00 = assertGood(await run(t.lu, cdb.inquiry(true, 0x00), null, n));
    assert.deepEqual([...p00], [0, 0, 0, 7, 0x00, 0x80, 0x83, 0x8f, 0xb0, 0xb1, 0xb2]);
    const p80 = assertGood(await run(t.lu, cdb.inquiry(true, 0x80), null, n));
    assert.equal(p80[1], 0x80);
    assert.equal(p80.subarray(4).toString('ascii'), 'SER123');
    const p83 = assertGood(await run(t.lu, cdb.inquiry(true, 0x83), null, n));
    assert.equal(p83.readUInt16BE(2), p83.length - 4);
    const designators: Array<{ codeSet: number; piv: boolean; assoc: number; type: number; value: Buffer }> = [];
    for (let at = 4; at < p83.length; ) {
      const len = p83[at + 3]!;
      designators.push({
        codeSet: p83[at]! & 0x0f,
        piv: (p83[at + 1]! & 0x80) !== 0,
        assoc: (p83[at + 1]! >> 4) & 3,
        type: p83[at + 1]! & 0x0f,
        value: p83.subarray(at + 4, at + 4 + len),
      });
      at += 4 + len;
    }
    const naa = designators.find((d) => d.type === 3)!;
    assert.equal(naa.codeSet, 1);
    assert.equal(naa.assoc, 0);
    assert.equal(naa.value.length, 16);
    assert.equal(naa.value[0]! >> 4, 6, 'NAA 6 registered extended');
    const t10 = designators.find((d) => d.type === 1)!;
    assert.equal(t10.codeSet, 2);
    assert.match(t10.value.toString('ascii'), /^SANBOX  SER123$/);
    const rel = designators.find((d) => d.type === 4)!;
    assert.equal(rel.assoc, 1);
    assert.equal(rel.piv, true);
    assert.equal(rel.value.readUInt16BE(2), 1);
    assert.equal(designators.find((d) => d.type === 5)!.value.readUInt16BE(2), 1);
    const name = designators.find((d) => d.type === 8 && d.assoc === 1)!;
    assert.equal(name.value.length % 4, 0);
    assert.match(name.value.toString('utf8'), /^iqn\.2026-01\.sanbox:t1,t,0x0001\0+$/);
    const b0 = assertGood(await run(t.lu, cdb.inquiry(true, 0xb0), null, n));
    assert.equal(b0.readUInt16BE(2), 0x3c);
    assert.equal(b0[4]! & 1, 1, 'WSNZ');
    assert.equal(b0.readUInt32BE(8), 16384, 'max transfer 8 MiB in 512-byte blocks');
    assert.ok(b0.readUInt32BE(20) > 0, 'max unmap LBA count');
    assert.ok(b0.readUInt32BE(24) > 0, 'max unmap descriptors');
    assert.equal(b0.readUInt32BE(28), 8, 'unmap granularity 4 KiB');
    assert.equal(b0.readUInt32BE(32) >>> 31, 1, 'UGAVALID');
    const b1 = assertGood(await run(t.lu, cdb.inquiry(true, 0xb1), null, n));
    assert.equal(b1.readUInt16BE(4), 7200);
    const b2 = assertGood(await run(t.lu, cdb.inquiry(true, 0xb2), null, n));
    assert.equal(b2[5]! & 0xe4, 0xe4, 'LBPU LBPWS LBPWS10 LBPRZ');
    assert.equal(b2[6]! & 7, 2, 'thin provisioned');
  } finally {
    await t.cleanup();
  }
});

test('READ CAPACITY(10/16) for 512 and 4096 byte blocks, LBPME with thin', async () => {
  for (const blockSize of [512, 4096]) {
    const t = await fileLu({ blockSize, sizeBytes: 8 * MiB });
    try {
      await clearUa(t.lu);
      const r10 = assertGood(await run(t.lu, cdb.readCapacity10()));
      assert.deepEqual([r10.readUInt32BE(0), r10.readUInt32BE(4)], [(8 * MiB) / blockSize - 1, blockSize]);
      const r16 = assertGood(await run(t.lu, cdb.readCapacity16()));
      assert.equal(r16.readUInt32BE(4), (8 * MiB) / blockSize - 1);
      assert.equal(r16.readUInt32BE(8), blockSize);
      assert.equal(r16[14]! & 0xc0, 0xc0, 'LBPME LBPRZ');
      assert.equal(r16[13]! & 0x0f, 0, 'one logical block per physical block');
      assertSense(await run(t.lu, [0x25, 0, 0, 0, 0, 1, 0, 0, 0, 0]), 0x05, 0x24, 0x00); // LBA without PMI
    } finally {
      await t.cleanup();
    }
  }
});

test('READ/WRITE 6/10/12/16 round trip; FUA; 0 blocks; READ(6) 0 = 256 blocks', async () => {
  const t = await fileLu({ sizeBytes: 4 * MiB });
  try {
    await clearUa(t.lu);
    const d1 = pattern(512 * 4, 1);
    assertGood(await run(t.lu, cdb.write6(10, 4), d1));
    assert.deepEqual(assertGood(await run(t.lu, cdb.read10(10, 4))), d1);
    const d2 = pattern(512 * 3, 2);
    assertGood(await run(t.lu, cdb.write10(20, 3, 0x08), d2)); // FUA
    assert.deepEqual(assertGood(await run(t.lu, cdb.read12(20, 3))), d2);
    const d3 = pattern(512 * 5, 3);
    assertGood(await run(t.lu, cdb.write12(30, 5), d3));
    assert.deepEqual(assertGood(await run(t.lu, cdb.read16(30, 5))), d3);
    const d4 = pattern(512 * 2, 4);
    assertGood(await run(t.lu, cdb.write16(8000, 2), d4));
    assert.deepEqual(assertGood(await run(t.lu, cdb.read6(8000, 2))), d4);
    const r256 = assertGood(await run(t.lu, cdb.read6(0, 0)));
    assert.equal(r256.length, 256 * 512);
    const z = await run(t.lu, cdb.read10(0, 0));
    assertGood(z);
    assert.equal(z.data, undefined);
    assertGood(await run(t.lu, cdb.write10(0, 0), null));
    // the bytes really are in the image file
    const { readFileSync } = await import('node:fs');
    assert.deepEqual(readFileSync(t.path).subarray(20 * 512, 23 * 512), d2);
  } finally {
    await t.cleanup();
  }
});

test('LBA out of range, at the end and beyond, all sizes', async () => {
  const t = await fileLu({ sizeBytes: 16 * MiB });
  try {
    await clearUa(t.lu);
    const blocks = (16 * MiB) / 512;
    assertGood(await run(t.lu, cdb.read10(blocks - 1, 1)));
    assertSense(await run(t.lu, cdb.read10(blocks - 1, 2)), 0x05, 0x21, 0x00);
    assertSense(await run(t.lu, cdb.read10(blocks, 1)), 0x05, 0x21, 0x00);
    assertSense(await run(t.lu, cdb.read16(2 ** 53, 1)), 0x05, 0x21, 0x00);
    assertSense(await run(t.lu, [0x88, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 0]), 0x05, 0x21, 0x00);
    assertSense(await run(t.lu, cdb.write16(blocks, 1), Buffer.alloc(512)), 0x05, 0x21, 0x00);
    assertSense(await run(t.lu, cdb.read6(blocks, 1)), 0x05, 0x21, 0x00);
    assertSense(await run(t.lu, cdb.read10(blocks + 1, 0)), 0x05, 0x21, 0x00);
    assertGood(await run(t.lu, cdb.read10(blocks, 0)));
    // more than the maximum transfer length
    const s = assertSense(await run(t.lu, cdb.read16(0, 16385)), 0x05, 0x24, 0x00);
    assert.equal(s.fieldByte, 10);
  } finally {
    await t.cleanup();
  }
});

test('invalid opcode, invalid service action, NACA', async () => {
  const t = await fileLu();
  try {
    await clearUa(t.lu);
    const s = assertSense(await run(t.lu, [0xc7, 0, 0, 0, 0, 0]), 0x05, 0x20, 0x00);
    assert.equal(s.fieldByte, 0);
    assertSense(await run(t.lu, [0x9e, 0x1f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0]), 0x05, 0x24, 0x00);
    assertSense(await run(t.lu, [0x00, 0, 0, 0, 0, 0x04]), 0x05, 0x24, 0x00);
  } finally {
    await t.cleanup();
  }
});

test('residuals: a short Data-Out writes exactly the bytes sent, extra Data-Out is ignored', async () => {
  const t = await fileLu();
  try {
    await clearUa(t.lu);
    const a = Buffer.alloc(1024, 0x61);
    const full = await run(t.lu, cdb.write10(0, 2), a);
    assertGood(full);
    assert.equal(full.dataOutLength, 1024, 'SPDTL for the transport');
    // EDTL one block, CDB two: the first block is written, the second left alone
    const over = await run(t.lu, cdb.write10(0, 2), Buffer.alloc(512, 0x62));
    assertGood(over);
    assert.equal(over.dataOutLength, 1024);
    let back = assertGood(await run(t.lu, cdb.read10(0, 2)));
    assert.deepEqual(back.subarray(0, 512), Buffer.alloc(512, 0x62));
    assert.deepEqual(back.subarray(512), Buffer.alloc(512, 0x61));
    // EDTL 0: nothing written, GOOD
    assertGood(await run(t.lu, cdb.write10(1, 1), null));
    // a partial block: the bytes sent are written, the rest of the block keeps its data
    const part = await run(t.lu, cdb.write10(0, 2), Buffer.alloc(700, 0x64));
    assertGood(part);
    assert.equal(part.dataOutLength, 1024);
    back = assertGood(await run(t.lu, cdb.read10(0, 2)));
    assert.deepEqual(back.subarray(0, 700), Buffer.alloc(700, 0x64));
    assert.deepEqual(back.subarray(700), Buffer.alloc(324, 0x61));
    assertGood(await run(t.lu, cdb.write10(0, 2), Buffer.concat([Buffer.alloc(512, 0x62), Buffer.alloc(512, 0x61)])));
    // EDTL larger than the CDB: only the CDB's blocks are written
    const c = Buffer.alloc(10000, 0x63);
    assertGood(await run(t.lu, cdb.write10(0, 1), c));
    back = assertGood(await run(t.lu, cdb.read10(0, 2)));
    assert.deepEqual(back.subarray(0, 512), Buffer.alloc(512, 0x63));
    assert.deepEqual(back.subarray(512), Buffer.alloc(512, 0x61));
    assert.equal((await run(t.lu, cdb.read10(0, 1))).dataOutLength, undefined, 'no Data-Out, no dataOutLength');
  } finally {
    await t.cleanup();
  }
});

test('read-only LU: writes fail with DATA PROTECT 27/00, WP in the mode header', async () => {
  const t = await fileLu({ readOnly: true });
  try {
    await clearUa(t.lu);
    assertSense(await run(t.lu, cdb.write10(0, 1), Buffer.alloc(512)), 0x07, 0x27, 0x00);
    assertSense(await run(t.lu, cdb.writeSame16(0, 1), Buffer.alloc(512)), 0x07, 0x27, 0x00);
    assertSense(await run(t.lu, cdb.unmap(24), Buffer.alloc(24)), 0x07, 0x27, 0x00);
    assertGood(await run(t.lu, cdb.read10(0, 1)));
    const m6 = assertGood(await run(t.lu, cdb.modeSense6(0x3f)));
    assert.equal(m6[2]! & 0x80, 0x80);
    const m10 = assertGood(await run(t.lu, cdb.modeSense10(0x3f)));
    assert.equal(m10[3]! & 0x80, 0x80);
  } finally {
    await t.cleanup();
  }
});

class FailingBackstore implements Backstore {
  readonly kind = 'memory' as const;
  readonly sizeBytes = 1 * MiB;
  async read(): Promise<void> {
    throw Object.assign(new Error('disk on fire'), { code: 'EIO' });
  }
  async write(): Promise<void> {
    throw Object.assign(new Error('disk on fire'), { code: 'EIO' });
  }
  async flush(): Promise<void> {
    throw Object.assign(new Error('disk on fire'), { code: 'EIO' });
  }
  async discard(): Promise<void> {
    throw Object.assign(new Error('full'), { code: 'ENOSPC' });
  }
  async mapped(offset: number, length: number) {
    return [{ offset, length, mapped: true }];
  }
  async refreshSize(): Promise<number> {
    return this.sizeBytes;
  }
  async close(): Promise<void> {}
}

test('backstore failures map to MEDIUM ERROR 11/00 (read), 0C/00 (write) with the LBA; ENOSPC to 27/07', async () => {
  const t = await fileLu({ backstore: new FailingBackstore() });
  try {
    await clearUa(t.lu);
    const r = assertSense(await run(t.lu, cdb.read10(7, 1)), 0x03, 0x11, 0x00);
    assert.equal(r.information, 7);
    const w = assertSense(await run(t.lu, cdb.write10(9, 1), Buffer.alloc(512)), 0x03, 0x0c, 0x00);
    assert.equal(w.information, 9);
    assertSense(await run(t.lu, cdb.syncCache10()), 0x03, 0x0c, 0x00);
    const list = Buffer.alloc(24);
    list.writeUInt16BE(22, 0);
    list.writeUInt16BE(16, 2);
    list.writeUInt32BE(1, 8 + 8 + 0);
    list.writeUInt32BE(1, 16);
    assertSense(await run(t.lu, cdb.unmap(24), list), 0x07, 0x27, 0x07);
  } finally {
    await t.cleanup();
  }
});

test('MODE SENSE(6/10): caching and control pages, all pages, DBD, LLBAA, page control', async () => {
  const t = await fileLu({ sizeBytes: 8 * MiB });
  try {
    await clearUa(t.lu);
    const all = assertGood(await run(t.lu, cdb.modeSense6(0x3f)));
    assert.equal(all[0], all.length - 1);
    assert.equal(all[3], 8, 'block descriptor length');
    assert.equal(all.readUInt32BE(4), (8 * MiB) / 512);
    assert.equal(all.readUIntBE(9, 3), 512);
    assert.equal(all[12], 0x08);
    assert.equal(all[13], 0x12);
    assert.equal(all[14]! & 0x04, 0x04, 'WCE');
    assert.equal(all[32], 0x0a);
    assert.equal(all[33], 0x0a);
    assert.equal(all.length, 4 + 8 + 20 + 12);
    const dbd = assertGood(await run(t.lu, cdb.modeSense6(0x08, 0, true)));
    assert.equal(dbd[3], 0);
    assert.equal(dbd[4], 0x08);
    assert.equal(dbd.length, 24);
    const chg = assertGood(await run(t.lu, cdb.modeSense6(0x08, 1, true)));
    assert.equal(chg[6], 0x04, 'WCE changeable');
    const ctlChg = assertGood(await run(t.lu, cdb.modeSense6(0x0a, 1, true)));
    // Only SWP (byte 4 bit 3 of the page, after the 4-byte header) is changeable.
    assert.deepEqual([...ctlChg.subarray(4)], [0x0a, 0x0a, 0, 0, 0x08, 0, 0, 0, 0, 0, 0, 0]);
    assertGood(await run(t.lu, cdb.modeSense6(0x08, 2)));
    assertGood(await run(t.lu, cdb.modeSense6(0x08, 3)));
    const l = assertGood(await run(t.lu, cdb.modeSense10(0x0a, 0, false, true)));
    assert.equal(l.readUInt16BE(0), l.length - 2);
    assert.equal(l[4]! & 1, 1, 'LONGLBA');
    assert.equal(l.readUInt16BE(6), 16);
    assert.equal(l.readUInt32BE(8 + 4), (8 * MiB) / 512);
    assert.equal(l.readUInt32BE(8 + 12), 512);
    assert.equal(l[24], 0x0a);
    const s = assertSense(await run(t.lu, cdb.modeSense6(0x19)), 0x05, 0x24, 0x00);
    assert.equal(s.fieldByte, 2);
    assertSense(await run(t.lu, cdb.modeSense6(0x08, 0, false, 255, 0x01)), 0x05, 0x24, 0x00);
    assertGood(await run(t.lu, cdb.modeSense6(0x3f, 0, false, 255, 0xff)));
    assert.equal(assertGood(await run(t.lu, cdb.modeSense6(0x3f, 0, false, 4))).length, 4);
  } finally {
    await t.cleanup();
  }
});

test('MODE SELECT turns the write cache off, others get MODE PARAMETERS CHANGED', async () => {
  const t = await fileLu();
  try {
    const a = nexus('iqn.a'),
      b = nexus('iqn.b');
    await clearUa(t.lu, a);
    await clearUa(t.lu, b);
    const page = assertGood(await run(t.lu, cdb.modeSense6(0x08, 0, true), null, a));
    const param = Buffer.from(page);
    param[0] = 0;
    param[2] = 0;
    param[4 + 2] = param[4 + 2]! & ~0x04;
    assertGood(await run(t.lu, [0x15, 0x10, 0, 0, param.length, 0], param, a));
    const after = assertGood(await run(t.lu, cdb.modeSense6(0x08, 0, true), null, a));
    assert.equal(after[6]! & 0x04, 0);
    assertSense(await run(t.lu, cdb.tur(), null, b), 0x06, 0x2a, 0x01);
    // changing a bit that is not changeable
    const bad = Buffer.from(param);
    bad[4 + 3] = 0xff;
    const s = assertSense(await run(t.lu, [0x15, 0x10, 0, 0, bad.length, 0], bad, a), 0x05, 0x26, 0x00);
    assert.equal(s.fieldByte, 7);
    assert.equal(s.inCdb, false);
    assertSense(await run(t.lu, [0x15, 0x11, 0, 0, param.length, 0], param, a), 0x05, 0x39, 0x00); // SP
    assertSense(await run(t.lu, [0x15, 0x10, 0, 0, 2, 0], param.subarray(0, 2), a), 0x05, 0x1a, 0x00);
    // writes still work with the cache off (every write FUA)
    assertGood(await run(t.lu, cdb.write10(0, 1), Buffer.alloc(512, 1), a));
  } finally {
    await t.cleanup();
  }
});

test('SYNCHRONIZE CACHE(10/16) and range check', async () => {
  const t = await fileLu({ sizeBytes: 1 * MiB });
  try {
    await clearUa(t.lu);
    assertGood(await run(t.lu, cdb.syncCache10()));
    assertGood(await run(t.lu, cdb.syncCache16(100, 10)));
    assertSense(await run(t.lu, cdb.syncCache16(2048, 1)), 0x05, 0x21, 0x00);
  } finally {
    await t.cleanup();
  }
});

test('VERIFY(10/16) BYTCHK 0, 1 and 3; miscompare carries the offset', async () => {
  const t = await fileLu();
  try {
    await clearUa(t.lu);
    const d = pattern(1024, 5);
    assertGood(await run(t.lu, cdb.write10(4, 2), d));
    assertGood(await run(t.lu, cdb.verify10(4, 2, 0)));
    assertGood(await run(t.lu, cdb.verify10(4, 2, 1), d));
    const bad = Buffer.from(d);
    bad[700] = bad[700]! ^ 0xff;
    const s = assertSense(await run(t.lu, cdb.verify16(4, 2, 1), bad), 0x0e, 0x1d, 0x00);
    assert.equal(s.information, 700);
    const same = Buffer.alloc(512, 0x5a);
    assertGood(await run(t.lu, cdb.write10(10, 3), Buffer.concat([same, same, same])));
    assertGood(await run(t.lu, cdb.verify16(10, 3, 3), same));
    assertSense(await run(t.lu, cdb.verify16(9, 3, 3), same), 0x0e, 0x1d, 0x00);
    assertSense(await run(t.lu, cdb.verify10(99999, 1)), 0x05, 0x21, 0x00);
    assertGood(await run(t.lu, cdb.verify10(0, 0, 1)));
  } finally {
    await t.cleanup();
  }
});

test('WRITE AND VERIFY(10) writes', async () => {
  const t = await fileLu();
  try {
    await clearUa(t.lu);
    const d = pattern(512, 9);
    assertGood(await run(t.lu, [0x2e, 0x02, ...u32(3), 0, ...u16(1), 0], d));
    assert.deepEqual(assertGood(await run(t.lu, cdb.read10(3, 1))), d);
  } finally {
    await t.cleanup();
  }
});

test('START STOP UNIT: stopped unit is NOT READY 04/02 for media access, TUR; INQUIRY still works', async () => {
  const t = await fileLu();
  try {
    await clearUa(t.lu);
    assertGood(await run(t.lu, [0x1b, 0, 0, 0, 0x00, 0]));
    assertSense(await run(t.lu, cdb.tur()), 0x02, 0x04, 0x02);
    assertSense(await run(t.lu, cdb.read10(0, 1)), 0x02, 0x04, 0x02);
    assertGood(await run(t.lu, cdb.inquiry(false, 0)));
    assertGood(await run(t.lu, [0x1b, 0, 0, 0, 0x01, 0]));
    assertGood(await run(t.lu, cdb.read10(0, 1)));
    // PREVENT blocks an eject
    assertGood(await run(t.lu, [0x1e, 0, 0, 0, 1, 0]));
    assertSense(await run(t.lu, [0x1b, 0, 0, 0, 0x02, 0]), 0x05, 0x53, 0x02);
    assertGood(await run(t.lu, [0x1e, 0, 0, 0, 0, 0]));
    assertGood(await run(t.lu, [0x1b, 0, 0, 0, 0x02, 0]));
    assertGood(await run(t.lu, [0x1b, 0, 0, 0, 0x03, 0]));
    assertGood(await run(t.lu, [0x1b, 1, 0, 0, 0x30, 0])); // power condition: accepted
  } finally {
    await t.cleanup();
  }
});

test('REPORT SUPPORTED OPERATION CODES: all, one command, with service action, RCTD', async () => {
  const t = await fileLu();
  try {
    await clearUa(t.lu);
    const all = assertGood(await run(t.lu, cdb.rsoc(0)));
    const len = all.readUInt32BE(0);
    assert.equal(len % 8, 0);
    const ops: Array<[number, number, boolean, number]> = [];
    for (let at = 4; at < 4 + len; at += 8) ops.push([all[at]!, all.readUInt16BE(at + 2), (all[at + 5]! & 1) === 1, all.readUInt16BE(at + 6)]);
    assert.ok(ops.some(([o, , , l]) => o === 0x28 && l === 10));
    assert.ok(ops.some(([o, sa, sv, l]) => o === 0x9e && sa === 0x10 && sv && l === 16));
    assert.ok(
      ops.some(([o]) => o === 0x42),
      'UNMAP offered on a thin LU',
    );
    // every listed command answers the one-command query with its usage mask
    for (const [op, sa, servactv, cdbLen] of ops) {
      const one = assertGood(await run(t.lu, cdb.rsoc(servactv ? 2 : 1, op, sa)));
      assert.equal(one[1]! & 7, 3, `op ${op.toString(16)} supported`);
      assert.equal(one.readUInt16BE(2), cdbLen);
      assert.equal(one[4], op, 'usage byte 0 is the opcode');
      assertSense(await run(t.lu, cdb.rsoc(servactv ? 1 : 2, op, sa)), 0x05, 0x24, 0x00);
    }
    const rd10 = assertGood(await run(t.lu, cdb.rsoc(1, 0x28)));
    assert.equal(rd10.subarray(4).toString('hex'), '28faffffffff1fffff07');
    const none = assertGood(await run(t.lu, cdb.rsoc(1, 0xc7)));
    assert.equal(none[1]! & 7, 1);
    const rctd = assertGood(await run(t.lu, cdb.rsoc(0, 0, 0, true)));
    const rl = rctd.readUInt32BE(0);
    assert.equal(rl % 20, 0);
    for (let at = 4; at < 4 + rl; at += 20) {
      assert.equal(rctd[at + 5]! & 2, 2, 'CTDP');
      assert.equal(rctd.readUInt16BE(at + 8), 0x0a);
    }
    const oneRctd = assertGood(await run(t.lu, cdb.rsoc(1, 0x2a, 0, true)));
    assert.equal(oneRctd[1]! & 0x80, 0x80);
    assert.equal(oneRctd.length, 4 + 10 + 12);
  } finally {
    await t.cleanup();
  }
});

test('REPORT TARGET PORT GROUPS names the nexus port and group', async () => {
  const t = await fileLu();
  try {
    const n = nexus('iqn.x', '1', 1, 3);
    await clearUa(t.lu, n);
    const d = assertGood(await run(t.lu, [0xa3, 0x0a, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], null, n));
    assert.equal(d.readUInt32BE(0), d.length - 4);
    assert.equal(d[4]! & 0x0f, 0, 'active/optimized');
    assert.equal(d.readUInt16BE(6), 1);
    assert.equal(d[11], 1);
    assert.equal(d.readUInt16BE(14), 3);
    const ext = assertGood(await run(t.lu, [0xa3, 0x2a, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], null, n));
    assert.equal(ext[4], 0x10);
  } finally {
    await t.cleanup();
  }
});

test('memory and null backstores under the same LU', async () => {
  for (const kind of ['memory', 'null'] as const) {
    const backstore = await openBackstore({ kind, sizeBytes: 4 * MiB });
    const t = await fileLu({ backstore });
    try {
      await clearUa(t.lu);
      const d = pattern(4096, 7);
      assertGood(await run(t.lu, cdb.write10(100, 8), d));
      const back = assertGood(await run(t.lu, cdb.read10(100, 8)));
      assert.deepEqual(back, kind === 'memory' ? d : Buffer.alloc(4096));
    } finally {
      await t.cleanup();
    }
  }
});

test('closed LU fails commands without rejecting', async () => {
  const t = await fileLu();
  await clearUa(t.lu);
  await t.lu.close();
  const r = await run(t.lu, cdb.read10(0, 1));
  assert.equal(r.status, 0x02);
  await t.cleanup();
});

test('capacityChanged(sizeBytes) grows memory and null LUs', async () => {
  for (const kind of ['memory', 'null'] as const) {
    const backstore = await openBackstore({ kind, sizeBytes: 1 * MiB });
    const t = await fileLu({ backstore });
    try {
      await clearUa(t.lu);
      await t.lu.capacityChanged(3 * MiB);
      assertSense(await run(t.lu, cdb.readCapacity16()), 0x06, 0x2a, 0x09);
      const d = assertGood(await run(t.lu, cdb.readCapacity16()));
      assert.equal(d.readUInt32BE(4), (3 * MiB) / 512 - 1);
      assertGood(await run(t.lu, cdb.read10((3 * MiB) / 512 - 1, 1)));
    } finally {
      await t.cleanup();
    }
  }
});

test('PRE-FETCH(10/16) checks the range; READ DEFECT DATA(10/12) is an empty list', async () => {
  const t = await fileLu({ sizeBytes: 1 * MiB });
  try {
    await clearUa(t.lu);
    assertGood(await run(t.lu, [0x34, 0x02, ...u32(0), 0x03, ...u16(256), 0]));
    assertGood(await run(t.lu, [0x90, 0, 0, 0, 0, 0, ...u32(2040), ...u32(8), 0, 0]));
    assertSense(await run(t.lu, [0x34, 0, ...u32(2040), 0, ...u16(9), 0]), 0x05, 0x21, 0x00);
    const d10 = assertGood(await run(t.lu, [0x37, 0, 0x0c | 0x05, 0, 0, 0, 0, ...u16(512), 0]));
    assert.deepEqual([...d10], [0, 0x0d, 0, 0]);
    const d12 = assertGood(await run(t.lu, [0xb7, 0x08 | 0x04, 0, 0, 0, 0, ...u32(512), 0, 0]));
    assert.equal(d12.length, 8);
    assert.equal(d12.readUInt32BE(4), 0);
  } finally {
    await t.cleanup();
  }
});

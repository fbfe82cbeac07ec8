/** EXTENDED COPY (LID1), RECEIVE COPY RESULTS and the Third-party Copy VPD page, as CDB and parameter bytes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileLu, run, clearUa, assertGood, assertSense, cdb, nexus, u16, u32, u64, pattern } from './helpers.js';
import type { LogicalUnit } from '../../src/scsi/types.js';
import { naaDesignator } from '../../src/scsi/inquiry.js';

const MiB = 1024 * 1024;
const NAA_A = '6001405aaaaaaaa1';
const NAA_B = '6001405bbbbbbbb2';

const xcopyCdb = (listLength: number, sa = 0) => [0x83, sa, 0, 0, 0, 0, 0, 0, 0, 0, ...u32(listLength), 0, 0];
const rcrCdb = (sa: number, listId = 0, alloc = 1024) => [0x84, sa, listId, 0, 0, 0, 0, 0, 0, 0, ...u32(alloc), 0, 0];

/** An E4h identification CSCD descriptor naming `naa` (NAA, binary, LU association). */
function cscd(naa: string, type = 0xe4, blockLength = 512): number[] {
  const d = Buffer.alloc(32);
  d[0] = type;
  const designator = naaDesignator(naa);
  d[4] = 0x01; // code set binary
  d[5] = 0x03; // association LU, designator type NAA
  d[7] = designator.length;
  designator.copy(d, 8);
  d[29] = (blockLength >> 16) & 0xff;
  d[30] = (blockLength >> 8) & 0xff;
  d[31] = blockLength & 0xff;
  return [...d];
}

/** A 02h block-to-block segment descriptor. */
function segment(src: number, dst: number, blocks: number, srcLba: number, dstLba: number, type = 0x02): number[] {
  return [type, 0, 0, 0x18, ...u16(src), ...u16(dst), 0, 0, ...u16(blocks), ...u64(srcLba), ...u64(dstLba)];
}

function params(targets: number[][], segments: number[][], listId = 1, usage = 0): Buffer {
  const td = targets.flat();
  const sd = segments.flat();
  return Buffer.from([listId, usage << 3, ...u16(td.length), 0, 0, 0, 0, ...u32(sd.length), ...u32(0), ...td, ...sd]);
}

async function xcopy(lu: LogicalUnit, p: Buffer, n = nexus()) {
  return run(lu, xcopyCdb(p.length), p, n);
}

test('INQUIRY: 3PC set; VPD 8Fh lists EXTENDED COPY LID1 and RECEIVE COPY RESULTS; RECEIVE COPY RESULTS OPERATING PARAMETERS', async () => {
  const t = await fileLu({ naa: NAA_A });
  try {
    await clearUa(t.lu);
    const std = assertGood(await run(t.lu, cdb.inquiry(false, 0)));
    assert.equal(std[5]! & 0x08, 0x08, '3PC');
    const p8f = assertGood(await run(t.lu, cdb.inquiry(true, 0x8f)));
    assert.equal(p8f[1], 0x8f);
    assert.equal(p8f.readUInt16BE(2), p8f.length - 4);
    // Supported Commands descriptor first: 83h {00h}, 84h {00h, 03h}.
    assert.deepEqual([...p8f.subarray(4, 16)], [0x00, 0x01, 0x00, 0x08, 0x07, 0x83, 0x01, 0x00, 0x84, 0x02, 0x00, 0x03]);
    // Parameter Data: 4 CSCD, 16 segment descriptors, 1024 bytes of descriptors, no inline data.
    assert.deepEqual([...p8f.subarray(16, 20)], [0x00, 0x08, 0x00, 0x1c]);
    assert.deepEqual([p8f.readUInt16BE(24), p8f.readUInt16BE(26), p8f.readUInt32BE(28), p8f.readUInt32BE(32)], [4, 16, 1024, 0]);
    // Supported Descriptors: 02h and E4h, padded to 4 bytes.
    assert.deepEqual([...p8f.subarray(48, 56)], [0x80, 0x01, 0x00, 0x04, 0x02, 0x02, 0xe4, 0x00]);
    // General Copy Operations: MAXIMUM SEGMENT LENGTH, DATA SEGMENT GRANULARITY.
    assert.deepEqual([...p8f.subarray(56, 60)], [0x80, 0x03, 0x00, 0x1c]);
    assert.deepEqual([p8f.readUInt32BE(68), p8f[72]], [0xffff * 512, 9]);
    assert.equal(p8f.length, 88);
    const op = assertGood(await run(t.lu, rcrCdb(0x03)));
    assert.equal(op.length, 46);
    assert.equal(op.readUInt32BE(0), 42);
    assert.equal(op[4]! & 0x01, 1, 'SNLID');
    assert.deepEqual([op.readUInt16BE(8), op.readUInt16BE(10), op.readUInt32BE(12), op.readUInt32BE(16), op.readUInt32BE(20)], [4, 16, 1024, 0xffff * 512, 0]);
    assert.equal(op[37], 9, 'data segment granularity 2^9');
    assert.deepEqual([...op.subarray(43)], [2, 0x02, 0xe4]);
    assert.deepEqual([...assertGood(await run(t.lu, rcrCdb(0x03, 0, 8)))], [0, 0, 0, 42, 1, 0, 0, 0]);
    const s = assertSense(await run(t.lu, rcrCdb(0x01)), 0x05, 0x24, 0x00); // RECEIVE DATA: not supported
    assert.deepEqual([s.fieldByte, s.fieldBit], [1, 4]);
    assertSense(await run(t.lu, xcopyCdb(0, 0x01)), 0x05, 0x24, 0x00); // LID4 EXTENDED COPY
    const rsoc = assertGood(await run(t.lu, cdb.rsoc(2, 0x83, 0x00)));
    assert.deepEqual([...rsoc.subarray(0, 6)], [0, 0x03, 0, 16, 0x83, 0x1f]);
  } finally {
    await t.cleanup();
  }
});

test('EXTENDED COPY within one LU and from one LU to another; COPY STATUS of a held list', async () => {
  const a = await fileLu({ naa: NAA_A, sizeBytes: 8 * MiB });
  const b = await fileLu({ naa: NAA_B, sizeBytes: 8 * MiB });
  try {
    await clearUa(a.lu);
    await clearUa(b.lu);
    const data = pattern(3000 * 512, 7); // more than one 1 MiB step
    assertGood(await run(a.lu, cdb.write16(0, 3000), data));
    assertSense(await run(a.lu, rcrCdb(0x00, 1)), 0x05, 0x24, 0x00); // nothing held yet
    assertGood(await xcopy(a.lu, params([cscd(NAA_A)], [segment(0, 0, 3000, 0, 10000)], 1, 0)));
    assert.deepEqual(assertGood(await run(a.lu, cdb.read16(10000, 3000))), data);
    // COPY STATUS: completed, 1 segment, 1500 KiB.
    assert.deepEqual([...assertGood(await run(a.lu, rcrCdb(0x00, 1)))], [0, 0, 0, 8, 0x01, 0, 1, 0x01, 0, 0, 0x05, 0xdc]);
    // Another nexus does not see this nexus's list.
    await clearUa(a.lu, nexus('iqn.other'));
    assertSense(await run(a.lu, rcrCdb(0x00, 1), null, nexus('iqn.other')), 0x05, 0x24, 0x00);
    // A to B, with the command sent to B (CSCD 0 is A, 1 is B).
    assertGood(await xcopy(b.lu, params([cscd(NAA_A), cscd(NAA_B)], [segment(0, 1, 3000, 0, 5)], 2, 2)));
    assert.deepEqual(assertGood(await run(b.lu, cdb.read16(5, 3000))), data);
    assertSense(await run(b.lu, rcrCdb(0x00, 2)), 0x05, 0x24, 0x00); // LIST ID USAGE 10b: not held
    // Overlapping within one LU, forwards: the result is a copy of the original range.
    assertGood(await xcopy(a.lu, params([cscd(NAA_A)], [segment(0, 0, 3000, 0, 100)], 0, 3)));
    assert.deepEqual(assertGood(await run(a.lu, cdb.read16(100, 3000))), data);
    // Zero-length parameter list: nothing to do.
    assertGood(await run(a.lu, xcopyCdb(0), null));
  } finally {
    await a.cleanup();
    await b.cleanup();
  }
});

test('EXTENDED COPY parameter list errors: lengths, descriptor counts and types, indexes, capacity, unknown LU', async () => {
  const t = await fileLu({ naa: NAA_A, sizeBytes: 8 * MiB }); // 16384 blocks
  try {
    await clearUa(t.lu);
    const before = pattern(16 * 512, 3);
    assertGood(await run(t.lu, cdb.write16(16368, 16), before));
    const good1 = params([cscd(NAA_A)], [segment(0, 0, 16, 0, 16368)]);
    // Truncated lists and a too-long descriptor list: PARAMETER LIST LENGTH ERROR.
    for (const size of [8, 16 + 31, good1.length - 1]) {
      assertSense(await run(t.lu, xcopyCdb(size), good1.subarray(0, size)), 0x05, 0x1a, 0x00);
    }
    const long = params(Array(5).fill(cscd(NAA_A)), Array(40).fill(segment(0, 0, 1, 0, 1)));
    assertSense(await xcopy(t.lu, long), 0x05, 0x1a, 0x00);
    // Data-Out shorter than the parameter list length.
    assertSense(await run(t.lu, xcopyCdb(good1.length), good1.subarray(0, 20)), 0x05, 0x0e, 0x03);
    assertSense(await xcopy(t.lu, params(Array(5).fill(cscd(NAA_A)), [segment(0, 0, 1, 0, 1)])), 0x05, 0x26, 0x06);
    assertSense(await xcopy(t.lu, params([cscd(NAA_A)], Array(17).fill(segment(0, 0, 1, 0, 1)))), 0x05, 0x26, 0x08);
    let s = assertSense(await xcopy(t.lu, params([cscd(NAA_A, 0xe0)], [segment(0, 0, 1, 0, 1)])), 0x05, 0x26, 0x07);
    assert.deepEqual([s.inCdb, s.fieldByte], [false, 16]);
    const streamToStream = [0x03, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    s = assertSense(await xcopy(t.lu, params([cscd(NAA_A)], [streamToStream])), 0x05, 0x26, 0x09);
    assert.equal(s.fieldByte, 48);
    // Wrong DISK BLOCK LENGTH; non-disk peripheral type.
    assertSense(await xcopy(t.lu, params([cscd(NAA_A, 0xe4, 4096)], [segment(0, 0, 1, 0, 1)])), 0x05, 0x26, 0x00);
    const tape = cscd(NAA_A);
    tape[1] = 0x01;
    assertSense(await xcopy(t.lu, params([tape], [segment(0, 0, 1, 0, 1)])), 0x05, 0x26, 0x00);
    // COPY ABORTED: a CSCD index with no descriptor, an LU this process does not serve,
    // a segment past the end (nothing written).
    assertSense(await xcopy(t.lu, params([cscd(NAA_A)], [segment(0, 1, 16, 0, 100)])), 0x0a, 0x08, 0x04);
    assertSense(await xcopy(t.lu, params([cscd('6001405fffffff99')], [segment(0, 0, 16, 0, 100)])), 0x0a, 0x08, 0x04);
    assertSense(await xcopy(t.lu, params([cscd(NAA_A)], [segment(0, 0, 16, 0, 16383)])), 0x0a, 0x00, 0x00);
    assertSense(await xcopy(t.lu, params([cscd(NAA_A)], [segment(0, 0, 16, 16380, 0)])), 0x0a, 0x00, 0x00);
    assert.deepEqual(assertGood(await run(t.lu, cdb.read16(16368, 16))), before);
    // The failed copy's status is held (LIST ID USAGE 00b): completed with error, 0 segments.
    assert.deepEqual([...assertGood(await run(t.lu, rcrCdb(0x00, 1))).subarray(4, 8)], [0x02, 0, 0, 0x01]);
    // LIST ID USAGE 01b is reserved; 11b needs LIST IDENTIFIER 0.
    assertSense(await xcopy(t.lu, params([cscd(NAA_A)], [segment(0, 0, 1, 0, 1)], 1, 1)), 0x05, 0x26, 0x00);
    assertSense(await xcopy(t.lu, params([cscd(NAA_A)], [segment(0, 0, 1, 0, 1)], 1, 3)), 0x05, 0x26, 0x00);
    // A held status goes with its nexus.
    t.lu.nexusGone(nexus());
    await clearUa(t.lu);
    assertSense(await run(t.lu, rcrCdb(0x00, 1)), 0x05, 0x24, 0x00);
  } finally {
    await t.cleanup();
  }
});

test('EXTENDED COPY: reservation conflicts on source or destination, write-protected destination, closed LU', async () => {
  const a = await fileLu({ naa: NAA_A, sizeBytes: 8 * MiB });
  const b = await fileLu({ naa: NAA_B, sizeBytes: 8 * MiB });
  const ro = await fileLu({ naa: '6001405ccccccc03', sizeBytes: 8 * MiB, readOnly: true });
  const other = nexus('iqn.2026-01.test:other');
  try {
    for (const lu of [a.lu, b.lu, ro.lu]) {
      await clearUa(lu);
      await clearUa(lu, other);
    }
    const aToB = params([cscd(NAA_A), cscd(NAA_B)], [segment(0, 1, 8, 0, 0)], 0, 3);
    // B reserved (SPC-2 RESERVE) by another initiator: the copy into B conflicts.
    assertGood(await run(b.lu, [0x16, 0, 0, 0, 0, 0], null, other));
    assert.equal((await xcopy(a.lu, aToB)).status, 0x18);
    assertGood(await run(b.lu, [0x17, 0, 0, 0, 0, 0], null, other));
    // A (the source) reserved by another initiator.
    assertGood(await run(a.lu, [0x16, 0, 0, 0, 0, 0], null, other));
    assert.equal((await xcopy(b.lu, aToB)).status, 0x18);
    assertGood(await run(a.lu, [0x17, 0, 0, 0, 0, 0], null, other));
    assertGood(await xcopy(a.lu, aToB));
    assertSense(await xcopy(a.lu, params([cscd(NAA_A), cscd('6001405ccccccc03')], [segment(0, 1, 8, 0, 0)], 0, 3)), 0x07, 0x27, 0x00);
    await b.lu.close();
    assertSense(await xcopy(a.lu, aToB), 0x0a, 0x08, 0x04);
  } finally {
    await a.cleanup();
    await b.cleanup();
    await ro.cleanup();
  }
});

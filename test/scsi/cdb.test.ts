/** CDB decoding and sense building as pure functions over byte vectors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cdbLength,
  decodeBlockIo,
  decodeInquiry,
  decodeModeSense,
  decodeReportSupportedOpcodes,
  decodeStartStop,
  decodeSynchronizeCache,
  decodeWriteSame,
  readU64,
  writeU64,
  buildReportLuns,
  dataOutLength,
} from '../../src/scsi/cdb.js';
import { ScsiCheckCondition, buildFixedSense, parseSense, invalidFieldInCdb } from '../../src/scsi/sense.js';
import { naaDesignator } from '../../src/scsi/inquiry.js';

const b = (...bytes: number[]): Buffer => Buffer.from(bytes);

function throwsField(fn: () => unknown, byte: number, bit?: number): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ScsiCheckCondition);
    assert.equal(e.senseKey, 0x05);
    assert.equal(e.asc, 0x24);
    assert.equal(e.field?.byte, byte);
    if (bit !== undefined) assert.equal(e.field?.bit, bit);
    return true;
  });
}

test('cdbLength by group code', () => {
  assert.equal(cdbLength(0x00), 6);
  assert.equal(cdbLength(0x28), 10);
  assert.equal(cdbLength(0x5a), 10);
  assert.equal(cdbLength(0x88), 16);
  assert.equal(cdbLength(0xa8), 12);
  assert.equal(cdbLength(0xc0), 0);
});

test('READ(6): 21-bit LBA, transfer length 0 means 256 blocks', () => {
  assert.deepEqual(decodeBlockIo(b(0x08, 0x1f, 0xff, 0xfe, 0x00, 0x00)), { lba: 0x1ffffe, blocks: 256, fua: false, dpo: false, bytchk: 0 });
  assert.deepEqual(decodeBlockIo(b(0x08, 0xe0, 0x00, 0x10, 0x08, 0x00)), { lba: 0x10, blocks: 8, fua: false, dpo: false, bytchk: 0 });
});

test('READ(10)/WRITE(10): LBA, length, FUA, DPO; 0 blocks stays 0', () => {
  assert.deepEqual(decodeBlockIo(b(0x28, 0x18, 0x12, 0x34, 0x56, 0x78, 0x00, 0x01, 0x00, 0x00)), {
    lba: 0x12345678,
    blocks: 256,
    fua: true,
    dpo: true,
    bytchk: 0,
  });
  assert.equal(decodeBlockIo(b(0x2a, 0, 0, 0, 0, 1, 0, 0, 0, 0)).blocks, 0);
});

test('READ(12) and READ(16) wide fields', () => {
  assert.deepEqual(decodeBlockIo(b(0xa8, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0)), { lba: 256, blocks: 65536, fua: false, dpo: false, bytchk: 0 });
  const r16 = decodeBlockIo(b(0x88, 0x08, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0));
  assert.equal(r16.lba, 2 ** 32);
  assert.equal(r16.blocks, 8);
  assert.equal(r16.fua, true);
});

test('protection information fields are rejected with a bit pointer', () => {
  throwsField(() => decodeBlockIo(b(0x28, 0x20, 0, 0, 0, 0, 0, 0, 1, 0)), 1, 7);
  throwsField(() => decodeBlockIo(b(0x8a, 0xe0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0)), 1, 7);
});

test('VERIFY: BYTCHK decoding and reserved 10b', () => {
  assert.equal(decodeBlockIo(b(0x2f, 0x02, 0, 0, 0, 0, 0, 0, 1, 0)).bytchk, 1);
  assert.equal(decodeBlockIo(b(0x2f, 0x06, 0, 0, 0, 0, 0, 0, 1, 0)).bytchk, 3);
  throwsField(() => decodeBlockIo(b(0x2f, 0x04, 0, 0, 0, 0, 0, 0, 1, 0)), 1, 2);
  // FUA bit means nothing for VERIFY
  assert.equal(decodeBlockIo(b(0x8f, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0)).fua, false);
});

test('SYNCHRONIZE CACHE(10/16)', () => {
  assert.deepEqual(decodeSynchronizeCache(b(0x35, 0x02, 0, 0, 0, 9, 0, 0, 4, 0)), { lba: 9, blocks: 4, immed: true });
  assert.deepEqual(decodeSynchronizeCache(b(0x91, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0)), { lba: 7, blocks: 0, immed: false });
});

test('WRITE SAME(10/16): UNMAP, ANCHOR, NDOB', () => {
  assert.deepEqual(decodeWriteSame(b(0x41, 0x08, 0, 0, 0, 5, 0, 0, 3, 0)), { lba: 5, blocks: 3, unmap: true, anchor: false, ndob: false });
  assert.deepEqual(decodeWriteSame(b(0x93, 0x19, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0)), { lba: 1, blocks: 256, unmap: true, anchor: true, ndob: true });
});

test('INQUIRY: page code without EVPD and CMDDT are invalid fields', () => {
  assert.deepEqual(decodeInquiry(b(0x12, 0x01, 0x83, 0x01, 0x00, 0)), { evpd: true, pageCode: 0x83, allocationLength: 256 });
  throwsField(() => decodeInquiry(b(0x12, 0x00, 0x80, 0, 255, 0)), 2);
  throwsField(() => decodeInquiry(b(0x12, 0x02, 0x00, 0, 255, 0)), 1, 1);
});

test('MODE SENSE(6/10) fields', () => {
  assert.deepEqual(decodeModeSense(b(0x1a, 0x08, 0x48, 0x00, 0xc0, 0)), {
    ten: false,
    dbd: true,
    llbaa: false,
    pageControl: 1,
    pageCode: 8,
    subpageCode: 0,
    allocationLength: 0xc0,
  });
  assert.deepEqual(decodeModeSense(b(0x5a, 0x10, 0xff, 0xff, 0, 0, 0, 0x10, 0x00, 0)), {
    ten: true,
    dbd: false,
    llbaa: true,
    pageControl: 3,
    pageCode: 0x3f,
    subpageCode: 0xff,
    allocationLength: 4096,
  });
});

test('START STOP UNIT and REPORT SUPPORTED OPERATION CODES', () => {
  assert.deepEqual(decodeStartStop(b(0x1b, 1, 0, 0, 0x03, 0)), { immed: true, powerCondition: 0, noFlush: false, loej: true, start: true });
  assert.deepEqual(decodeReportSupportedOpcodes(b(0xa3, 0x0c, 0x82, 0x9e, 0x00, 0x10, 0, 0, 2, 0, 0, 0)), {
    rctd: true,
    options: 2,
    opcode: 0x9e,
    serviceAction: 0x10,
    allocationLength: 512,
  });
  throwsField(() => decodeReportSupportedOpcodes(b(0xa3, 0x0c, 0x04, 0, 0, 0, 0, 0, 2, 0, 0, 0)), 2, 2);
});

test('64-bit fields round trip', () => {
  const buf = Buffer.alloc(8);
  writeU64(buf, 0, 2 ** 40 + 5);
  assert.equal(buf.toString('hex'), '0000010000000005');
  assert.equal(readU64(buf, 0), 2 ** 40 + 5);
});

test('fixed sense data layout with field pointer and information', () => {
  const s = buildFixedSense(0x05, 0x24, 0x00, { inCdb: true, byte: 2, bit: 5 }, 0x1234);
  assert.equal(s.toString('hex'), 'f0000500001234' + '0a' + '00000000' + '2400' + '00' + 'cd0002');
  const p = parseSense(invalidFieldInCdb(7).toSense());
  assert.deepEqual(p, { key: 5, asc: 0x24, ascq: 0, sksv: true, inCdb: true, fieldByte: 7 });
});

test('NAA designators are always valid NAA 5 or NAA 6', () => {
  assert.equal(naaDesignator('5001405abcdef012').toString('hex'), '5001405abcdef012');
  assert.equal(naaDesignator('0x6589CFC0001234567'.slice(0, 18)).toString('hex'), '6589cfc00012345600000000000000000'.slice(0, 32));
  assert.equal(naaDesignator('6589cfc000123456').toString('hex'), '6589cfc0001234560000000000000000');
  const full = '6001405abcdef0120123456789abcdef';
  assert.equal(naaDesignator(full).toString('hex'), full);
  const odd = naaDesignator('1234');
  assert.equal(odd.length, 16);
  assert.equal(odd[0]! >> 4, 6);
  assert.deepEqual(naaDesignator('1234'), odd, 'stable');
});

test('dataOutLength: SPDTL of Data-Out commands, undefined for the rest', () => {
  assert.equal(dataOutLength(b(0x0a, 0, 0, 0, 0, 0), 512), 256 * 512);
  assert.equal(dataOutLength(b(0x2a, 0, 0, 0, 0, 0, 0, 0, 3, 0), 4096), 3 * 4096);
  assert.equal(dataOutLength(b(0x8a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0), 512), 65536 * 512);
  assert.equal(dataOutLength(b(0x2f, 0x00, 0, 0, 0, 0, 0, 0, 3, 0), 512), 0);
  assert.equal(dataOutLength(b(0x2f, 0x02, 0, 0, 0, 0, 0, 0, 3, 0), 512), 1536);
  assert.equal(dataOutLength(b(0x2f, 0x06, 0, 0, 0, 0, 0, 0, 3, 0), 512), 512);
  assert.equal(dataOutLength(b(0x93, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0), 512), 0);
  assert.equal(dataOutLength(b(0x89, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0), 512), 2048);
  assert.equal(dataOutLength(b(0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0), 512), 24);
  assert.equal(dataOutLength(b(0x5f, 0, 0, 0, 0, 0, 0, 0, 24, 0), 512), 24);
  assert.equal(dataOutLength(b(0x28, 0, 0, 0, 0, 0, 0, 0, 3, 0), 512), undefined);
});

test('REPORT LUNS list', () => {
  const r = buildReportLuns([3, 0, 1], 1024);
  assert.equal(r.toString('hex'), '00000018' + '00000000' + '0000000000000000' + '0001000000000000' + '0003000000000000');
  assert.equal(buildReportLuns([0], 16).length, 16);
});

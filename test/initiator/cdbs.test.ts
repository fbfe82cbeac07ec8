/** The initiator's CDBs and answer decoding, as bytes (SBC-3, SPC-4). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  READ_CAPACITY_10,
  READ_CAPACITY_16,
  SYNCHRONIZE_CACHE,
  describeSense,
  inquiryVpdCdb,
  parseBlockLimits,
  parseCapacity10,
  parseCapacity16,
  parseSense,
  parseUnmapSupported,
  readCdb,
  unmapCommand,
  writeCdb,
} from '../../src/initiator/cdbs.js';

const hex = (b: Buffer) => b.toString('hex');

test('READ and WRITE use the 10-byte form while LBA and length fit, FUA in byte 1', () => {
  assert.equal(hex(readCdb(0x12345678, 0x100)), '28001234567800010000');
  assert.equal(hex(writeCdb(7, 8, false)), '2a000000000700000800');
  assert.equal(hex(writeCdb(7, 8, true)), '2a080000000700000800');
  // The last block of a 2 TiB LUN at 512 bytes still fits READ(10).
  assert.equal(readCdb(0xffffffff, 1)[0], 0x28);
});

test('past LBA 2^32 - 1 or 65535 blocks: READ(16) / WRITE(16) with a 64-bit LBA', () => {
  assert.equal(hex(readCdb(0xffffffff, 2)), '880000000000ffffffff000000020000');
  assert.equal(hex(writeCdb(2 ** 33 + 5, 16, true)), '8a080000000200000005000000100000');
  assert.equal(hex(writeCdb(0, 0x10000, false)), '8a000000000000000000000100000000');
});

test('the fixed CDBs: READ CAPACITY(16) asks for 32 bytes in bytes 10-13, SYNCHRONIZE CACHE(10) the whole LU', () => {
  assert.equal(hex(READ_CAPACITY_16), '9e100000000000000000000000200000');
  assert.equal(hex(READ_CAPACITY_10), '25000000000000000000');
  assert.equal(hex(SYNCHRONIZE_CACHE), '35000000000000000000');
  assert.equal(hex(inquiryVpdCdb(0xb0)), '1201b0004000');
});

test('READ CAPACITY(16): blocks, block size, LBPME and LBPRZ; (10) hands over at FFFFFFFFh', () => {
  const rc16 = Buffer.from(`000000000001ffff000002000003c000${'00'.repeat(16)}`, 'hex');
  assert.deepEqual(parseCapacity16(rc16), { blocks: 0x20000, blockSize: 512, thin: true, zeroesUnmapped: true });
  const plain = Buffer.from('00000002540be3ff00001000000300000000', 'hex');
  assert.deepEqual(parseCapacity16(plain), { blocks: 10_000_000_000, blockSize: 4096, thin: false, zeroesUnmapped: false });
  assert.deepEqual(parseCapacity10(Buffer.from('0001ffff00000200', 'hex')), { blocks: 0x20000, blockSize: 512, thin: false, zeroesUnmapped: false });
  assert.equal(parseCapacity10(Buffer.from('ffffffff00000200', 'hex')), null);
  assert.throws(() => parseCapacity16(Buffer.alloc(8)), /8 bytes/);
});

test('Block Limits and Logical Block Provisioning VPD pages (as tgt answers them)', () => {
  const thin = Buffer.from('00b0003c00800000000001000000000000000000ffffffffffffffff', 'hex');
  assert.deepEqual(parseBlockLimits(thin), { maxTransferBlocks: 0x100, maxUnmapBlocks: 0xffffffff });
  assert.deepEqual(parseBlockLimits(Buffer.from('00b2000400e40200', 'hex')), { maxTransferBlocks: 0, maxUnmapBlocks: 0 });
  assert.deepEqual(parseBlockLimits(Buffer.alloc(0)), { maxTransferBlocks: 0, maxUnmapBlocks: 0 });
  assert.equal(parseUnmapSupported(Buffer.from('00b2000400e40200', 'hex')), true);
  assert.equal(parseUnmapSupported(Buffer.from('00b2000400000000', 'hex')), false);
  assert.equal(parseUnmapSupported(Buffer.from('00b0000400e40200', 'hex')), false);
});

test('UNMAP: one block descriptor, lengths in the header and the CDB', () => {
  const { cdb, parameters } = unmapCommand(2 ** 32 + 1, 0x800);
  assert.equal(hex(cdb), '42000000000000001800');
  assert.equal(hex(parameters), '001600100000000000000001000000010000080000000000');
});

test('sense: fixed and descriptor formats; anything else is none', () => {
  const fixed = Buffer.from('700006000000000a00000000290000000000', 'hex');
  assert.deepEqual(parseSense(fixed), { key: 6, asc: 0x29, ascq: 0 });
  assert.deepEqual(parseSense(Buffer.from('72052000', 'hex')), { key: 5, asc: 0x20, ascq: 0 });
  assert.equal(parseSense(Buffer.from('7000', 'hex')), null);
  assert.equal(parseSense(null), null);
  assert.equal(describeSense(parseSense(fixed)), 'sense 06/29/00');
  assert.equal(describeSense(null), 'no sense data');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c, crc32cPadded } from '../../src/iscsi/crc32c.js';

/** RFC 3720 B.4: CRC examples, digest bytes as they go on the wire. */
function wire(crc: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(crc, 0);
  return b.toString('hex');
}

test('RFC 3720 B.4: 32 bytes of zeros', () => {
  assert.equal(wire(crc32c(Buffer.alloc(32))), 'aa36918a');
});

test('RFC 3720 B.4: 32 bytes of ones', () => {
  assert.equal(wire(crc32c(Buffer.alloc(32, 0xff))), '43aba862');
});

test('RFC 3720 B.4: 32 incrementing bytes', () => {
  assert.equal(wire(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))), '4e79dd46');
});

test('RFC 3720 B.4: 32 decrementing bytes', () => {
  assert.equal(wire(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)))), '5cdb3f11');
});

test('RFC 3720 B.4: an iSCSI SCSI Read (10) command PDU', () => {
  const pdu = Buffer.from(
    '01c00000' + '00000000' + '00000000' + '00000000' + '14000000' + '00000400' + '00000014' + '00000018' + '28000000' + '00000000' + '02000000' + '00000000',
    'hex',
  );
  assert.equal(wire(crc32c(pdu)), '563a96d9');
});

test('check value of "123456789"', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
});

test('incremental and unaligned computation equals one pass', () => {
  const buf = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7 + 3) & 0xff));
  const whole = crc32c(buf);
  for (const cut of [1, 3, 7, 8, 9, 500, 999]) {
    assert.equal(crc32c(buf, crc32c(buf, 0, 0, cut), cut), whole, `cut at ${cut}`);
  }
  assert.equal(crc32c(buf.subarray(3)), crc32c(buf, 0, 3));
});

test('padded digest covers the pad bytes', () => {
  const d = Buffer.from([1, 2, 3, 4, 5]);
  assert.equal(crc32cPadded(d), crc32c(Buffer.from([1, 2, 3, 4, 5, 0, 0, 0])));
  assert.equal(crc32cPadded(Buffer.alloc(8, 9)), crc32c(Buffer.alloc(8, 9)));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { crc32c, crc32cJs, crc32cNative, crc32cImplementation, crc32cPadded } from '../../src/iscsi/crc32c.js';
import { findAddon } from '../../src/backstore/native.js';

type Impl = (buf: Uint8Array, crc?: number, start?: number, end?: number) => number;
const hw = crc32cNative();
/** Every CRC32C the build has: the JavaScript one always, the CPU's when the addon exports it. */
const IMPLS: Array<[string, Impl]> = [['js', crc32cJs]];
if (hw) IMPLS.push([crc32cImplementation().name, (b, c = 0, s = 0, e = b.length) => hw(b, c, s, e)]);

/** The CPU flag the addon checks (cpuid SSE4_2 / HWCAP_CRC32), as /proc/cpuinfo shows it. */
function cpuHasCrc32c(): boolean {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    return process.arch === 'x64' ? /^flags\s*:.*\bsse4_2\b/m.test(info) : process.arch === 'arm64' ? /^Features\s*:.*\bcrc32\b/m.test(info) : false;
  } catch {
    return false;
  }
}

/** RFC 3720 B.4: CRC examples, digest bytes as they go on the wire. */
function wire(crc: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(crc, 0);
  return b.toString('hex');
}

for (const [name, f] of IMPLS) {
  test(`${name}: RFC 3720 B.4: 32 bytes of zeros`, () => {
    assert.equal(wire(f(Buffer.alloc(32))), 'aa36918a');
  });

  test(`${name}: RFC 3720 B.4: 32 bytes of ones`, () => {
    assert.equal(wire(f(Buffer.alloc(32, 0xff))), '43aba862');
  });

  test(`${name}: RFC 3720 B.4: 32 incrementing bytes`, () => {
    assert.equal(wire(f(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))), '4e79dd46');
  });

  test(`${name}: RFC 3720 B.4: 32 decrementing bytes`, () => {
    assert.equal(wire(f(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)))), '5cdb3f11');
  });

  test(`${name}: RFC 3720 B.4: an iSCSI SCSI Read (10) command PDU`, () => {
    const pdu = Buffer.from(
      '01c00000' + '00000000' + '00000000' + '00000000' + '14000000' + '00000400' + '00000014' + '00000018' + '28000000' + '00000000' + '02000000' + '00000000',
      'hex',
    );
    assert.equal(wire(f(pdu)), '563a96d9');
  });

  test(`${name}: check value of "123456789"`, () => {
    assert.equal(f(Buffer.from('123456789')), 0xe3069283);
  });
}

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

test("the CPU's CRC32C is in use wherever the addon is built and the CPU has the instruction", () => {
  const impl = crc32cImplementation();
  const addon = findAddon();
  if (addon !== null && existsSync(addon) && cpuHasCrc32c() && process.env['SANBOX_CRC32C'] !== 'js') {
    assert.notEqual(impl.name, 'js', impl.fallbackReason);
    assert.ok(hw);
  }
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283, impl.name);
});

test('native and JavaScript agree on random buffers of every length 0..4096 at offsets 0..7', {
  skip: hw ? false : `no native CRC32C: ${crc32cImplementation().fallbackReason}`,
}, () => {
  const big = randomBytes(4096 + 16);
  for (let off = 0; off < 8; off++) {
    for (let len = 0; len <= 4096; len++) {
      // a view starting at an odd address, and the same bytes by start/end in the whole buffer
      const view = big.subarray(off, off + len);
      const want = crc32cJs(view);
      assert.equal(hw!(view, 0, 0, len), want, `view at ${off}, length ${len}`);
      assert.equal(hw!(big, 0, off, off + len), want, `start ${off}, length ${len}`);
    }
  }
  // continued from a running value, as the receive path does over data then pad
  for (const cut of [0, 1, 5, 8, 13, 4095, 4096]) {
    const seed = crc32cJs(big, 0, 0, cut);
    assert.equal(hw!(big, seed, cut, 4096 + 16), crc32cJs(big, seed, cut, 4096 + 16), `continued at ${cut}`);
  }
});

test('native CRC32C rejects a range outside the buffer and non-Uint8Array input', { skip: !hw }, () => {
  const b = Buffer.alloc(16);
  assert.throws(() => hw!(b, 0, 0, 17), RangeError);
  assert.throws(() => hw!(b, 0, 9, 8), RangeError);
  assert.throws(() => hw!(new Uint16Array(4) as unknown as Uint8Array, 0, 0, 4), TypeError);
});

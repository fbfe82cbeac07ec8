/** RangeBackstore over an in-memory block transport: translation, bounds, discard both ways. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { RangeBackstore, RangeBoundsError } from '../../src/backstore/range.js';
import type { BlockTransport, TransportHealth } from '../../src/backstore/transport.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** A medium in memory that records what was asked of it. */
class MemoryTransport implements BlockTransport {
  readonly bytes: Buffer;
  readonly calls: string[] = [];
  discard?: (offset: number, length: number) => Promise<boolean>;
  constructor(
    size: number,
    readonly blockSize = 512,
    deallocates = false,
  ) {
    this.bytes = Buffer.alloc(size);
    if (deallocates) {
      this.discard = async (offset, length) => {
        this.calls.push(`discard ${offset}+${length}`);
        this.bytes.fill(0, offset, offset + length);
        return true;
      };
    }
  }
  get sizeBytes(): number {
    return this.bytes.length;
  }
  async read(buf: Buffer, offset: number): Promise<void> {
    this.calls.push(`read ${offset}+${buf.length}`);
    this.bytes.copy(buf, 0, offset, offset + buf.length);
  }
  async write(buf: Buffer, offset: number, fua: boolean): Promise<void> {
    this.calls.push(`write ${offset}+${buf.length}${fua ? ' fua' : ''}`);
    buf.copy(this.bytes, offset);
  }
  async flush(): Promise<void> {
    this.calls.push('flush');
  }
  state: TransportHealth['state'] = 'connected';
  health(): TransportHealth {
    return { state: this.state, since: 0, lastError: null };
  }
}

test("offsets are translated to the range; size, kind, mapped and refreshSize are the range's", async () => {
  const t = new MemoryTransport(8 * MiB);
  const r = new RangeBackstore(t, 3 * MiB, 2 * MiB);
  assert.equal(r.kind, 'range');
  assert.equal(r.sizeBytes, 2 * MiB);
  const data = randomBytes(64 * KiB);
  await r.write(data, 4096, true);
  assert.ok(t.bytes.subarray(3 * MiB + 4096, 3 * MiB + 4096 + data.length).equals(data));
  const back = Buffer.alloc(data.length);
  await r.read(back, 4096);
  assert.ok(back.equals(data));
  await r.flush();
  assert.deepEqual(t.calls, [`write ${3 * MiB + 4096}+${64 * KiB} fua`, `read ${3 * MiB + 4096}+${64 * KiB}`, 'flush']);
  assert.deepEqual(await r.mapped(0, 2 * MiB), [{ offset: 0, length: 2 * MiB, mapped: true }]);
  assert.equal(await r.refreshSize(), 2 * MiB);
  assert.equal(r.health().state, 'connected');
});

test('I/O past the range or off the block grid is refused and never reaches the medium', async () => {
  const t = new MemoryTransport(4 * MiB);
  const r = new RangeBackstore(t, MiB, MiB);
  const before = Buffer.from(t.bytes);
  const refused = (e: unknown) => e instanceof RangeBoundsError && (e as RangeBoundsError).code === 'ERANGE';
  await assert.rejects(r.write(Buffer.alloc(1024), MiB - 512, false), refused);
  await assert.rejects(r.write(Buffer.alloc(512), -512, false), refused);
  await assert.rejects(r.read(Buffer.alloc(1024), MiB), refused);
  await assert.rejects(r.write(Buffer.alloc(512), 100, false), refused);
  await assert.rejects(r.read(Buffer.alloc(100), 0), refused);
  await assert.rejects(r.discard(MiB - 512, 1024), refused);
  await assert.rejects(r.mapped(0, MiB + 512), refused);
  assert.deepEqual(t.calls, []);
  assert.ok(t.bytes.equals(before));
});

test('a range must lie on the medium, on its block grid', () => {
  const t = new MemoryTransport(4 * MiB, 4096);
  assert.throws(() => new RangeBackstore(t, 3 * MiB, 2 * MiB), /ends past the medium/);
  assert.throws(() => new RangeBackstore(t, 512, MiB), /aligned to 4096-byte blocks/);
  assert.throws(() => new RangeBackstore(t, 0, 0), /not a positive byte range/);
  assert.throws(() => new RangeBackstore(t, -4096, 4096), /not a positive byte range/);
  assert.equal(new RangeBackstore(t, 0, 4 * MiB).sizeBytes, 4 * MiB);
});

test('discard: the medium deallocates when it can promise zeros, else zeros are written', async () => {
  for (const deallocates of [true, false]) {
    const t = new MemoryTransport(8 * MiB, 512, deallocates);
    t.bytes.fill(0xaa);
    const r = new RangeBackstore(t, 2 * MiB, 4 * MiB);
    await r.discard(512, 2 * MiB + 1024);
    const inRange = t.bytes.subarray(2 * MiB + 512, 2 * MiB + 512 + 2 * MiB + 1024);
    assert.ok(
      inRange.every((b) => b === 0),
      `zeros (deallocates: ${deallocates})`,
    );
    assert.equal(t.bytes[2 * MiB + 511], 0xaa);
    assert.equal(t.bytes[2 * MiB + 512 + 2 * MiB + 1024], 0xaa);
    if (deallocates) assert.deepEqual(t.calls, [`discard ${2 * MiB + 512}+${2 * MiB + 1024}`]);
    else assert.deepEqual(t.calls, [`write ${2 * MiB + 512}+${MiB}`, `write ${3 * MiB + 512}+${MiB}`, `write ${4 * MiB + 512}+1024`]);
  }
  // A medium that answers false (cannot promise zeros this time) gets zeros written too.
  const t = new MemoryTransport(MiB);
  t.discard = async () => false;
  t.bytes.fill(1);
  await new RangeBackstore(t, 0, MiB).discard(0, 4096);
  assert.ok(t.bytes.subarray(0, 4096).every((b) => b === 0));
});

test('a closed range refuses I/O with EBADF and leaves the medium alone', async () => {
  const t = new MemoryTransport(MiB);
  const r = new RangeBackstore(t, 0, MiB);
  await r.close();
  await assert.rejects(r.read(Buffer.alloc(512), 0), { code: 'EBADF' });
  await assert.rejects(r.write(Buffer.alloc(512), 0, false), { code: 'EBADF' });
  await assert.rejects(r.flush(), { code: 'EBADF' });
  await assert.rejects(r.refreshSize(), { code: 'EBADF' });
  assert.deepEqual(t.calls, []);
});

test('the range grows with its extent in whole blocks of the medium, never past it', async () => {
  const t = new MemoryTransport(8 * MiB, 4096);
  const r = new RangeBackstore(t, 2 * MiB, MiB);
  assert.equal(await r.resize(3 * MiB + 1000), 3 * MiB, 'whole 4 KiB blocks');
  assert.equal(r.sizeBytes, 3 * MiB);
  await r.write(Buffer.alloc(4096, 7), 3 * MiB - 4096, false);
  assert.equal(t.bytes[5 * MiB - 1], 7);
  await assert.rejects(r.resize(6 * MiB + 4096), { code: 'ERANGE' });
  assert.equal(r.sizeBytes, 3 * MiB, 'a refused resize changes nothing');
});

test('a range is "still there" while its medium is reachable: unreachable, its LU goes NOT READY', () => {
  const t = new MemoryTransport(MiB);
  const r = new RangeBackstore(t, 0, MiB);
  assert.equal(r.stillAtPath(), true);
  t.state = 'reconnecting';
  assert.equal(r.stillAtPath(), true, 'I/O waits for a reconnect');
  t.state = 'unreachable';
  assert.equal(r.stillAtPath(), false);
});

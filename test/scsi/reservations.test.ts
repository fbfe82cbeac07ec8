/** SPC-2 RESERVE/RELEASE and persistent reservations between two (or three) I_T nexuses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { fileLu, run, clearUa, assertGood, assertSense, cdb, nexus, prParams } from './helpers.js';
import { createLogicalUnit } from '../../src/scsi/logical-unit.js';
import { openBackstore } from '../../src/backstore/open.js';
import type { ItNexus, LogicalUnit, ScsiResult } from '../../src/scsi/types.js';

const CONFLICT = 0x18;
const A = nexus('iqn.2026-01.test:a', '1');
const B = nexus('iqn.2026-01.test:b', '2');
const C = nexus('iqn.2026-01.test:c', '3');

function conflict(r: ScsiResult): void {
  assert.equal(r.status, CONFLICT, `expected RESERVATION CONFLICT, got ${r.status}`);
}

const register = (lu: LogicalUnit, n: ItNexus, key: bigint, sa = 6, flags = 0) => run(lu, cdb.prOut(sa), prParams(0n, key, flags), n);
const reserve = (lu: LogicalUnit, n: ItNexus, key: bigint, type: number) => run(lu, cdb.prOut(1, type), prParams(key, 0n), n);
const releasePr = (lu: LogicalUnit, n: ItNexus, key: bigint, type: number) => run(lu, cdb.prOut(2, type), prParams(key, 0n), n);
const read = (lu: LogicalUnit, n: ItNexus) => run(lu, cdb.read10(0, 1), null, n);
const write = (lu: LogicalUnit, n: ItNexus) => run(lu, cdb.write10(0, 1), Buffer.alloc(512), n);

async function keys(lu: LogicalUnit, n: ItNexus): Promise<{ gen: number; keys: bigint[] }> {
  const d = assertGood(await run(lu, cdb.prIn(0), null, n));
  const len = d.readUInt32BE(4);
  const out: bigint[] = [];
  for (let at = 8; at < 8 + len; at += 8) out.push(d.readBigUInt64BE(at));
  return { gen: d.readUInt32BE(0), keys: out };
}

async function reservation(lu: LogicalUnit, n: ItNexus): Promise<{ key: bigint; type: number } | null> {
  const d = assertGood(await run(lu, cdb.prIn(1), null, n));
  if (d.readUInt32BE(4) === 0) return null;
  return { key: d.readBigUInt64BE(8), type: d[21]! & 0x0f };
}

async function withLu(fn: (lu: LogicalUnit) => Promise<void>): Promise<void> {
  const t = await fileLu();
  try {
    for (const n of [A, B, C]) await clearUa(t.lu, n);
    await fn(t.lu);
  } finally {
    await t.cleanup();
  }
}

test('RESERVE(6)/RELEASE(6): other nexus conflicts, INQUIRY still allowed, release by other is a no-op', () =>
  withLu(async (lu) => {
    assertGood(await run(lu, [0x16, 0, 0, 0, 0, 0], null, A));
    assertGood(await read(lu, A));
    conflict(await read(lu, B));
    conflict(await run(lu, cdb.tur(), null, B));
    assertGood(await run(lu, cdb.inquiry(false, 0), null, B));
    assertGood(await run(lu, [0x17, 0, 0, 0, 0, 0], null, B));
    conflict(await run(lu, [0x16, 0, 0, 0, 0, 0], null, B));
    assertGood(await run(lu, [0x17, 0, 0, 0, 0, 0], null, A));
    assertGood(await run(lu, [0x56, 0, 0, 0, 0, 0, 0, 0, 0, 0], null, B));
    conflict(await write(lu, A));
    lu.nexusGone(B); // nexus loss releases it
    assertSense(await read(lu, B), 0x06, 0x29, 0x07); // the nexus again: I_T NEXUS LOSS OCCURRED
    assertGood(await write(lu, A));
    assertGood(await run(lu, [0x16, 0, 0, 0, 0, 0], null, A));
    lu.reset(A); // LU reset releases it and raises 29/03
    assertSense(await read(lu, B), 0x06, 0x29, 0x03);
    assertGood(await read(lu, B));
  }));

test('PR REGISTER / READ KEYS / generation / unregister', () =>
  withLu(async (lu) => {
    const g0 = (await keys(lu, A)).gen;
    assertGood(await register(lu, A, 0xaan, 0));
    conflict(await run(lu, cdb.prOut(0), prParams(0x1n, 0x2n), A)); // wrong key
    assertGood(await register(lu, B, 0xbbn, 6));
    assert.deepEqual(await keys(lu, C), { gen: g0 + 2, keys: [0xaan, 0xbbn] });
    assertGood(await run(lu, cdb.prOut(0), prParams(0xaan, 0xa1n), A)); // change key
    assertGood(await run(lu, cdb.prOut(0), prParams(0xbbn, 0n), B)); // unregister
    assert.deepEqual(await keys(lu, C), { gen: g0 + 4, keys: [0xa1n] });
    // truncated READ KEYS keeps the full additional length
    const short = assertGood(await run(lu, cdb.prIn(0, 8), null, A));
    assert.equal(short.length, 8);
    assert.equal(short.readUInt32BE(4), 8);
    // parameter list length must be 24; SPEC_I_PT unsupported; unknown service action
    assertSense(await run(lu, [0x5f, 0, 0, 0, 0, 0, 0, 0, 20, 0], Buffer.alloc(20), A), 0x05, 0x1a, 0x00);
    assertSense(await run(lu, cdb.prOut(6), prParams(0n, 5n, 0x08), A), 0x05, 0x26, 0x00);
    assertSense(await run(lu, cdb.prIn(4), null, A), 0x05, 0x24, 0x00);
    assertSense(await run(lu, cdb.prOut(8), prParams(0n, 5n), A), 0x05, 0x24, 0x00);
  }));

test('PR access per type for holder, registered and unregistered nexus', async () => {
  // [type, registered B can read, registered B can write, unregistered C can read, unregistered C can write]
  const table: Array<[number, boolean, boolean, boolean, boolean]> = [
    [1, true, false, true, false],
    [3, false, false, false, false],
    [5, true, true, true, false],
    [6, true, true, false, false],
    [7, true, true, true, false],
    [8, true, true, false, false],
  ];
  for (const [type, bRead, bWrite, cRead, cWrite] of table) {
    await withLu(async (lu) => {
      assertGood(await register(lu, A, 0xa0n));
      assertGood(await register(lu, B, 0xb0n));
      assertGood(await reserve(lu, A, 0xa0n, type));
      assert.deepEqual(await reservation(lu, C), { key: type === 7 || type === 8 ? 0n : 0xa0n, type });
      assertGood(await read(lu, A));
      assertGood(await write(lu, A));
      const check = (r: ScsiResult, ok: boolean, what: string) => assert.equal(r.status, ok ? 0 : CONFLICT, `type ${type}: ${what}`);
      check(await read(lu, B), bRead, 'registered read');
      check(await write(lu, B), bWrite, 'registered write');
      check(await read(lu, C), cRead, 'unregistered read');
      check(await write(lu, C), cWrite, 'unregistered write');
      // commands that never conflict with a persistent reservation
      assertGood(await run(lu, cdb.inquiry(false, 0), null, C));
      assertGood(await run(lu, cdb.tur(), null, C));
      assertGood(await run(lu, cdb.readCapacity10(), null, C));
      // another reservation by B conflicts (unless all-registrants and same type)
      const again = await reserve(lu, B, 0xb0n, type);
      assert.equal(again.status, type === 7 || type === 8 ? 0 : CONFLICT);
      assertGood(await releasePr(lu, A, 0xa0n, type));
      assert.equal(await reservation(lu, C), null);
    });
  }
});

test('CRH: RESERVE(6) by the persistent reservation holder is GOOD without effect, others conflict', () =>
  withLu(async (lu) => {
    assertGood(await register(lu, A, 1n));
    assertGood(await reserve(lu, A, 1n, 1));
    assertGood(await run(lu, [0x16, 0, 0, 0, 0, 0], null, A));
    conflict(await run(lu, [0x16, 0, 0, 0, 0, 0], null, B));
    assertGood(await read(lu, B)); // no SPC-2 reservation was made
  }));

test('PR RELEASE with the wrong type; releasing a registrants-only type raises RESERVATIONS RELEASED', () =>
  withLu(async (lu) => {
    assertGood(await register(lu, A, 1n));
    assertGood(await register(lu, B, 2n));
    assertGood(await reserve(lu, A, 1n, 5));
    assertSense(await releasePr(lu, A, 1n, 1), 0x05, 0x26, 0x04);
    assertGood(await releasePr(lu, B, 2n, 5)); // not the holder: no-op
    assert.deepEqual(await reservation(lu, C), { key: 1n, type: 5 });
    assertGood(await releasePr(lu, A, 1n, 5));
    assertSense(await read(lu, B), 0x06, 0x2a, 0x04);
    assertGood(await read(lu, C));
    conflict(await releasePr(lu, C, 3n, 5)); // not registered
    assertSense(await run(lu, cdb.prOut(1, 2), prParams(1n, 0n), A), 0x05, 0x24, 0x00); // bad type
    assertSense(await run(lu, cdb.prOut(1, 1, 1), prParams(1n, 0n), A), 0x05, 0x24, 0x00); // bad scope
  }));

test('PR holder unregistering releases the reservation; all-registrants survives until the last', () =>
  withLu(async (lu) => {
    assertGood(await register(lu, A, 1n));
    assertGood(await register(lu, B, 2n));
    assertGood(await reserve(lu, A, 1n, 1));
    assertGood(await run(lu, cdb.prOut(0), prParams(1n, 0n), A));
    assert.equal(await reservation(lu, C), null);
    assertGood(await register(lu, A, 1n));
    assertGood(await reserve(lu, A, 1n, 8));
    assertGood(await run(lu, cdb.prOut(0), prParams(1n, 0n), A));
    assert.deepEqual(await reservation(lu, C), { key: 0n, type: 8 });
    conflict(await read(lu, A));
    assertGood(await read(lu, B));
    assertGood(await run(lu, cdb.prOut(0), prParams(2n, 0n), B));
    assert.equal(await reservation(lu, C), null);
  }));

test('PR CLEAR removes everything and tells the others RESERVATIONS PREEMPTED', () =>
  withLu(async (lu) => {
    assertGood(await register(lu, A, 1n));
    assertGood(await register(lu, B, 2n));
    assertGood(await reserve(lu, B, 2n, 3));
    conflict(await run(lu, cdb.prOut(3), prParams(9n, 0n), A));
    assertGood(await run(lu, cdb.prOut(3), prParams(1n, 0n), A));
    assert.deepEqual((await keys(lu, A)).keys, []);
    assert.equal(await reservation(lu, A), null);
    assertSense(await read(lu, B), 0x06, 0x2a, 0x03);
    assertGood(await read(lu, B));
  }));

test('PR PREEMPT: removes registrations, takes over the reservation, PREEMPT AND ABORT', () =>
  withLu(async (lu) => {
    assertGood(await register(lu, A, 1n));
    assertGood(await register(lu, B, 2n));
    const g = (await keys(lu, A)).gen;
    // no reservation: PREEMPT just removes the key
    assertGood(await run(lu, cdb.prOut(4), prParams(2n, 1n), B));
    assert.deepEqual(await keys(lu, C), { gen: g + 1, keys: [2n] });
    assertSense(await read(lu, A), 0x06, 0x2a, 0x05);
    assertGood(await register(lu, A, 1n));
    assertGood(await reserve(lu, A, 1n, 3));
    conflict(await write(lu, B));
    assertGood(await run(lu, cdb.prOut(4, 1), prParams(2n, 1n), B)); // preempt the holder
    assert.deepEqual(await reservation(lu, C), { key: 2n, type: 1 });
    assert.deepEqual((await keys(lu, C)).keys, [2n]);
    assertSense(await write(lu, A), 0x06, 0x2a, 0x05);
    conflict(await write(lu, A));
    assertGood(await read(lu, A));
    assertSense(await run(lu, cdb.prOut(4, 1), prParams(2n, 0n), B), 0x05, 0x26, 0x00); // sa key 0, not all-registrants
    conflict(await run(lu, cdb.prOut(4, 1), prParams(2n, 77n), B)); // nobody has key 77
    // PREEMPT AND ABORT
    assertGood(await register(lu, C, 3n));
    assertGood(await run(lu, cdb.prOut(5, 3), prParams(2n, 3n), B));
    assert.deepEqual((await keys(lu, A)).keys, [2n]);
  }));

test('PR REPORT CAPABILITIES and READ FULL STATUS', () =>
  withLu(async (lu) => {
    const caps = assertGood(await run(lu, cdb.prIn(2), null, A));
    assert.equal(caps.readUInt16BE(0), 8);
    assert.equal(caps[4], 0xea);
    assert.equal(caps[5], 0x01);
    assert.ok(((caps[3]! >> 4) & 7) <= 5);
    assertGood(await register(lu, A, 0x11n, 6, 0x04)); // ALL_TG_PT
    assertGood(await register(lu, B, 0x22n));
    assertGood(await reserve(lu, B, 0x22n, 1));
    const fs = assertGood(await run(lu, cdb.prIn(3), null, C));
    const len = fs.readUInt32BE(4);
    assert.equal(8 + len, fs.length);
    const descs: Array<{ key: bigint; allTgPt: boolean; holder: boolean; type: number; tid: string }> = [];
    for (let at = 8; at < fs.length; ) {
      const tidLen = fs.readUInt32BE(at + 20);
      const tid = fs.subarray(at + 24, at + 24 + tidLen);
      assert.equal(tid[0], 0x45);
      descs.push({
        key: fs.readBigUInt64BE(at),
        allTgPt: (fs[at + 12]! & 2) !== 0,
        holder: (fs[at + 12]! & 1) !== 0,
        type: fs[at + 13]! & 0x0f,
        tid: tid.subarray(4).toString('utf8').replace(/\0+$/, ''),
      });
      at += 24 + tidLen;
    }
    assert.deepEqual(descs, [
      { key: 0x11n, allTgPt: true, holder: false, type: 0, tid: A.initiatorPort },
      { key: 0x22n, allTgPt: false, holder: true, type: 1, tid: B.initiatorPort },
    ]);
    // ALL_TG_PT: the same initiator through another target port is registered too
    const A2 = nexus('iqn.2026-01.test:a', '1', 2, 2);
    await clearUa(lu, A2);
    assertGood(await read(lu, A2));
    conflict(await write(lu, A2));
  }));

test('PR REGISTER AND MOVE hands the reservation to another initiator port', () =>
  withLu(async (lu) => {
    assertGood(await register(lu, A, 1n));
    assertGood(await reserve(lu, A, 1n, 3));
    const name = Buffer.from(B.initiatorPort + '\0\0\0\0'.slice(0, 4 - (B.initiatorPort.length % 4)));
    const tid = Buffer.alloc(4 + name.length);
    tid[0] = 0x45;
    tid.writeUInt16BE(name.length, 2);
    name.copy(tid, 4);
    const p = Buffer.alloc(24 + tid.length);
    p.writeBigUInt64BE(1n, 0);
    p.writeBigUInt64BE(5n, 8);
    p[17] = 0x02; // UNREG
    p.writeUInt16BE(1, 18);
    p.writeUInt32BE(tid.length, 20);
    tid.copy(p, 24);
    assertGood(await run(lu, [0x5f, 7, 3, 0, 0, 0, 0, 0, p.length, 0], p, A));
    assert.deepEqual(await reservation(lu, C), { key: 5n, type: 3 });
    assert.deepEqual((await keys(lu, C)).keys, [5n]);
    assertGood(await write(lu, B));
    conflict(await read(lu, A));
  }));

test('APTPL: registrations and the reservation survive a new LU from the same persist file', async () => {
  const t = await fileLu();
  const persistPath = join(t.dir, 'pr.json');
  try {
    const mk = async (): Promise<LogicalUnit> =>
      createLogicalUnit({
        serial: 's',
        naa: '6001405abcdef012',
        vendor: 'V',
        product: 'P',
        revision: '1',
        blockSize: 512,
        readOnly: false,
        rotationRate: 0,
        thin: false,
        persistPath,
        backstore: await openBackstore({ kind: 'memory', sizeBytes: 1 << 20 }),
      });
    const lu1 = await mk();
    await clearUa(lu1, A);
    assertGood(await register(lu1, A, 0x77n, 6, 0x01)); // APTPL
    assertGood(await reserve(lu1, A, 0x77n, 1));
    assert.ok(existsSync(persistPath));
    assert.match(readFileSync(persistPath, 'utf8'), /"77"/);
    const caps = assertGood(await run(lu1, cdb.prIn(2), null, A));
    assert.equal(caps[3]! & 1, 1, 'PTPL_A');
    await lu1.close();
    const lu2 = await mk();
    await clearUa(lu2, B);
    assert.deepEqual(await reservation(lu2, B), { key: 0x77n, type: 1 });
    conflict(await write(lu2, B));
    await clearUa(lu2, A);
    assertGood(await write(lu2, A));
    // APTPL cleared: the file goes away
    assertGood(await run(lu2, cdb.prOut(0), prParams(0x77n, 0x78n), A));
    assert.equal(existsSync(persistPath), false);
    await lu2.close();
  } finally {
    await t.cleanup();
  }
});

test('PR REGISTER AND MOVE to an initiator name without ISID covers all its ports', () =>
  withLu(async (lu) => {
    assertGood(await register(lu, A, 1n));
    assertGood(await reserve(lu, A, 1n, 1));
    const name = Buffer.alloc((B.initiatorName.length + 1 + 3) & ~3);
    name.write(B.initiatorName);
    const tid = Buffer.alloc(4 + name.length);
    tid[0] = 0x05; // format 00b
    tid.writeUInt16BE(name.length, 2);
    name.copy(tid, 4);
    const p = Buffer.alloc(24 + tid.length);
    p.writeBigUInt64BE(1n, 0);
    p.writeBigUInt64BE(9n, 8);
    p.writeUInt16BE(1, 18);
    p.writeUInt32BE(tid.length, 20);
    tid.copy(p, 24);
    assertGood(await run(lu, [0x5f, 7, 1, 0, 0, 0, 0, 0, p.length, 0], p, A));
    assert.deepEqual(await reservation(lu, C), { key: 9n, type: 1 });
    const B2 = nexus('iqn.2026-01.test:b', '77');
    await clearUa(lu, B2);
    assertGood(await write(lu, B2));
    conflict(await write(lu, A));
    const fs = assertGood(await run(lu, cdb.prIn(3), null, C));
    const second = 8 + 24 + fs.readUInt32BE(8 + 20);
    assert.equal(fs[second + 24], 0x05, 'format 00b TransportID for the moved registration');
    // bad TransportID
    const bad = Buffer.from(p);
    bad[24] = 0x41; // format 01b without ",i,0x"
    bad.writeBigUInt64BE(9n, 0);
    assertSense(await run(lu, [0x5f, 7, 1, 0, 0, 0, 0, 0, bad.length, 0], bad, B2), 0x05, 0x26, 0x00);
  }));

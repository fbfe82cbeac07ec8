/** Software write protect (control page SWP) and SANITIZE BLOCK ERASE / EXIT FAILURE MODE, as CDB bytes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileLu, run, clearUa, assertGood, assertSense, cdb, nexus, u16 } from './helpers.js';

const MiB = 1024 * 1024;
const sanitize = (sa: number, listLength = 0, immed = false) => [0x48, (immed ? 0x80 : 0) | sa, 0, 0, 0, 0, 0, ...u16(listLength), 0];
/** MODE SELECT(6) of the control page with SWP set or clear, as set_swp() in libiscsi sends it. */
function controlPageSelect(swp: boolean): { cdb: number[]; data: Buffer } {
  const data = Buffer.from([0, 0, 0, 0, 0x0a, 0x0a, 0x02, 0x10, swp ? 0x08 : 0, 0, 0, 0, 0xff, 0xff, 0, 0]);
  return { cdb: [0x15, 0x10, 0, 0, data.length, 0], data };
}

test('SWP: MODE SELECT sets software write protect; writes get DATA PROTECT 27/02, MODE SENSE shows WP, others a UA', async () => {
  const t = await fileLu();
  const other = nexus('iqn.2026-01.test:other');
  try {
    await clearUa(t.lu);
    await clearUa(t.lu, other);
    const on = controlPageSelect(true);
    assertGood(await run(t.lu, on.cdb, on.data));
    const ms = assertGood(await run(t.lu, cdb.modeSense6(0x0a)));
    assert.equal(ms[2]! & 0x80, 0x80, 'WP in the device-specific parameter');
    assert.equal(ms[ms[3]! + 4 + 4]! & 0x08, 0x08, 'SWP in the current control page');
    assertSense(await run(t.lu, cdb.write10(0, 1), Buffer.alloc(512)), 0x07, 0x27, 0x02);
    assertSense(await run(t.lu, cdb.writeSame16(0, 8), Buffer.alloc(512)), 0x07, 0x27, 0x02);
    assertSense(await run(t.lu, cdb.writeAtomic16(0, 1), Buffer.alloc(512)), 0x07, 0x27, 0x02);
    assertSense(await run(t.lu, sanitize(0x02)), 0x07, 0x27, 0x02);
    assertGood(await run(t.lu, cdb.read10(0, 1)));
    assertSense(await run(t.lu, cdb.write10(0, 1), Buffer.alloc(512), other), 0x06, 0x2a, 0x01);
    assertSense(await run(t.lu, cdb.write10(0, 1), Buffer.alloc(512), other), 0x07, 0x27, 0x02);
    const off = controlPageSelect(false);
    assertGood(await run(t.lu, off.cdb, off.data));
    assertGood(await run(t.lu, cdb.write10(0, 1), Buffer.alloc(512)));
  } finally {
    await t.cleanup();
  }
});

test('SANITIZE BLOCK ERASE deallocates the whole LU; CDB and parameter checks; EXIT FAILURE MODE; RSOC', async () => {
  const t = await fileLu({ sizeBytes: 8 * MiB });
  try {
    await clearUa(t.lu);
    assertGood(await run(t.lu, cdb.write16(0, 256), Buffer.alloc(256 * 512, 0x61)));
    assertGood(await run(t.lu, cdb.write16(16384 - 256, 256), Buffer.alloc(256 * 512, 0x61)));
    assertSense(await run(t.lu, sanitize(0x02, 8), Buffer.alloc(8)), 0x05, 0x24, 0x00); // no parameter list
    assertGood(await run(t.lu, sanitize(0x02)));
    assert.deepEqual(assertGood(await run(t.lu, cdb.read16(0, 256))), Buffer.alloc(256 * 512));
    assert.deepEqual(assertGood(await run(t.lu, cdb.read16(16384 - 256, 256))), Buffer.alloc(256 * 512));
    const st = assertGood(await run(t.lu, cdb.getLbaStatus(0, 256)));
    assert.deepEqual([st.readUInt32BE(16), st[20]], [16384, 1], 'one deallocated extent over the LU');
    // Reserved bit 6 of byte 1 and bytes 2-6.
    assert.equal(assertSense(await run(t.lu, [0x48, 0x42, 0, 0, 0, 0, 0, 0, 0, 0]), 0x05, 0x24, 0x00).fieldByte, 1);
    for (let i = 2; i <= 6; i++) {
      const c = sanitize(0x02);
      c[i] = i;
      assert.equal(assertSense(await run(t.lu, c), 0x05, 0x24, 0x00).fieldByte, i);
    }
    // Service actions not offered: OVERWRITE, CRYPTOGRAPHIC ERASE, reserved ones.
    for (const sa of [0x00, 0x01, 0x03, 0x04, 0x1e]) {
      const s = assertSense(await run(t.lu, sanitize(sa)), 0x05, 0x24, 0x00);
      assert.deepEqual([s.fieldByte, s.fieldBit], [1, 4]);
    }
    assertSense(await run(t.lu, sanitize(0x1f, 8), Buffer.alloc(8)), 0x05, 0x24, 0x00);
    assertGood(await run(t.lu, sanitize(0x1f)));
    // REPORT SUPPORTED OPERATION CODES: BLOCK ERASE and EXIT FAILURE MODE, not OVERWRITE.
    assert.deepEqual([...assertGood(await run(t.lu, cdb.rsoc(2, 0x48, 0x02))).subarray(0, 6)], [0, 0x03, 0, 10, 0x48, 0xbf]);
    assert.equal(assertGood(await run(t.lu, cdb.rsoc(2, 0x48, 0x1f)))[1]! & 0x07, 0x03);
    assert.equal(assertGood(await run(t.lu, cdb.rsoc(2, 0x48, 0x01)))[1]! & 0x07, 0x01);
    // VPD B1h: WABEREQ 01b.
    assert.equal(assertGood(await run(t.lu, cdb.inquiry(true, 0xb1)))[7]! & 0xc0, 0x40);
  } finally {
    await t.cleanup();
  }
});

test("SANITIZE: RESERVATION CONFLICT under another initiator's reservation; NOT READY while it runs (IMMED); thick LU has no BLOCK ERASE", async () => {
  const t = await fileLu({ sizeBytes: 8 * MiB });
  const other = nexus('iqn.2026-01.test:other');
  try {
    await clearUa(t.lu);
    await clearUa(t.lu, other);
    assertGood(await run(t.lu, [0x16, 0, 0, 0, 0, 0], null, other));
    assert.equal((await run(t.lu, sanitize(0x02))).status, 0x18);
    assertGood(await run(t.lu, [0x17, 0, 0, 0, 0, 0], null, other));
    // IMMED: GOOD at once; until the erase ends, TUR and READ are NOT READY 04/1B, INQUIRY is served.
    const started = run(t.lu, sanitize(0x02, 0, true));
    const during = [run(t.lu, cdb.tur()), run(t.lu, cdb.inquiry(false, 0)), run(t.lu, cdb.requestSense())];
    assertGood(await started);
    const [tur, inq, rs] = await Promise.all(during);
    assertSense(tur!, 0x02, 0x04, 0x1b);
    assertGood(inq!);
    assert.deepEqual([rs!.data![2]! & 0x0f, rs!.data![12], rs!.data![13]], [0x02, 0x04, 0x1b]);
    for (let i = 0; i < 100 && (await run(t.lu, cdb.tur())).status !== 0; i++) await new Promise((r) => setTimeout(r, 10));
    assertGood(await run(t.lu, cdb.read10(0, 1)));
    // A write sent alongside lands before the erase or is refused, never lands after it.
    const write = run(t.lu, cdb.write16(0, 2048), Buffer.alloc(MiB, 0x77));
    const erase = run(t.lu, sanitize(0x02));
    const w = await write;
    if (w.status !== 0) assertSense(w, 0x02, 0x04, 0x1b);
    assertGood(await erase);
    assert.deepEqual(assertGood(await run(t.lu, cdb.read16(0, 2048))), Buffer.alloc(MiB));
  } finally {
    await t.cleanup();
  }
  const thick = await fileLu({ thin: false });
  try {
    await clearUa(thick.lu);
    assertSense(await run(thick.lu, sanitize(0x02)), 0x05, 0x24, 0x00);
    assertGood(await run(thick.lu, sanitize(0x1f)));
  } finally {
    await thick.cleanup();
  }
});

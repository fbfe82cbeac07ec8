/** A logical unit whose medium is missing (backing file gone) and comes back: LogicalUnit.changeMedium. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileLu, run, clearUa, assertGood, assertSense, cdb, nexus } from './helpers.js';
import { openBackstore } from '../../src/backstore/open.js';

const MiB = 1024 * 1024;

async function image(path: string, size: number, fill?: number) {
  writeFileSync(path, fill === undefined ? '' : Buffer.alloc(4096, fill), { mode: 0o600 });
  truncateSync(path, size);
  return openBackstore({ kind: 'file', path, sizeBytes: size });
}

test('without a medium: medium commands are NOT READY / MEDIUM NOT PRESENT 02/3A/00, INQUIRY / REQUEST SENSE / MODE SENSE answer', async () => {
  const t = await fileLu({ backstore: null });
  try {
    const n = nexus();
    await clearUa(t.lu, n);
    assertSense(await run(t.lu, cdb.tur(), null, n), 0x02, 0x3a, 0x00);
    assertSense(await run(t.lu, cdb.read10(0, 1), null, n), 0x02, 0x3a, 0x00);
    assertSense(await run(t.lu, cdb.write10(0, 1), Buffer.alloc(512), n), 0x02, 0x3a, 0x00);
    assertSense(await run(t.lu, cdb.readCapacity10(), null, n), 0x02, 0x3a, 0x00);
    assertSense(await run(t.lu, cdb.syncCache10(), null, n), 0x02, 0x3a, 0x00);
    assertGood(await run(t.lu, cdb.inquiry(false, 0), null, n));
    assertGood(await run(t.lu, cdb.inquiry(true, 0x83), null, n));
    assertGood(await run(t.lu, [0x1a, 0, 0x3f, 0, 255, 0], null, n));
    const rs = assertGood(await run(t.lu, [0x03, 0, 0, 0, 18, 0], null, n));
    assert.deepEqual([rs[2]! & 0x0f, rs[12], rs[13]], [0x02, 0x3a, 0x00]);
  } finally {
    await t.cleanup();
  }
});

test('a medium arriving raises NOT READY TO READY CHANGE; one of another size also CAPACITY DATA HAS CHANGED', async () => {
  const t = await fileLu({ sizeBytes: 4 * MiB });
  try {
    const n = nexus();
    await clearUa(t.lu, n);
    await t.lu.changeMedium(null);
    assertSense(await run(t.lu, cdb.tur(), null, n), 0x02, 0x3a, 0x00);

    await t.lu.changeMedium(await image(join(t.dir, 'same.img'), 4 * MiB, 0x33));
    assertSense(await run(t.lu, cdb.tur(), null, n), 0x06, 0x28, 0x00);
    assert.equal(assertGood(await run(t.lu, cdb.read10(0, 1), null, n))[0], 0x33);

    await t.lu.changeMedium(null);
    await t.lu.changeMedium(await image(join(t.dir, 'bigger.img'), 8 * MiB));
    assertSense(await run(t.lu, cdb.tur(), null, n), 0x06, 0x28, 0x00);
    assertSense(await run(t.lu, cdb.tur(), null, n), 0x06, 0x2a, 0x09);
    const cap = assertGood(await run(t.lu, cdb.readCapacity10(), null, n));
    assert.equal(cap.readUInt32BE(0), 8 * 2048 - 1);
  } finally {
    await t.cleanup();
  }
});

test('a read already past the NOT READY check when the medium goes fails NOT READY, not zeros', async () => {
  const t = await fileLu();
  try {
    const n = nexus();
    await clearUa(t.lu, n);
    const reading = run(t.lu, cdb.read10(0, 2048), null, n);
    await t.lu.changeMedium(null);
    const r = await reading;
    // Either it finished on the old medium before the swap, or it reports the missing medium.
    if (r.status !== 0) assertSense(r, 0x02, 0x3a, 0x00);
    assertSense(await run(t.lu, cdb.read10(0, 1), null, n), 0x02, 0x3a, 0x00);
  } finally {
    await t.cleanup();
  }
});

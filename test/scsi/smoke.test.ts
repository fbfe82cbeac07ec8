import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileLu, run, clearUa, assertGood, assertSense, cdb, pattern } from './helpers.js';

test('smoke: write then read back over a file backstore', async () => {
  const t = await fileLu();
  try {
    assertSense(await run(t.lu, cdb.tur()), 0x6, 0x29, 0x00);
    assertGood(await run(t.lu, cdb.tur()));
    const data = pattern(8 * 512, 1);
    assertGood(await run(t.lu, cdb.write10(100, 8), data));
    const back = assertGood(await run(t.lu, cdb.read10(100, 8)));
    assert.deepEqual(back, data);
    await clearUa(t.lu);
  } finally {
    await t.cleanup();
  }
});

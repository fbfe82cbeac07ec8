/**
 * A task management response waits for the tasks it aborted: a WRITE already handed to
 * the backstore cannot be called back, so ABORT TASK and LUN RESET answer FUNCTION
 * COMPLETE only once it has ended, and an initiator that re-reads right after the answer
 * sees what the medium will keep (SAM-5 7.1). Found by `npm run soak` beside the same
 * defect on a dropped session.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IscsiInitiator } from '../../src/initiator/client.js';
import { GatedWrites, fileLu } from '../scsi/helpers.js';
import { TestCatalog, globals, startTarget } from './harness.js';

const T0 = 'iqn.2026-12.test:tmf';
const INI = 'iqn.2026-12.test:host';
const turns = async (n = 20) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

for (const [name, fn] of [
  ['ABORT TASK', 1],
  ['LOGICAL UNIT RESET', 5],
] as const) {
  test(`${name} is answered once the aborted WRITE has ended, and its data is what a re-read sees`, async () => {
    const bs = new GatedWrites(1 << 20);
    const t = await fileLu({ backstore: bs });
    const catalog = new TestCatalog(globals({ maxSessions: 4 }));
    catalog.add({ name: T0, luns: new Map([[0, t.lu]]) });
    const run = await startTarget(catalog);
    const c = await IscsiInitiator.connect('127.0.0.1', run.port);
    try {
      await c.login({ initiatorName: INI, targetName: T0, isid: Buffer.from('800000000a01', 'hex') });
      await c.scsi(0, Buffer.alloc(6)).catch(() => {}); // TEST UNIT READY takes the power-on UA
      bs.hold();
      const itt = c.peekItt();
      const cmdSN = c.cmdSN;
      void c.write10(0, 8, Buffer.alloc(512, 0xbb)).catch(() => {});
      await turns();
      let answered: number | null = null;
      const tmf = c.tmf(fn, 0, fn === 1 ? itt : undefined, cmdSN).then((r) => (answered = r));
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(answered, null, 'no answer while the aborted write still runs');
      bs.release();
      assert.equal(await tmf, 0, 'FUNCTION COMPLETE');
      if (fn === 5) await c.scsi(0, Buffer.alloc(6)).catch(() => {}); // the reset's UA
      const back = await c.read10(0, 8, 1);
      assert.deepEqual(back.data, Buffer.alloc(512, 0xbb), 'the write ended before the answer, and stays');
      await c.logout();
    } finally {
      c.close?.();
      await run.stop();
      await t.cleanup();
    }
  });
}

test('with nothing running, ABORT TASK SET is answered at once', async () => {
  const t = await fileLu({ backstore: new GatedWrites(1 << 20) });
  const catalog = new TestCatalog(globals({ maxSessions: 4 }));
  catalog.add({ name: T0, luns: new Map([[0, t.lu]]) });
  const run = await startTarget(catalog);
  const c = await IscsiInitiator.connect('127.0.0.1', run.port);
  try {
    await c.login({ initiatorName: INI, targetName: T0, isid: Buffer.from('800000000a02', 'hex') });
    assert.equal(await c.tmf(2, 0), 0);
    await c.logout();
  } finally {
    await run.stop();
    await t.cleanup();
  }
});

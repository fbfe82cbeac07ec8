/**
 * A session that ends (connection dropped, reinstatement) cannot call back a write already
 * handed to the backstore. The next session of the same I_T nexus must not overtake it:
 * found by `npm run soak`, where a re-read after a reconnect saw the old blocks and the
 * dead session's write landed afterwards (a lost update the initiator could not know of).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScsiStatus } from '../../src/scsi/types.js';
import { GatedWrites, assertGood, cdb, clearUa, fileLu, nexus, run } from './helpers.js';

const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

test("the next session of a nexus waits for the ended session's write still running; other nexuses do not", async () => {
  const bs = new GatedWrites(1 << 20);
  const t = await fileLu({ backstore: bs });
  const a = nexus('iqn.2026-01.test:a');
  const b = nexus('iqn.2026-01.test:b');
  try {
    await clearUa(t.lu, a);
    await clearUa(t.lu, b);
    bs.hold();
    const write = run(t.lu, cdb.write10(8, 1), Buffer.alloc(512, 0xbb), a);
    await turns();
    t.lu.nexusGone(a);
    let readDone = false;
    const read = run(t.lu, cdb.read10(8, 1), null, a).then((r) => {
      readDone = true;
      return r;
    });
    // another initiator is not held up by a's orphan
    assertGood(await run(t.lu, cdb.read10(100, 1), null, b));
    await turns();
    assert.equal(readDone, false, "a's new session read before its old write was over");
    bs.release();
    assert.equal((await write).status, ScsiStatus.TaskAborted);
    // the new session's first command reports the nexus loss (29/00), after the write was over
    assert.equal((await read).status, ScsiStatus.CheckCondition);
    // the dead session's write landed, and the new session sees it
    assert.deepEqual(assertGood(await run(t.lu, cdb.read10(8, 1), null, a)), Buffer.alloc(512, 0xbb));
  } finally {
    await t.cleanup();
  }
});

test('a command waiting behind orphans ends as TASK ABORTED when its own session ends too', async () => {
  const bs = new GatedWrites(1 << 20);
  const t = await fileLu({ backstore: bs });
  const a = nexus('iqn.2026-01.test:a');
  try {
    await clearUa(t.lu, a);
    bs.hold();
    const first = run(t.lu, cdb.write10(8, 1), Buffer.alloc(512, 0x11), a);
    await turns();
    t.lu.nexusGone(a);
    const second = run(t.lu, cdb.write10(8, 1), Buffer.alloc(512, 0x22), a);
    await turns();
    t.lu.nexusGone(a);
    bs.release();
    assert.equal((await first).status, ScsiStatus.TaskAborted);
    assert.equal((await second).status, ScsiStatus.TaskAborted);
    // the second write never ran; a third session is served at once
    await clearUa(t.lu, a);
    assert.deepEqual(assertGood(await run(t.lu, cdb.read10(8, 1), null, a)), Buffer.alloc(512, 0x11));
  } finally {
    await t.cleanup();
  }
});

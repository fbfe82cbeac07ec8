/**
 * The soak's model must catch what it exists to catch (a lost write, a misdirected one,
 * garbage) and accept both outcomes of a write whose answer was lost, then only the one
 * read back. A verifier that accepts everything would make every soak pass.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockModel } from '../../soak/model.js';

const BS = 512;

function model(): BlockModel {
  return new BlockModel(7, 3, 100, 16, BS);
}

test('acknowledged writes verify, and an older generation is a lost write', () => {
  const m = model();
  m.begin(100, 4, 1);
  m.commit(100, 4);
  assert.deepEqual(m.verify(100, m.content(100, 4, 1)), []);
  m.begin(102, 1, 2);
  m.commit(102, 1);
  const bad = m.verify(100, m.content(100, 4, 1));
  assert.equal(bad.length, 1);
  assert.deepEqual(bad[0], { lba: 102, expected: 'gen 2', found: 'run 7 session 3 lba 102 gen 1' });
  // adopted once reported: the same lost write is not counted again
  assert.deepEqual(m.verify(100, m.content(100, 4, 1)), []);
});

test('a block of another LBA, zeros where data belongs, and foreign bytes are mismatches', () => {
  const m = model();
  m.begin(100, 2, 1);
  m.commit(100, 2);
  const misdirected = Buffer.concat([m.content(101, 1, 1), m.content(101, 1, 1)]);
  assert.equal(m.verify(100, misdirected)[0]!.found, 'run 7 session 3 lba 101 gen 1');
  const m2 = model();
  m2.begin(100, 1, 1);
  m2.commit(100, 1);
  assert.equal(m2.verify(100, Buffer.alloc(BS))[0]!.found, 'zeros');
  const garbage = m2.content(100, 1, 1);
  garbage[300] ^= 1;
  const m3 = model();
  m3.begin(100, 1, 1);
  m3.commit(100, 1);
  assert.equal(m3.verify(100, garbage).length, 1);
});

test('an unacknowledged write may read old or new; the read decides, then only that is right', () => {
  const m = model();
  m.begin(104, 2, 5);
  assert.deepEqual(m.unknownRanges(), [{ lba: 104, count: 2 }]);
  // never written before: zeros (old) or gen 5 (new) are both fine
  assert.deepEqual(m.verify(104, Buffer.concat([Buffer.alloc(BS), m.content(105, 1, 5)])), []);
  assert.deepEqual(m.unknownRanges(), []);
  // now 104 is zeros and 105 is gen 5, nothing else
  assert.equal(m.verify(104, m.content(104, 2, 5)).length, 1);
});

test('an acknowledged UNMAP reads as zeros', () => {
  const m = model();
  m.begin(100, 3, 1);
  m.commit(100, 3);
  m.begin(101, 1, 0);
  m.commit(101, 1);
  const read = m.content(100, 3, 1);
  read.fill(0, BS, 2 * BS);
  assert.deepEqual(m.verify(100, read), []);
  assert.equal(m.verify(100, m.content(100, 3, 1)).length, 1);
});

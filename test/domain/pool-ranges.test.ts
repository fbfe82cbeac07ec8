import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RANGE_ALIGN, firstFit, isFree, roomAt } from '../../src/domain/pool-ranges.js';

const MiB = RANGE_ALIGN;

test('first fit: the lowest gap that holds the range, every start 1 MiB aligned', () => {
  assert.deepEqual(firstFit([], 10 * MiB, 64 * MiB), { offset: 0, largest: 64 * MiB });
  // A range of 1.5 MiB reserves up to the next MiB boundary.
  const taken = [
    { offset: 0, sizeBytes: 1.5 * MiB },
    { offset: 8 * MiB, sizeBytes: 4 * MiB },
  ];
  assert.equal(firstFit(taken, MiB, 64 * MiB).offset, 2 * MiB);
  assert.equal(firstFit(taken, 6 * MiB, 64 * MiB).offset, 2 * MiB);
  assert.equal(firstFit(taken, 6 * MiB + 1, 64 * MiB).offset, 12 * MiB, 'past the gap it does not fit');
  assert.equal(firstFit([...taken].reverse(), MiB, 64 * MiB).offset, 2 * MiB, 'in any order');
  assert.deepEqual(firstFit(taken, 60 * MiB, 64 * MiB), { offset: null, largest: 52 * MiB });
  assert.deepEqual(firstFit([{ offset: 0, sizeBytes: 64 * MiB }], 512, 64 * MiB), { offset: null, largest: 0 });
  assert.equal(firstFit([], 64 * MiB, 64 * MiB).offset, 0, 'the whole device');
  assert.equal(firstFit([], 64 * MiB + 512, 64 * MiB).offset, null);
});

test('a range is free when aligned, inside the device and clear of every other', () => {
  const taken = [{ offset: 4 * MiB, sizeBytes: 2 * MiB + 512 }];
  assert.equal(isFree(taken, 0, 4 * MiB, 64 * MiB), true);
  assert.equal(isFree(taken, 0, 4 * MiB + 512, 64 * MiB), false);
  assert.equal(isFree(taken, 6 * MiB, MiB, 64 * MiB), false, 'inside the reserved tail');
  assert.equal(isFree(taken, 7 * MiB, MiB, 64 * MiB), true);
  assert.equal(isFree(taken, 7 * MiB + 512, 512, 64 * MiB), false, 'not aligned');
  assert.equal(isFree(taken, 63 * MiB, 2 * MiB, 64 * MiB), false, 'past the end');
});

test('an extent grows up to the next range or the end of the device', () => {
  const taken = [
    { offset: 0, sizeBytes: MiB },
    { offset: 10 * MiB, sizeBytes: MiB },
  ];
  assert.equal(roomAt(taken, 0, 64 * MiB), 10 * MiB);
  assert.equal(roomAt(taken, 10 * MiB, 64 * MiB), 54 * MiB);
});

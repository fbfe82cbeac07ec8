import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSize } from '../../src/domain/size.js';

test('parseSize: bytes and binary suffixes, as FreeNAS clients write them', () => {
  const cases: [string | number, number | null][] = [
    ['0', 0],
    ['10485760', 10485760],
    [10485760, 10485760],
    ['10MB', 10 * 1024 ** 2],
    ['10mb', 10 * 1024 ** 2],
    ['20 MB', 20 * 1024 ** 2],
    ['512KB', 512 * 1024],
    ['4K', 4096],
    ['1GB', 1024 ** 3],
    ['1.5GB', 1.5 * 1024 ** 3],
    ['2TB', 2 * 1024 ** 4],
    ['1GiB', 1024 ** 3],
    ['100B', 100],
    ['', null],
    ['MB', null],
    ['-1', null],
    ['10XB', null],
    ['1.5', null],
    ['1e6', null],
    [-5, null],
    [1.5, null],
    ['99999999PB', null],
  ];
  for (const [input, expected] of cases) assert.equal(parseSize(input), expected, String(input));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arrayLunOf, parseArraySource } from '../../src/domain/array-source.js';
import { DomainError } from '../../src/domain/errors.js';

const refused = (source: string, code: string) =>
  assert.throws(
    () => parseArraySource('source', source),
    (e: unknown) => e instanceof DomainError && e.code === code && e.field === 'source',
    source,
  );

test("the source is the array's target name, with the LUN after a slash (none: LUN 0)", () => {
  assert.deepEqual(parseArraySource('source', 'iqn.2026-11.array:t1/1'), { targetName: 'iqn.2026-11.array:t1', lun: 1 });
  assert.deepEqual(parseArraySource('source', 'iqn.2026-11.array:t1'), { targetName: 'iqn.2026-11.array:t1', lun: 0 });
  assert.deepEqual(parseArraySource('source', 'eui.0123456789abcdef/16383'), { targetName: 'eui.0123456789abcdef', lun: 16383 });
  refused('iqn.2026-11.array:t1/16384', 'pool.source-lun-invalid');
  refused('iqn.2026-11.array:t1/-1', 'pool.source-lun-invalid');
  refused('iqn.2026-11.array:t1/', 'pool.source-lun-invalid');
  refused('iqn.2026-11.array:t1/one', 'pool.source-lun-invalid');
  refused('iqn.2026-11.array:a/b/1', 'pool.source-not-iqn');
  refused('/exports/data', 'pool.source-not-iqn');
  refused('iqn.26-11.array:t1', 'pool.source-not-iqn');
  refused('array:t1/0', 'pool.source-not-iqn');
});

test('a stored pool names its LUN: port 3260 by default, CHAP when a user is set', () => {
  const pool = { ip: '10.0.0.9', port: '', source: 'iqn.2026-11.array:t1/2', username: '', password: '' };
  assert.deepEqual(arrayLunOf(pool), { address: '10.0.0.9', port: 3260, targetName: 'iqn.2026-11.array:t1', lun: 2, chap: null });
  assert.deepEqual(arrayLunOf({ ...pool, port: '3261', username: 'u', password: 's3cret-s3cret' }).chap, { user: 'u', secret: 's3cret-s3cret' });
});

/**
 * The list cache: the same bytes while the version and the query stand still; a new
 * answer when either changes; nothing kept while the version is unknown (-1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ListCache, queryKey } from '../../../src/api/http/list-cache.js';

test('kept while version and key stand still, produced again when either changes', () => {
  let version = 1;
  let produced = 0;
  const cache = new ListCache(() => version);
  const produce = (text: string) => () => {
    produced += 1;
    return text;
  };
  const first = cache.answer('a', produce('[1]'));
  assert.equal(cache.answer('a', produce('[2]')), first, 'the kept buffer itself');
  assert.equal(produced, 1);
  assert.equal(cache.answer('b', produce('[3]')).toString(), '[3]', 'another query');
  assert.equal(cache.answer('a', produce('[4]')).toString(), '[4]', 'one answer is kept, the last');
  version = 2;
  assert.equal(cache.answer('a', produce('[5]')).toString(), '[5]', 'a new version');
  assert.equal(produced, 4);
});

test('nothing is kept while the version is unknown', () => {
  let version = -1;
  const cache = new ListCache(() => version);
  assert.equal(cache.answer('a', () => '[1]').toString(), '[1]');
  assert.equal(cache.answer('a', () => '[2]').toString(), '[2]');
  version = 3;
  assert.equal(cache.answer('a', () => '[3]').toString(), '[3]', 'what was produced at -1 was not kept');
  assert.equal(cache.answer('a', () => '[4]').toString(), '[3]');
});

test('the version is read before the answer is produced', () => {
  let version = 1;
  const cache = new ListCache(() => version);
  cache.answer('a', () => {
    version = 2; // a change committed while the page was being read
    return '[old]';
  });
  assert.equal(cache.answer('a', () => '[new]').toString(), '[new]', 'kept under version 1, not 2');
});

test('query keys: equal queries, equal keys; any difference, another key', () => {
  assert.equal(queryKey({}), queryKey({ offset: 0, limit: 0 }));
  assert.equal(queryKey({ filters: { a: 1, b: 'x' } }), queryKey({ filters: { b: 'x', a: 1 } }));
  const keys = [
    {},
    { offset: 1 },
    { limit: 1 },
    { after: '9bf93e01-d728-47a3-ad4b-5e66a835037c' },
    { tenantId: 2 },
    { filters: { a: 1 } },
    { filters: { a: '1' } },
    { sort: [{ field: 'name' }] },
    { sort: [{ field: 'name', descending: true }] },
  ].map(queryKey);
  assert.equal(new Set(keys).size, keys.length);
});

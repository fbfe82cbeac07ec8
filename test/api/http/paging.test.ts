/**
 * Each paging adapter: its parameters to the domain's ListQuery, its refusals (a
 * PagingError naming the parameter), and what it says of the page it got back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PagingError, wholeNumber } from '../../../src/api/http/paging.js';
import { markerPaging, maxRecordsPaging, pageNumberPaging } from '../../../src/api/http/paging-styles.js';
import { tastypiePaging } from '../../../src/api/freenas/paging.js';

const U1 = '9bf93e01-d728-47a3-ad4b-5e66a835037c';
const U2 = '6d85703a-565d-469a-96ce-30b6de53079d';

function refused(fn: () => unknown, param: string, reason?: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof PagingError, String(e));
    assert.equal(e.param, param);
    if (reason) assert.equal(e.reason, reason);
    if (message) assert.match(e.message, message);
    return true;
  });
}

const result = (n: number, total = -1) => ({ items: Array.from({ length: n }, (_, i) => i), total });

test('whole numbers from a query string or a JSON body; huge ones held at 2^53-1', () => {
  assert.equal(wholeNumber(undefined, 'x'), undefined);
  assert.equal(wholeNumber('12', 'x'), 12);
  assert.equal(wholeNumber(12, 'x'), 12);
  assert.equal(wholeNumber('+3', 'x'), 3);
  assert.equal(wholeNumber('9'.repeat(40), 'x'), Number.MAX_SAFE_INTEGER);
  assert.equal(wholeNumber(1e300, 'x'), Number.MAX_SAFE_INTEGER);
  for (const bad of ['', '1.5', '1e3', 'abc', ' 1', 1.5, true, null, {}]) refused(() => wholeNumber(bad, 'x'), 'x', 'not_a_number');
  refused(() => wholeNumber('-1', 'x'), 'x', 'out_of_range');
  refused(() => wholeNumber(`-${'9'.repeat(40)}`, 'x'), 'x', 'out_of_range');
  refused(() => wholeNumber(0, 'x', 1), 'x', 'out_of_range', /x must be 1 or more/);
});

test('offset/limit (FreeNAS, Tastypie rules) through the adapter interface', () => {
  assert.deepEqual(tastypiePaging.parse({}).query, { offset: 0, limit: 30 });
  assert.deepEqual(tastypiePaging.parse({ offset: '5', limit: ['1', '7'] }).query, { offset: 5, limit: 7 }, 'the last of repeated keys');
  assert.deepEqual(tastypiePaging.parse({ limit: '0' }).query, { offset: 0, limit: 1000 });
  assert.deepEqual(tastypiePaging.parse({ limit: '5000' }).query, { offset: 0, limit: 1000 });
  refused(() => tastypiePaging.parse({ limit: 'abc' }), 'limit', undefined, /^Invalid limit 'abc' provided\. Please provide a positive integer\.$/);
  refused(() => tastypiePaging.parse({ offset: '-1' }), 'offset', undefined, /positive integer >= 0/);
  const req = tastypiePaging.parse({ offset: '2', limit: '2' });
  assert.deepEqual(tastypiePaging.page(req, result(2, 10), undefined), { total: 10, next: 'offset=4&limit=2' });
  assert.deepEqual(tastypiePaging.page(req, result(2, 4), undefined), { total: 4, next: null });
  assert.deepEqual(tastypiePaging.page(req, result(1), undefined), { total: -1, next: null }, 'uncounted: a short page is the last');
});

test('page_num/page_size (share pool): 1-based pages, 0 means the first page or everything', () => {
  const p = pageNumberPaging();
  assert.deepEqual(p.parse({}).query, {}, 'no size: everything');
  assert.deepEqual(p.parse({ page_num: 0, page_size: 0 }).query, {});
  assert.deepEqual(p.parse({ page_num: 1, page_size: 10 }).query, { offset: 0, limit: 10 });
  assert.deepEqual(p.parse({ page_num: 0, page_size: 10 }).query, { offset: 0, limit: 10 }, 'page 0 is the first');
  assert.deepEqual(p.parse({ page_num: '3', page_size: '10' }).query, { offset: 20, limit: 10 });
  assert.deepEqual(p.parse({ page_num: Number.MAX_SAFE_INTEGER, page_size: 10 }).query, { offset: Number.MAX_SAFE_INTEGER, limit: 10 });
  refused(() => p.parse({ page_num: 'x' }), 'page_num', 'not_a_number');
  refused(() => p.parse({ page_size: -1 }), 'page_size', 'out_of_range');
  refused(() => p.parse({ page_size: 1.5 }), 'page_size');
  assert.deepEqual(pageNumberPaging({ maxPageSize: 100 }).parse({ page_size: 0 }).query, { offset: 0, limit: 100 });
  assert.deepEqual(pageNumberPaging({ maxPageSize: 100 }).parse({ page_size: 500 }).query, { offset: 0, limit: 100 });

  const second = p.parse({ page_num: 2, page_size: 5 });
  assert.deepEqual(p.page(second, result(5, 11), undefined), { total: 11, next: 'page_num=3&page_size=5' });
  assert.deepEqual(p.page(second, result(5, 10), undefined), { total: 10, next: null });
  assert.deepEqual(p.page(p.parse({}), result(11, 11), undefined), { total: 11, next: null });
});

test('limit/marker/sort_key/sort_dir (Ironic): marker is a uuid, a full page links to the next', () => {
  const p = markerPaging({ sortKeys: { type: 'type', connector_id: 'connectorId' }, maxLimit: 100 });
  assert.deepEqual(p.parse({}).query, { limit: 100 });
  assert.deepEqual(p.parse({ limit: '500' }).query, { limit: 100 }, 'above max_limit: max_limit');
  assert.deepEqual(p.parse({ limit: '2', marker: U1.toUpperCase() }).query, { limit: 2, after: U1 });
  assert.deepEqual(p.parse({ sort_key: 'connector_id', sort_dir: 'desc' }).query, { limit: 100, sort: [{ field: 'connectorId', descending: true }] });
  assert.deepEqual(p.parse({ sort_key: 'type' }).query, { limit: 100, sort: [{ field: 'type', descending: false }] });
  assert.deepEqual(p.parse({ sort_dir: 'desc' }).query, { limit: 100, sort: [{ field: 'id', descending: true }] });
  assert.deepEqual(p.parse({ sort_key: 'id', sort_dir: 'asc' }).query, { limit: 100 }, 'id ascending is the natural order');
  refused(() => p.parse({ limit: '0' }), 'limit', 'out_of_range');
  refused(() => p.parse({ limit: 'ten' }), 'limit', 'not_a_number');
  refused(() => p.parse({ marker: 'not-a-uuid' }), 'marker', undefined, /UUID/);
  refused(() => p.parse({ sort_key: 'secret' }), 'sort_key', undefined, /The sort_key value "secret" is an invalid field for sorting/);
  refused(() => p.parse({ sort_key: 'constructor' }), 'sort_key');
  refused(() => p.parse({ sort_dir: 'up' }), 'sort_dir', undefined, /Acceptable values are 'asc' or 'desc'/);

  const req = p.parse({ limit: '2', sort_key: 'type' });
  assert.deepEqual(p.page(req, result(2), U2), { total: -1, next: `sort_key=type&limit=2&marker=${U2}` });
  assert.deepEqual(p.page(req, result(1), U2), { total: -1, next: null }, 'a short page is the last');
  assert.deepEqual(p.page(req, result(0), undefined), { total: -1, next: null });
});

test('max_records (ONTAP): continued from the last record uuid', () => {
  const p = maxRecordsPaging();
  assert.deepEqual(p.parse({}).query, {}, 'absent: every record');
  assert.deepEqual(p.parse({ max_records: '2' }).query, { limit: 2 });
  assert.deepEqual(p.parse({ max_records: '2', 'start.uuid': U1 }).query, { limit: 2, after: U1 });
  refused(() => p.parse({ max_records: '0' }), 'max_records', 'out_of_range');
  refused(() => p.parse({ max_records: 'many' }), 'max_records', 'not_a_number');
  refused(() => p.parse({ 'start.uuid': 'x' }), 'start.uuid');
  const req = p.parse({ max_records: '2' });
  assert.deepEqual(p.page(req, result(2, 5), U2), { total: 5, next: `max_records=2&start.uuid=${U2}` });
  assert.deepEqual(p.page(req, result(1, 5), U2), { total: 5, next: null });
  assert.deepEqual(p.page(p.parse({}), result(5, 5), U2), { total: 5, next: null }, 'no max_records: one page');
  assert.equal(maxRecordsPaging({ cursorParam: 'start.svm.uuid' }).parse({ 'start.svm.uuid': U1 }).query.after, U1);
});

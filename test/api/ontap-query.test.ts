/**
 * ONTAP collection-query mechanics without a server: parsing the query string in ONTAP's error
 * words, the query syntax of field filters, order_by, projection of `fields` (default, `*`,
 * `**`, named paths) and the paged body with a next link a client can follow to the end.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  collectionBody,
  matchesFilters,
  OntapQueryError,
  type OntapResourceShape,
  parseCollectionQuery,
  project,
  START_PARAM,
  sortRecords,
} from '../../src/api/ontap/query.js';

const LUN: OntapResourceShape = {
  fields: [
    'uuid',
    'name',
    'enabled',
    'svm',
    'svm.uuid',
    'svm.name',
    'space',
    'space.size',
    'space.used',
    'initiators',
    'initiators.name',
    'initiators.comment',
    'statistics',
    'statistics.iops',
    'statistics.latency',
    'comment',
  ],
  collectionDefaults: ['uuid', 'name', '_links'],
  expensive: ['statistics'],
};

const links = (uuid: string) => ({ self: { href: `/api/storage/luns/${uuid}` } });

const lun = (i: number, over: Record<string, unknown> = {}) => ({
  uuid: `u${i}`,
  name: `/vol/vol${i}/lun${i}`,
  enabled: i % 2 === 0,
  svm: { uuid: 's1', name: 'vs0', _links: { self: { href: '/api/svm/svms/s1' } } },
  space: { size: i * 1024, used: i * 10 },
  initiators: [{ name: `iqn.1993-08.org.debian:01:host${i}`, comment: 'c' }],
  statistics: { iops: i * 100, latency: 5 },
  _links: links(`u${i}`),
  ...over,
});

const parse = (raw: Record<string, string | string[] | undefined>, extra?: string[]) =>
  parseCollectionQuery(raw, LUN, extra ? { extraParams: extra } : undefined);

function refused(raw: Record<string, string | string[]>, code: string, message: string, target: string) {
  assert.throws(
    () => parse(raw),
    (e: unknown) => {
      assert.ok(e instanceof OntapQueryError);
      assert.deepEqual({ status: e.status, code: e.code, message: e.message, target: e.target }, { status: 400, code, message, target });
      return true;
    },
  );
}

// parseCollectionQuery

test('an empty query is the defaults', () => {
  assert.deepEqual(parse({}), { fields: null, maxRecords: null, returnRecords: true, returnTimeout: 15, orderBy: [], filters: [], start: 0 });
});

test('fields: comma lists and repeats merge; empty is the default; * and ** stand alone', () => {
  assert.deepEqual(parse({ fields: ['name,svm.name', 'space'] }).fields, ['name', 'svm.name', 'space']);
  assert.equal(parse({ fields: '' }).fields, null);
  assert.equal(parse({ fields: '*' }).fields, '*');
  assert.equal(parse({ fields: '**' }).fields, '**');
  assert.equal(parse({ fields: 'name,**' }).fields, '**');
  assert.deepEqual(parse({ fields: '*,statistics' }).fields, ['*', 'statistics']);
});

test('fields: an unknown name is an unexpected argument targeting fields', () => {
  refused({ fields: 'name,bogus' }, '262179', 'Unexpected argument "bogus".', 'fields');
});

test('an unknown parameter is refused in ONTAP words', () => {
  refused({ colour: 'red' }, '262179', 'Unexpected argument "colour".', 'colour');
});

test('extraParams are left to the caller', () => {
  const q = parse({ allow_delete_while_mapped: 'true', name: 'x' }, ['allow_delete_while_mapped']);
  assert.deepEqual(q.filters, [{ field: 'name', expr: 'x' }]);
});

test('max_records: a positive integer, anything else is an invalid integer', () => {
  assert.equal(parse({ max_records: '20' }).maxRecords, 20);
  for (const v of ['0', '-1', '1.5', 'abc', '', '1e3', '0x10', '99999999999999999999']) {
    refused({ max_records: v }, '262185', `"${v}" is an invalid value for field "max_records" (<integer>)`, 'max_records');
  }
});

test('return_records: true or false, else an invalid boolean', () => {
  assert.equal(parse({ return_records: 'false' }).returnRecords, false);
  assert.equal(parse({ return_records: 'true' }).returnRecords, true);
  refused({ return_records: 'yes' }, '262185', '"yes" is an invalid value for field "return_records" (<boolean>)', 'return_records');
});

test('return_timeout: 0..120', () => {
  assert.equal(parse({ return_timeout: '0' }).returnTimeout, 0);
  assert.equal(parse({ return_timeout: '120' }).returnTimeout, 120);
  refused({ return_timeout: '121' }, '262185', '"121" is an invalid value for field "return_timeout" (<integer>)', 'return_timeout');
});

test('order_by: comma list and repeats, with directions', () => {
  assert.deepEqual(parse({ order_by: ['name desc,space.size', 'uuid asc'] }).orderBy, [
    { field: 'name', desc: true },
    { field: 'space.size', desc: false },
    { field: 'uuid', desc: false },
  ]);
  refused({ order_by: 'bogus' }, '262179', 'Unexpected argument "bogus".', 'order_by');
  refused({ order_by: 'name up' }, '262185', '"name up" is an invalid value for field "order_by" (<string>)', 'order_by');
});

test('start.index: a non-negative offset', () => {
  assert.equal(parse({ [START_PARAM]: '4' }).start, 4);
  refused({ [START_PARAM]: '-2' }, '262185', '"-2" is an invalid value for field "start.index" (<integer>)', 'start.index');
});

test('field parameters are filters; repeats are kept for ANDing', () => {
  assert.deepEqual(parse({ 'svm.name': 'vs0', name: ['*lun*', '!*lun3'] }).filters, [
    { field: 'svm.name', expr: 'vs0' },
    { field: 'name', expr: '*lun*' },
    { field: 'name', expr: '!*lun3' },
  ]);
});

// matchesFilters

const m = (record: object, field: string, expr: string) => matchesFilters(record, [{ field, expr }]);

test('filters: exact matches fold case, numbers and booleans compare as such', () => {
  const r = lun(2);
  assert.equal(m(r, 'svm.name', 'VS0'), true);
  assert.equal(m(r, 'svm.name', 'vs1'), false);
  assert.equal(m(r, 'space.size', '2048'), true);
  assert.equal(m(r, 'space.size', '2049'), false);
  assert.equal(m(r, 'enabled', 'true'), true);
  assert.equal(m(r, 'enabled', 'false'), false);
});

test('filters: * wildcards, case-insensitive', () => {
  const r = lun(3);
  assert.equal(m(r, 'name', '/VOL/*'), true);
  assert.equal(m(r, 'name', '*lun3'), true);
  assert.equal(m(r, 'name', '*lun4'), false);
  assert.equal(m(r, 'name', '/vol/vol?/*'), false, '? is no wildcard in ONTAP');
});

test('filters: | alternation and ! negation', () => {
  const r = lun(3);
  assert.equal(m(r, 'uuid', 'u1|u3'), true);
  assert.equal(m(r, 'uuid', 'u1|u2'), false);
  assert.equal(m(r, 'uuid', '!u3'), false);
  assert.equal(m(r, 'uuid', '!u1'), true);
  assert.equal(m(r, 'name', '!*lun3'), false);
});

test('filters: < > <= >= and inclusive ranges over numbers', () => {
  const r = lun(4); // size 4096
  assert.equal(m(r, 'space.size', '>4000'), true);
  assert.equal(m(r, 'space.size', '>4096'), false);
  assert.equal(m(r, 'space.size', '>=4096'), true);
  assert.equal(m(r, 'space.size', '<4096'), false);
  assert.equal(m(r, 'space.size', '<=4096'), true);
  assert.equal(m(r, 'space.size', '4096..5000'), true);
  assert.equal(m(r, 'space.size', '1..4096'), true);
  assert.equal(m(r, 'space.size', '4097..9999'), false);
});

test('filters: arrays match when any element does', () => {
  const r = lun(1, { initiators: [{ name: 'iqn.a' }, { name: 'iqn.b' }] });
  assert.equal(m(r, 'initiators.name', 'iqn.b'), true);
  assert.equal(m(r, 'initiators.name', 'iqn.c'), false);
  assert.equal(m(r, 'initiators.name', '!iqn.c'), true);
  assert.equal(m(r, 'initiators.name', '!iqn.a'), false);
});

test('filters: an absent field matches nothing but a negation', () => {
  const r = lun(1);
  assert.equal(m(r, 'comment', '*'), false);
  assert.equal(m(r, 'comment', 'x'), false);
  assert.equal(m(r, 'comment', '!x'), true);
});

test('filters: several are ANDed', () => {
  const r = lun(2);
  assert.equal(
    matchesFilters(r, [
      { field: 'name', expr: '*lun*' },
      { field: 'name', expr: '!*lun3' },
    ]),
    true,
  );
  assert.equal(
    matchesFilters(r, [
      { field: 'name', expr: '*lun*' },
      { field: 'enabled', expr: 'false' },
    ]),
    false,
  );
});

// sortRecords

test('sort: numbers numerically, strings case-insensitively, stable, missing last', () => {
  const rs = [
    { id: 1, name: 'b', n: 10 },
    { id: 2, name: 'A', n: 9 },
    { id: 3, n: 100 },
    { id: 4, name: 'a', n: 9 },
  ];
  assert.deepEqual(
    sortRecords(rs, [{ field: 'n', desc: false }]).map((r) => r.id),
    [2, 4, 1, 3],
  );
  assert.deepEqual(
    sortRecords(rs, [{ field: 'name', desc: false }]).map((r) => r.id),
    [2, 4, 1, 3],
  );
  assert.deepEqual(
    sortRecords(rs, [{ field: 'name', desc: true }]).map((r) => r.id),
    [1, 2, 4, 3],
  );
  assert.deepEqual(
    sortRecords(rs, [
      { field: 'n', desc: true },
      { field: 'id', desc: true },
    ]).map((r) => r.id),
    [3, 1, 4, 2],
  );
  assert.deepEqual(
    rs.map((r) => r.id),
    [1, 2, 3, 4],
    'the input is left as it was',
  );
});

// project

test('project: the collection default is the key fields, in record order', () => {
  const p = project(lun(1), null, LUN, 'collection');
  assert.deepEqual(Object.keys(p), ['uuid', 'name', '_links']);
});

test('project: the instance default is everything but the expensive', () => {
  const p = project(lun(1), null, LUN, 'instance');
  assert.deepEqual(Object.keys(p), ['uuid', 'name', 'enabled', 'svm', 'space', 'initiators', '_links']);
});

test('project: * leaves the expensive out, ** keeps it, *,statistics adds it', () => {
  const r = lun(1);
  assert.equal('statistics' in project(r, '*', LUN, 'collection'), false);
  assert.deepEqual(project(r, '**', LUN, 'collection'), r);
  const both = project(r, ['*', 'statistics'], LUN, 'collection');
  assert.deepEqual(Object.keys(both), Object.keys(r));
  assert.equal('statistics.latency' in project(r, ['statistics.iops'], LUN, 'collection'), false);
  assert.deepEqual(project(r, ['statistics.iops'], LUN, 'collection'), { statistics: { iops: 100 }, _links: r._links });
});

test('project: a named leaf keeps its path, a named parent its subtree, _links always', () => {
  const r = lun(1);
  assert.deepEqual(project(r, ['svm.name'], LUN, 'collection'), { svm: { name: 'vs0' }, _links: r._links });
  assert.deepEqual(project(r, ['svm'], LUN, 'collection'), { svm: r.svm, _links: r._links });
  assert.deepEqual(project(r, ['initiators.name'], LUN, 'instance'), { initiators: [{ name: r.initiators[0].name }], _links: r._links });
});

test('project: a named field the record lacks leaves nothing, and the result is a copy', () => {
  const r = lun(1);
  assert.deepEqual(project(r, ['comment'], LUN, 'collection'), { _links: r._links });
  const p = project(r, ['svm'], LUN, 'collection') as { svm: { name: string } };
  p.svm.name = 'changed';
  assert.equal(r.svm.name, 'vs0');
});

// collectionBody

test('body: the whole collection without max_records', () => {
  const items = [lun(1), lun(2)];
  const body = collectionBody(items, parse({}), '/api/storage/luns', '/api/storage/luns', LUN);
  assert.deepEqual(body, {
    records: items.map((r) => ({ uuid: r.uuid, name: r.name, _links: r._links })),
    num_records: 2,
    _links: { self: { href: '/api/storage/luns' } },
  });
});

test('body: return_records=false gives the count and no records', () => {
  const items = [lun(1), lun(2), lun(3)];
  const body = collectionBody(items, parse({ return_records: 'false', max_records: '1' }), '/x?return_records=false&max_records=1', '/x', LUN);
  assert.deepEqual(body, { num_records: 3, _links: { self: { href: '/x?return_records=false&max_records=1' } } });
});

test('body: paging 5 records by 2 follows next links to the end', () => {
  const path = '/api/storage/luns';
  const items = [1, 2, 3, 4, 5].map((i) => lun(i));
  let href: string | undefined = `${path}?fields=name&max_records=2`;
  const seen: string[] = [];
  const counts: number[] = [];
  while (href !== undefined) {
    const qs = new URLSearchParams(href.slice(href.indexOf('?') + 1));
    const raw: Record<string, string[]> = {};
    for (const k of new Set(qs.keys())) raw[k] = qs.getAll(k);
    const body = collectionBody(items, parse(raw), href, path, LUN);
    assert.equal(body._links.self.href, href);
    counts.push(body.num_records);
    for (const r of body.records ?? []) {
      assert.deepEqual(Object.keys(r), ['name', '_links']);
      seen.push(r.name as string);
    }
    href = body._links.next?.href;
    if (href !== undefined) {
      assert.ok(href.startsWith(`${path}?fields=name&max_records=2&${START_PARAM}=`), href);
      assert.equal(href.split(`${START_PARAM}=`).length, 2, 'one cursor, the old one replaced');
    }
  }
  assert.deepEqual(counts, [2, 2, 1]);
  assert.deepEqual(
    seen,
    items.map((r) => r.name),
  );
});

test('body: a start past the end is an empty page with no next', () => {
  const body = collectionBody([lun(1)], parse({ max_records: '2', [START_PARAM]: '5' }), '/x?max_records=2&start.index=5', '/x', LUN);
  assert.deepEqual(body, { records: [], num_records: 0, _links: { self: { href: '/x?max_records=2&start.index=5' } } });
});

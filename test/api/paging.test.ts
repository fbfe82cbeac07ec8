/**
 * List paging on every FreeNAS list route, as Tastypie's Paginator answers it: values that
 * are not whole numbers or are negative get 400 {"error": ...} in Tastypie's words; a huge
 * limit is served as the maximum page (1000), a huge offset as an empty page; nothing is
 * ever a 500, and no request changes the configuration.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FREENAS, startSanbox, type TestSanbox } from '../support/sanbox.js';

const LISTS = ['portal', 'authorizedinitiator', 'authcredential', 'target', 'extent', 'targettoextent'];
const HUGE = '9223372036854775807';

let sb: TestSanbox;

before(async () => {
  sb = await startSanbox();
  const setup: [string, unknown][] = [
    ['portal', { iscsi_target_portal_ips: ['0.0.0.0:3260'] }],
    ['authorizedinitiator', { iscsi_target_initiator_initiators: 'ALL', iscsi_target_initiator_auth_network: 'ALL' }],
    ['authcredential', { iscsi_target_auth_tag: 1, iscsi_target_auth_user: 'user', iscsi_target_auth_secret: 'secretsecret12' }],
    ['target', { iscsi_target_name: 'target', iscsi_target_portalgroup: 1, iscsi_target_initiatorgroup: 1 }],
    [
      'extent',
      { iscsi_target_extent_type: 'Device', iscsi_target_extent_name: 'null', iscsi_target_extent_filesize: '10MB', iscsi_target_extent_path: '/dev/zero' },
    ],
    ['targettoextent', { iscsi_target: 1, iscsi_extent: 1 }],
  ];
  for (const [resource, body] of setup) {
    const res = await sb.api('POST', `${FREENAS}/${resource}/`, body);
    assert.equal(res.status, 201, `${resource}: ${res.text}`);
  }
});

after(async () => {
  await sb.stop();
});

const snapshot = () => JSON.stringify(sb.sanbox.services.mutations.store.snapshot());

const invalidLimit = (v: string) => ({ error: `Invalid limit '${v}' provided. Please provide a positive integer.` });
const negativeLimit = (v: string) => ({ error: `Invalid limit '${v}' provided. Please provide a positive integer >= 0.` });
const invalidOffset = (v: string) => ({ error: `Invalid offset '${v}' provided. Please provide an integer.` });
const negativeOffset = (v: string) => ({ error: `Invalid offset '${v}' provided. Please provide a positive integer >= 0.` });

const REFUSED: [string, unknown][] = [
  ['limit=1e20', invalidLimit('1e20')],
  ['limit=1.5', invalidLimit('1.5')],
  ['limit=abc', invalidLimit('abc')],
  ['limit=', invalidLimit('')],
  ['limit=0x10', invalidLimit('0x10')],
  ['limit=-1', negativeLimit('-1')],
  [`limit=-${HUGE}`, negativeLimit(`-${HUGE}`)],
  ['offset=1e20', invalidOffset('1e20')],
  ['offset=2.5', invalidOffset('2.5')],
  ['offset=x', invalidOffset('x')],
  ['offset=-1', negativeOffset('-1')],
  [`offset=-${HUGE}`, negativeOffset(`-${HUGE}`)],
];

test('bad offset or limit on every list route: 400 in Tastypie words, nothing changed', async () => {
  const before = snapshot();
  for (const resource of LISTS) {
    for (const [query, body] of REFUSED) {
      const res = await sb.api('GET', `${FREENAS}/${resource}/?${query}`);
      assert.equal(res.status, 400, `${resource}?${query}: ${res.text}`);
      assert.deepEqual(res.body, body, `${resource}?${query}`);
      assert.equal(res.headers.get('vary'), 'Accept');
    }
  }
  assert.equal(snapshot(), before);
});

test('huge but valid values are never a 500: a huge limit is a full page, a huge offset an empty one', async () => {
  const before = snapshot();
  for (const resource of LISTS) {
    const all = await sb.api('GET', `${FREENAS}/${resource}/`);
    assert.equal(all.status, 200);
    assert.equal(all.body.length, 1, resource);
    for (const query of [`limit=${HUGE}`, `limit=${'9'.repeat(40)}`, 'limit=1001', 'limit=0', ' limit=+1', 'limit=1&limit=5']) {
      const res = await sb.api('GET', `${FREENAS}/${resource}/?${query.trim()}`);
      assert.equal(res.status, 200, `${resource}?${query}: ${res.text}`);
      assert.deepEqual(res.body, all.body, `${resource}?${query}`);
    }
    for (const query of [`offset=${HUGE}`, `offset=${'9'.repeat(40)}`, 'offset=1', `offset=${HUGE}&limit=${HUGE}`]) {
      const res = await sb.api('GET', `${FREENAS}/${resource}/?${query}`);
      assert.equal(res.status, 200, `${resource}?${query}: ${res.text}`);
      assert.deepEqual(res.body, [], `${resource}?${query}`);
    }
  }
  assert.equal(snapshot(), before);
});

test("a page never holds more than 1000 objects, as Tastypie's max_limit", async () => {
  // Through the domain service: 1001 API round trips would only slow the test down.
  const creds = sb.sanbox.services.authCredentials;
  for (let i = 0; i < 1001; i++) await creds.create({ tag: 2, user: `u${i}`, secret: `secret-${i}-padding` });
  for (const query of ['limit=0', `limit=${HUGE}`, 'limit=1001']) {
    const res = await sb.api('GET', `${FREENAS}/authcredential/?${query}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 1000, query);
  }
  const tail = await sb.api('GET', `${FREENAS}/authcredential/?offset=1000&limit=${HUGE}`);
  assert.deepEqual(
    tail.body.map((c: { iscsi_target_auth_user: string }) => c.iscsi_target_auth_user),
    ['u999', 'u1000'],
  );
});

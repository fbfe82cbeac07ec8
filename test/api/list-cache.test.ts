/**
 * List routes keep their serialized answer while the configuration is
 * unchanged: the cached answer is byte-for-byte the fresh one, and every change (create,
 * update, delete, a refused change) shows on the next GET.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FREENAS, startSanbox, type TestSanbox } from '../support/sanbox.js';

let sb: TestSanbox;

before(async () => {
  sb = await startSanbox();
  await sb.api('POST', `${FREENAS}/portal/`, { iscsi_target_portal_ips: ['0.0.0.0:3260'] });
  await sb.api('POST', `${FREENAS}/authorizedinitiator/`, {});
});

after(async () => {
  await sb.stop();
});

const names = async (query = '') => {
  const r = await sb.api('GET', `${FREENAS}/target/${query}`);
  assert.equal(r.status, 200, r.text);
  return {
    names: (r.body as Array<{ iscsi_target_name: string; iscsi_target_alias: string | null }>).map(
      (t) => `${t.iscsi_target_name}${t.iscsi_target_alias ? '/' + t.iscsi_target_alias : ''}`,
    ),
    r,
  };
};

test('cached list answers match fresh ones and follow every change', async () => {
  const create = (n: string) => sb.api('POST', `${FREENAS}/target/`, { iscsi_target_name: n, iscsi_target_portalgroup: 1, iscsi_target_initiatorgroup: 1 });
  const a = await create('a');
  assert.equal(a.status, 201);
  await create('b');
  const first = await names();
  const second = await names();
  assert.deepEqual(first.names, ['a', 'b']);
  assert.equal(second.r.text, first.r.text, 'same bytes from the cache');
  assert.equal(second.r.headers.get('content-type'), 'application/json; charset=utf-8');
  assert.equal(second.r.headers.get('content-length'), String(Buffer.byteLength(first.r.text)));
  assert.equal(second.r.headers.get('vary'), first.r.headers.get('vary'));
  assert.deepEqual((await names('?limit=1')).names, ['a'], 'pages are cached apart');
  assert.deepEqual((await names('?offset=1')).names, ['b']);
  const put = await sb.api('PUT', `${FREENAS}/target/${a.body.id}/`, { iscsi_target_alias: 'x' });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual((await names()).names, ['a/x', 'b']);
  const dup = await create('b');
  assert.equal(dup.status, 400, 'a refused create changes nothing');
  assert.deepEqual((await names()).names, ['a/x', 'b']);
  assert.equal((await sb.api('DELETE', `${FREENAS}/target/${a.body.id}/`)).status, 204);
  assert.deepEqual((await names()).names, ['b']);
  assert.equal((await sb.api('GET', `${FREENAS}/target/?limit=abc`)).status, 400, 'validation still runs first');
});

test('every resource list follows changes made through any resource', async () => {
  const portals = async () =>
    (await sb.api('GET', `${FREENAS}/portal/`)).body.map((p: { iscsi_target_portal_comment: string }) => p.iscsi_target_portal_comment);
  const before = await portals();
  assert.deepEqual(await portals(), before, 'a repeated GET answers the same');
  const created = await sb.api('POST', `${FREENAS}/portal/`, { iscsi_target_portal_ips: ['127.0.0.1:3999'], iscsi_target_portal_comment: 'second' });
  assert.equal(created.status, 201, created.text);
  assert.deepEqual(await portals(), [...before, 'second']);
  assert.equal((await sb.api('DELETE', `${FREENAS}/portal/${created.body.id}/`)).status, 204);
  assert.deepEqual(await portals(), before);
});

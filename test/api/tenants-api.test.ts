/**
 * /api/tenants (issue 15's tenants page): list, create, rename, the iSCSI switch, stop and
 * delete, with sanbox's own error shape; the same tenant is the ONTAP SVM of that name;
 * a key scoped to a tenant sees and changes only its own and may not create or delete.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSanbox, type TestSanbox } from '../support/sanbox.js';

let sb: TestSanbox;
before(async () => {
  sb = await startSanbox({ ports: { throttle: { freeFailures: 1000, refusalHoldMs: 0 } } });
});
after(() => sb.stop());

test('a tenant is made, listed, renamed, switched off and deleted; it is the ONTAP SVM of its name', async () => {
  const made = await sb.api('POST', '/api/tenants', { name: 'blue' });
  assert.equal(made.status, 201);
  assert.deepEqual({ ...made.body, uuid: undefined }, { uuid: undefined, name: 'blue', iscsiEnabled: true, running: true, default: false });
  const { uuid } = made.body;
  const list = (await sb.api('GET', '/api/tenants')).body as Array<{ name: string; default: boolean }>;
  assert.deepEqual(
    list.map((t) => [t.name, t.default]),
    [
      ['default', true],
      ['blue', false],
    ],
  );
  const svm = await sb.api('GET', `/api/svm/svms/${uuid}?fields=name,state,iscsi.enabled`);
  assert.equal(svm.status, 200);
  assert.equal(svm.body.name, 'blue');

  const off = await sb.api('PATCH', `/api/tenants/${uuid}`, { iscsiEnabled: false, name: 'navy' });
  assert.equal(off.status, 200);
  assert.equal(off.body.iscsiEnabled, false);
  assert.equal(off.body.name, 'navy');
  assert.equal((await sb.api('GET', `/api/tenants/${uuid}`)).body.iscsiEnabled, false);
  assert.equal((await sb.api('GET', `/api/svm/svms/${uuid}?fields=iscsi.enabled`)).body.iscsi.enabled, false);

  assert.equal((await sb.api('DELETE', `/api/tenants/${uuid}`)).status, 204);
  assert.equal((await sb.api('GET', `/api/tenants/${uuid}`)).status, 404);
});

test('bad changes are refused in sanbox’s shape and change nothing', async () => {
  const { uuid } = (await sb.api('POST', '/api/tenants', { name: 'green' })).body;
  const before = (await sb.api('GET', '/api/tenants')).body;
  const cases: Array<[string, string, unknown, number, string, string]> = [
    ['POST', '/api/tenants', { name: 'green' }, 409, 'name.taken', 'name'],
    ['POST', '/api/tenants', { name: '  ' }, 400, 'value.required', 'name'],
    ['POST', '/api/tenants', {}, 400, 'request.invalid', 'name'],
    ['POST', '/api/tenants', { name: 'x', colour: 'red' }, 400, 'request.invalid', 'colour'],
    ['PATCH', `/api/tenants/${uuid}`, { iscsiEnabled: 'no' }, 400, 'request.invalid', 'iscsiEnabled'],
    ['PATCH', `/api/tenants/${uuid}`, {}, 400, 'request.invalid', '__all__'],
    ['PATCH', `/api/tenants/${uuid}`, { name: 'default' }, 409, 'name.taken', 'name'],
    ['PATCH', '/api/tenants/not-a-uuid', { running: false }, 404, 'entity.not-found', '__all__'],
    ['DELETE', '/api/tenants/00000000-0000-4000-8000-000000000000', undefined, 404, 'entity.not-found', '__all__'],
  ];
  for (const [method, url, body, status, code, field] of cases) {
    const r = await sb.api(method, url, body);
    assert.equal(r.status, status, `${method} ${url} ${JSON.stringify(body)}: ${r.text}`);
    assert.equal(r.body.error.code, code, r.text);
    assert.equal(r.body.error.field, field, r.text);
  }
  const dflt = (before as Array<{ uuid: string; default: boolean }>).find((t) => t.default)!;
  const kept = await sb.api('DELETE', `/api/tenants/${dflt.uuid}`);
  assert.equal(kept.status, 409);
  assert.equal(kept.body.error.code, 'tenant.default-kept');
  assert.deepEqual((await sb.api('GET', '/api/tenants')).body, before);

  // A tenant that owns something is not deleted: it says what it holds.
  const igroup = await sb.api('POST', '/api/protocols/san/igroups', { svm: { name: 'green' }, name: 'hosts', os_type: 'linux', protocol: 'iscsi' });
  assert.equal(igroup.status, 201, igroup.text);
  const held = await sb.api('DELETE', `/api/tenants/${uuid}`);
  assert.equal(held.status, 409);
  assert.equal(held.body.error.code, 'tenant.not-empty');
  assert.match(held.body.error.message, /initiator group/);
  assert.equal((await sb.api('GET', `/api/tenants/${uuid}`)).status, 200);
});

test('a key scoped to a tenant sees and switches only its own, and creates or deletes none', async () => {
  const { uuid } = (await sb.api('POST', '/api/tenants', { name: 'red' })).body;
  const { key } = (await sb.api('POST', '/api/keys', { name: 'red-ops', tenant: uuid })).body;
  const as = (method: string, url: string, body?: unknown) =>
    sb.request(method, url, { auth: false, headers: { 'x-api-key': key }, ...(body === undefined ? {} : { body }) });
  const mine = await as('GET', '/api/tenants');
  assert.deepEqual(
    mine.body.map((t: { uuid: string }) => t.uuid),
    [uuid],
  );
  const dflt = (await sb.api('GET', '/api/tenants')).body.find((t: { default: boolean }) => t.default);
  assert.equal((await as('GET', `/api/tenants/${dflt.uuid}`)).status, 404);
  assert.equal((await as('PATCH', `/api/tenants/${dflt.uuid}`, { iscsiEnabled: false })).status, 404);
  assert.equal((await sb.api('GET', `/api/tenants/${dflt.uuid}`)).body.iscsiEnabled, true);
  assert.equal((await as('PATCH', `/api/tenants/${uuid}`, { iscsiEnabled: false })).body.iscsiEnabled, false);
  const create = await as('POST', '/api/tenants', { name: 'mine-too' });
  assert.equal(create.status, 403);
  assert.equal(create.body.error.code, 'request.forbidden');
  assert.equal((await as('DELETE', `/api/tenants/${uuid}`)).status, 403);
  assert.equal((await sb.api('GET', `/api/tenants/${uuid}`)).status, 200);
});

/**
 * API keys and credential schemes (issue 10): keys are created, listed and revoked through
 * /api/keys, shown once, stored as a digest only, kept across restarts; each dialect takes
 * the schemes it names (FreeNAS: Basic and X-Api-Key; sanbox's own routes: Basic,
 * X-Api-Key and Bearer), and a scheme a route does not take authenticates nothing there.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { FREENAS, TEST_ADMIN_PASSWORD, startSanbox, type TestSanbox } from '../support/sanbox.js';

let sb: TestSanbox;
before(async () => {
  sb = await startSanbox({ ports: { throttle: { freeFailures: 1000, refusalHoldMs: 0 } } });
});
after(() => sb.stop());

const noAuth = (method: string, url: string, headers: Record<string, string>, body?: unknown) =>
  sb.request(method, url, { auth: false, headers, ...(body === undefined ? {} : { body }) });

test('a key is shown once, listed without its secret, and stored only as a digest', async () => {
  const created = await sb.api('POST', '/api/keys', { name: 'ansible' });
  assert.equal(created.status, 201);
  const { id, key, prefix, name, tenant } = created.body;
  assert.equal(name, 'ansible');
  assert.equal(tenant, null);
  assert.match(key, /^sbx_\d+_[A-Za-z0-9_-]{43}$/);
  assert.ok(key.startsWith(prefix));
  const list = await sb.api('GET', '/api/keys');
  assert.deepEqual(
    list.body.map((k: { id: number }) => k.id),
    [id],
  );
  assert.ok(!list.text.includes(key.slice(prefix.length)), 'the list never carries the secret');
  assert.equal((await sb.api('GET', `/api/keys/${id}`)).body.name, 'ansible');
  const db = new Database(path.join(sb.dataDir, 'sanbox.db'), { readonly: true });
  try {
    const row = db.prepare('SELECT * FROM api_keys WHERE id = ?').get(id) as Record<string, unknown>;
    assert.ok(!JSON.stringify(row).includes(key.slice(prefix.length)), 'the database holds no secret');
    assert.match(String(row.secret_hash), /^[0-9a-f]{64}$/);
  } finally {
    db.close();
  }
  await sb.api('DELETE', `/api/keys/${id}`);
});

test('a key authenticates where its scheme is taken; revoked, it stops at once', async () => {
  const { id, key } = (await sb.api('POST', '/api/keys', { name: 'ci' })).body;
  // FreeNAS takes X-Api-Key (and Basic), not Bearer.
  assert.equal((await noAuth('GET', `${FREENAS}/portal/`, { 'x-api-key': key })).status, 200);
  const bearerOnFreenas = await noAuth('GET', `${FREENAS}/portal/`, { authorization: `Bearer ${key}` });
  assert.equal(bearerOnFreenas.status, 401);
  assert.match(bearerOnFreenas.headers.get('www-authenticate') ?? '', /^Basic /);
  // sanbox's own routes take Bearer and X-Api-Key.
  assert.equal((await noAuth('GET', '/api/status', { authorization: `Bearer ${key}` })).status, 200);
  assert.equal((await noAuth('GET', '/api/keys', { 'x-api-key': key })).status, 200);
  // Schemes no route here takes authenticate nothing.
  assert.equal((await noAuth('GET', '/api/status', { 'x-auth-token': key })).status, 401);
  assert.equal((await noAuth('GET', '/api/status', { 'x-subsystem-user': 'admin', 'x-subsystem-password': TEST_ADMIN_PASSWORD })).status, 401);
  // Revoked: the next request with it is refused.
  assert.equal((await sb.api('DELETE', `/api/keys/${id}`)).status, 204);
  assert.equal((await noAuth('GET', `${FREENAS}/portal/`, { 'x-api-key': key })).status, 401);
  assert.equal((await noAuth('GET', '/api/status', { authorization: `Bearer ${key}` })).status, 401);
  assert.equal((await sb.api('DELETE', `/api/keys/${id}`)).status, 404);
});

test('X-Api-Key still takes the admin password; a wrong or forged key is a 401', async () => {
  assert.equal((await noAuth('GET', `${FREENAS}/portal/`, { 'x-api-key': TEST_ADMIN_PASSWORD })).status, 200);
  const { id, key } = (await sb.api('POST', '/api/keys', { name: 'forge' })).body;
  const forged = `${key.slice(0, -4)}AAAA`;
  assert.equal((await noAuth('GET', '/api/status', { authorization: `Bearer ${forged}` })).status, 401);
  const otherId = key.replace(/^sbx_\d+_/, `sbx_${id + 100}_`);
  assert.equal((await noAuth('GET', '/api/status', { authorization: `Bearer ${otherId}` })).status, 401);
  assert.equal((await noAuth('GET', '/api/status', { authorization: 'Bearer not-a-key' })).status, 401);
  await sb.api('DELETE', `/api/keys/${id}`);
});

test('keys survive a restart', async () => {
  const { id, key } = (await sb.api('POST', '/api/keys', { name: 'kept' })).body;
  await sb.restart();
  assert.equal((await noAuth('GET', '/api/status', { authorization: `Bearer ${key}` })).status, 200);
  await sb.api('DELETE', `/api/keys/${id}`);
});

test("bad input to /api/keys gets a clear error in sanbox's shape and creates nothing", async () => {
  const before = (await sb.api('GET', '/api/keys')).body.length;
  // Refused by the route's schema: request.invalid; by the domain: the domain's stable code.
  const cases: Array<[unknown, number, string, string]> = [
    [{}, 400, 'name', 'request.invalid'],
    [{ name: '' }, 400, 'name', 'value.required'],
    [{ name: '   ' }, 400, 'name', 'value.required'],
    [{ name: 'a\u0000b' }, 400, 'name', 'value.control-characters'],
    [{ name: 'x'.repeat(65) }, 400, 'name', 'value.too-long'],
    [{ name: 'ok', scope: 'everything' }, 400, 'scope', 'request.invalid'],
    [[1, 2], 400, '__all__', 'request.invalid'],
  ];
  for (const [body, status, field, code] of cases) {
    const r = await sb.api('POST', '/api/keys', body);
    assert.equal(r.status, status, JSON.stringify(body));
    assert.equal(r.body.error.field, field, JSON.stringify(body));
    assert.equal(r.body.error.code, code, JSON.stringify(body));
    assert.equal(typeof r.body.error.message, 'string');
  }
  // FreeNAS's tolerance of trailing commas belongs to the FreeNAS plugin, not to sanbox's own routes.
  const comma = await sb.request('POST', '/api/keys', { raw: '{"name": "comma",}' });
  assert.equal(comma.status, 400);
  assert.equal(comma.body.error.code, 'request.invalid');
  const freenasComma = await sb.request('POST', `${FREENAS}/authorizedinitiator/`, { raw: '{"iscsi_target_initiator_comment": "comma",}' });
  assert.equal(freenasComma.status, 201, "FreeNAS still takes its documentation's trailing comma");
  await sb.api('DELETE', `${FREENAS}/authorizedinitiator/${freenasComma.body.id}/`);
  const first = await sb.api('POST', '/api/keys', { name: 'twice' });
  const dup = await sb.api('POST', '/api/keys', { name: 'twice' });
  assert.equal(dup.status, 409);
  assert.deepEqual(dup.body, {
    error: { code: 'name.taken', field: 'name', message: 'An API key named "twice" already exists.', params: { entity: 'api-key', name: 'twice' } },
  });
  for (const bad of ['0', 'abc', '1.5', '99999999999999999999']) {
    assert.equal((await sb.api('GET', `/api/keys/${bad}`)).status, 404, bad);
    assert.equal((await sb.api('DELETE', `/api/keys/${bad}`)).status, 404, bad);
  }
  assert.equal((await sb.api('GET', '/api/keys')).body.length, before + 1);
  await sb.api('DELETE', `/api/keys/${first.body.id}`);
});

test('wrong keys count as failures for the throttle, a valid key is never refused for them', async () => {
  const slow = await startSanbox({ ports: { throttle: { freeFailures: 2, baseDelayMs: 60_000, refusalHoldMs: 0 } } });
  try {
    const { key } = (await slow.api('POST', '/api/keys', { name: 'good' })).body;
    const wrong = `${key.slice(0, -4)}AAAA`;
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await slow.request('GET', '/api/status', { auth: false, headers: { authorization: `Bearer ${wrong}` } })).status);
    assert.deepEqual(statuses, [401, 401, 429, 429], 'two free failures, then refused until the delay has passed');
    assert.equal((await slow.request('GET', '/api/status', { auth: false, headers: { authorization: `Bearer ${key}` } })).status, 200);
  } finally {
    await slow.stop();
  }
});

test("a key scoped to a tenant: made with the tenant's uuid, shown with it, and refused by FreeNAS, which serves the default tenant", async () => {
  const sb = await startSanbox();
  try {
    const blue = await sb.sanbox.services.tenants.create({ name: 'blue' });
    const unknown = await sb.api('POST', '/api/keys', { name: 'nowhere', tenant: 'fab210d2-b9b8-4b0b-bd61-50812ce3d4d0' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.code, 'tenant.unknown');
    assert.equal(unknown.body.error.field, 'tenant');
    const scoped = await sb.api('POST', '/api/keys', { name: 'blue-ci', tenant: blue.uuid });
    assert.equal(scoped.status, 201, scoped.text);
    assert.equal(scoped.body.tenant, blue.uuid);
    const asBlue = { auth: false, headers: { 'x-api-key': scoped.body.key } };
    const refused = await sb.request('GET', `${FREENAS}/target/`, asBlue);
    assert.equal(refused.status, 403);
    assert.match(refused.body.error_message, /another tenant/);
    const unscoped = (await sb.api('POST', '/api/keys', { name: 'default-ci' })).body.key;
    assert.equal((await sb.request('GET', `${FREENAS}/target/`, { auth: false, headers: { 'x-api-key': unscoped } })).status, 200);
    assert.equal((await sb.request('GET', '/api/status', asBlue)).status, 200, 'it is still a valid key');
  } finally {
    await sb.stop();
  }
});

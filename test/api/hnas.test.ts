// The Hitachi NAS v9 dialect (/v9/storage) against a running sanbox: the seed's iSCSI-target
// PATCH replayed, object ids, the three ways to authenticate and a key scoped to one virtual
// server, the virtual server, logical unit and target-LU resources, and bad inputs, each
// answered exactly and each leaving every collection (and the FreeNAS view) as it was.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { freePort } from '../e2e/peers.js';
import { FREENAS, startSanbox, type TestSanbox } from '../support/sanbox.js';

const V = '/v9/storage';
const TRAILER = 'OID_$#!@%_V';
const FORBIDDEN = { errorMsg: 'Forbidden request - the client does not have the required permissions to perform the operation' };
const UNAUTHORIZED = { errorMsg: 'Unauthorized - the request was rejected because the credentials or API key were either missing or invalid' };

let sb: TestSanbox;

interface Answer {
  status: number;
  body: any;
  location: string | null;
}

/** A request as an HNAS client sends it; a 303 is not followed (its body is the answer). */
async function call(method: string, path: string, body?: unknown, headers?: Record<string, string>, raw?: string): Promise<Answer> {
  const h: Record<string, string> = { ...(headers ?? sb.authHeaders) };
  const text = raw ?? (body === undefined ? undefined : JSON.stringify(body));
  if (text !== undefined) h['content-type'] = 'application/json';
  const r = await fetch(sb.baseUrl + path, { method, headers: h, body: text, redirect: 'manual' });
  const t = await r.text();
  return { status: r.status, body: t === '' ? null : JSON.parse(t), location: r.headers.get('location') };
}

/** The answer's status and body, exactly. */
async function expect(method: string, path: string, body: unknown, status: number, expected: unknown, headers?: Record<string, string>): Promise<Answer> {
  const r = await call(method, path, body, headers);
  assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
  assert.deepEqual(r.body, expected, `${method} ${path}`);
  return r;
}

const hex = (text: string) => Buffer.from(text, 'ascii').toString('hex');
const oid = (evs: number, kind: string, id: number) => hex(`${evs}:::${kind}:::${id}:::${TRAILER}`);
const decode = (id: string) => Buffer.from(id, 'hex').toString('ascii');
/** The row id an object id carries, after checking it is hex of `<evs>:::<kind>:::<n>:::<trailer>`. */
function rowOf(id: string, evs: number, kind: string): number {
  assert.match(id, /^(?:[0-9a-f]{2})+$/);
  const m = new RegExp(`^${evs}:::${kind}:::(\\d+):::OID_\\$#!@%_V$`).exec(decode(id));
  assert.ok(m, `${id} decodes to ${decode(id)}`);
  assert.equal(oid(evs, kind, Number(m[1])), id);
  return Number(m[1]);
}

const bad = (errorMsg: string, errorCode = 1081353) => ({ errorCode, errorMsg });
const param = (name: string, rule: string) => bad(`Invalid ${name} parameter - ${rule}`);
const missing = (what: string, fileName: string, fn: string) => ({
  errorCode: 1081345,
  errorDetail: {
    detail: '',
    fault: '',
    fileName,
    function: fn,
    lineNumber: 0,
    message: `The ${what} does not exist`,
    reason: `The ${what} does not exist`,
    returnedValue: 0,
    subCode: 0,
  },
  errorMsg: 'Cannot find the object of the operation on the device',
});
const TARGETS_TS = 'api/hnas/targets.ts';
const LUS_TS = 'api/hnas/logical-units.ts';
const EVS_TS = 'api/hnas/virtual-servers.ts';

const evs = (id: number, name: string, ipAddresses: string[], on = true) => ({
  virtualServerId: id,
  objectId: oid(id, 'evs', id),
  name,
  status: on ? 'ONLINE' : 'DISABLED',
  isEnabled: on,
  type: 'EVS',
  ipAddresses,
});

interface Target {
  accessConfig: string;
  alias: string;
  comment: string;
  globalUniqueName: string;
  isAuthenticationEnabled: boolean;
  iscsiLogicalUnits: { logicalUnit: number; logicalUnitAlias: string; objectId: string }[];
  objectId: string;
  secret: string;
  virtualServerId: number;
}

/** Every field of the seed's response record, of the seed's type. */
function assertSeedShape(t: Record<string, any>): void {
  assert.deepEqual(Object.keys(t).sort(), [
    'accessConfig',
    'alias',
    'comment',
    'globalUniqueName',
    'isAuthenticationEnabled',
    'iscsiLogicalUnits',
    'objectId',
    'secret',
    'virtualServerId',
  ]);
  for (const k of ['accessConfig', 'alias', 'comment', 'globalUniqueName', 'objectId', 'secret']) assert.equal(typeof t[k], 'string', k);
  assert.equal(typeof t.isAuthenticationEnabled, 'boolean');
  assert.ok(Number.isInteger(t.virtualServerId));
  assert.ok(Array.isArray(t.iscsiLogicalUnits));
  for (const lu of t.iscsiLogicalUnits) {
    assert.deepEqual(Object.keys(lu).sort(), ['logicalUnit', 'logicalUnitAlias', 'objectId']);
    assert.ok(Number.isInteger(lu.logicalUnit));
    assert.equal(typeof lu.logicalUnitAlias, 'string');
    assert.equal(typeof lu.objectId, 'string');
  }
}

let basename: string;
const gun = (server: string, alias: string, n: number) => `${basename}:${server}.${alias}-${n}`;

/** Creates a target and checks the 201: its record, Location and uri. */
async function createTarget(body: Record<string, unknown>, headers?: Record<string, string>): Promise<Target> {
  const r = await call('POST', `${V}/iscsi-targets`, body, headers);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const t = r.body.iscsiTarget as Target;
  assertSeedShape(t);
  rowOf(t.objectId, body.virtualServerId as number, 'target');
  assert.equal(r.location, `${V}/iscsi-targets/${t.objectId}`);
  assert.deepEqual(r.body, { iscsiTarget: t, uri: r.location });
  return t;
}

let evs2: ReturnType<typeof evs>;
let seedTarget: Target;
let oneTarget: Target;

before(async () => {
  sb = await startSanbox({ env: { SANBOX_PORTAL_PORT: String(await freePort()) } });
  basename = (await sb.sanbox.services.globals.get()).basename;
});

after(async () => {
  await sb.stop();
});

test("the seed: its PATCH body replayed on a created target answers 303, the object's Location and every field of the record", async () => {
  await expect('GET', `${V}/virtual-servers`, undefined, 200, { virtualServers: [evs(1, 'default', [])] });
  evs2 = evs(2, 'evs2', ['127.0.0.5']);
  const made = await expect('POST', `${V}/virtual-servers`, { name: 'evs2', ipAddresses: ['127.0.0.5'] }, 201, {
    virtualServer: evs2,
    uri: `${V}/virtual-servers/${evs2.objectId}`,
  });
  assert.equal(made.location, `${V}/virtual-servers/${evs2.objectId}`);

  const created = await createTarget({ alias: 'Target1', virtualServerId: 2, comment: 'first' });
  assert.deepEqual(created, {
    accessConfig: '',
    alias: 'Target1',
    comment: 'first',
    globalUniqueName: gun('evs2', 'target1', 0),
    isAuthenticationEnabled: false,
    iscsiLogicalUnits: [],
    objectId: created.objectId,
    secret: '',
    virtualServerId: 2,
  });

  const seedBody = '{"accessConfig":"","alias":"string","comment":"This is a comment","enableAuthentication":true,"regenerateGUN":true,"secret":"secret1234"}';
  const r = await call('PATCH', `${V}/iscsi-targets/${created.objectId}`, undefined, undefined, seedBody);
  assert.equal(r.status, 303, JSON.stringify(r.body));
  assert.equal(r.location, `${V}/iscsi-targets/${created.objectId}`);
  assertSeedShape(r.body.iscsiTarget);
  assert.notEqual(r.body.iscsiTarget.globalUniqueName, created.globalUniqueName, 'regenerateGUN made a new name');
  seedTarget = {
    accessConfig: '',
    alias: 'string',
    comment: 'This is a comment',
    globalUniqueName: gun('evs2', 'string', 1),
    isAuthenticationEnabled: true,
    iscsiLogicalUnits: [],
    objectId: created.objectId,
    secret: 'secret1234',
    virtualServerId: 2,
  };
  assert.deepEqual(r.body, { iscsiTarget: seedTarget, uri: r.location });
  await expect('GET', r.location!, undefined, 200, { iscsiTarget: seedTarget });

  // The seed's REQUEST example: authentication off, the name kept.
  const example = { accessConfig: '', alias: 'example', comment: 'This is a comment', enableAuthentication: false, regenerateGUN: false, secret: 'secret1234' };
  seedTarget = { ...seedTarget, alias: 'example', isAuthenticationEnabled: false };
  const ex = await expect('PATCH', `${V}/iscsi-targets/${created.objectId}`, example, 303, {
    iscsiTarget: seedTarget,
    uri: `${V}/iscsi-targets/${created.objectId}`,
  });
  assert.equal(ex.location, `${V}/iscsi-targets/${created.objectId}`);
  await expect('GET', `${V}/iscsi-targets`, undefined, 200, { iscsiTargets: [seedTarget] });
});

test('object ids: hex of the fields joined by ":::", 404 for hex of nothing, 400 for what is not hex, never reused', async () => {
  assert.equal(decode(seedTarget.objectId).split(':::')[0], '2');
  assert.equal(decode(evs2.objectId), `2:::evs:::2:::${TRAILER}`);
  // The seed's own example id is hex of text of another kind: nothing here.
  const seedId = '313a3a3a6e69636b3a3a3a3a3a3a303a3a3a4f49445f24232140255f56';
  assert.equal(decode(seedId), '1:::nick::::::0:::OID_$#!@%_V');
  await expect('GET', `${V}/iscsi-targets/${seedId}`, undefined, 404, missing('iSCSI target', TARGETS_TS, 'getIscsiTarget'));
  await expect('GET', `${V}/iscsi-targets/${oid(2, 'target', 999)}`, undefined, 404, missing('iSCSI target', TARGETS_TS, 'getIscsiTarget'));
  // A real target's row under another server's id, or as another kind, is no object either.
  const row = rowOf(seedTarget.objectId, 2, 'target');
  await expect('GET', `${V}/iscsi-targets/${oid(1, 'target', row)}`, undefined, 404, missing('iSCSI target', TARGETS_TS, 'getIscsiTarget'));
  await expect('GET', `${V}/iscsi-logical-units/${oid(2, 'lu', row + 100)}`, undefined, 404, missing('logical unit', LUS_TS, 'getIscsiLogicalUnit'));
  await expect('GET', `${V}/virtual-servers/${oid(2, 'evs', 3)}`, undefined, 404, missing('virtual server', EVS_TS, 'getVirtualServer'));
  for (const id of ['xyz', '313', 'nothex!']) {
    await expect('GET', `${V}/iscsi-targets/${id}`, undefined, 400, bad(`Invalid object ID parameter - "${id}" is not a hexadecimal object ID`, 1081346));
  }

  const first = await createTarget({ alias: 'again', virtualServerId: 2 });
  await expect('DELETE', `${V}/iscsi-targets/${first.objectId}`, undefined, 204, null);
  await expect('GET', `${V}/iscsi-targets/${first.objectId}`, undefined, 404, missing('iSCSI target', TARGETS_TS, 'getIscsiTarget'));
  const second = await createTarget({ alias: 'again', virtualServerId: 2 });
  assert.notEqual(second.objectId, first.objectId);
  assert.ok(rowOf(second.objectId, 2, 'target') > rowOf(first.objectId, 2, 'target'));
  await expect('GET', `${V}/iscsi-targets/${first.objectId}`, undefined, 404, missing('iSCSI target', TARGETS_TS, 'getIscsiTarget'));
  await expect('DELETE', `${V}/iscsi-targets/${second.objectId}`, undefined, 204, null);
});

test('authentication: an API key, X-Subsystem-User + X-Subsystem-Password, or Basic; missing or wrong is a 401', async () => {
  const key = await sb.api('POST', '/api/keys', { name: 'hnas-admin' });
  assert.equal(key.status, 201, JSON.stringify(key.body));
  const list = { iscsiTargets: [seedTarget] };
  const { user, password } = sb.auth;
  await expect('GET', `${V}/iscsi-targets`, undefined, 200, list, { 'X-Api-Key': key.body.key });
  await expect('GET', `${V}/iscsi-targets`, undefined, 200, list, { 'X-Subsystem-User': user, 'X-Subsystem-Password': password });
  await expect('GET', `${V}/iscsi-targets`, undefined, 200, list, { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
  // Each bad password counts toward the failure throttle (5 free): one request per case.
  const refused: Record<string, string>[] = [
    {},
    { 'X-Api-Key': `${key.body.key}x` },
    { 'X-Api-Key': 'sbx_999_nothing' },
    { 'X-Subsystem-User': user },
    { 'X-Subsystem-User': user, 'X-Subsystem-Password': 'wrong-password' },
    { 'X-Subsystem-User': 'nobody', 'X-Subsystem-Password': password },
    { Authorization: `Basic ${Buffer.from(`${user}:wrong`).toString('base64')}` },
    { Authorization: 'Basic !!!' },
  ];
  for (const headers of refused) await expect('GET', `${V}/iscsi-targets`, undefined, 401, UNAUTHORIZED, headers);
  await expect('PATCH', `${V}/iscsi-targets/${seedTarget.objectId}`, { comment: 'x' }, 401, UNAUTHORIZED, {});
  await expect('GET', `${V}/iscsi-targets/${seedTarget.objectId}`, undefined, 200, { iscsiTarget: seedTarget });
});

test('a key scoped to virtual server 2: 403 on server 1, lists only its own, and changes its own target', async () => {
  oneTarget = await createTarget({ alias: 'one', virtualServerId: 1, comment: 'on server 1' });
  const lu1 = await call('POST', `${V}/iscsi-logical-units`, { name: 'lu-one', virtualServerId: 1, size: 1 << 20 });
  assert.equal(lu1.status, 201, JSON.stringify(lu1.body));
  const tenants = (await sb.api('GET', '/api/status')).body.site.tenants as { uuid: string; name: string }[];
  const tenant = tenants.find((t) => t.name === 'evs2');
  assert.ok(tenant);
  const made = await sb.api('POST', '/api/keys', { name: 'evs2-key', tenant: tenant.uuid });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const k = { 'X-Api-Key': made.body.key };

  for (const [method, body] of [
    ['GET', undefined],
    ['PATCH', { comment: 'mine now' }],
    ['DELETE', undefined],
  ] as const) {
    await expect(method, `${V}/iscsi-targets/${oneTarget.objectId}`, body, 403, FORBIDDEN, k);
  }
  await expect('POST', `${V}/iscsi-targets`, { alias: 'sneaky', virtualServerId: 1 }, 403, FORBIDDEN, k);
  await expect('GET', `${V}/iscsi-logical-units/${lu1.body.iscsiLogicalUnit.objectId}`, undefined, 403, FORBIDDEN, k);
  await expect('GET', `${V}/virtual-servers/${oid(1, 'evs', 1)}`, undefined, 403, FORBIDDEN, k);
  await expect('POST', `${V}/virtual-servers`, { name: 'evs9' }, 403, FORBIDDEN, k);

  await expect('GET', `${V}/iscsi-targets`, undefined, 200, { iscsiTargets: [seedTarget] }, k);
  await expect('GET', `${V}/iscsi-targets?virtualServerId=1`, undefined, 200, { iscsiTargets: [] }, k);
  await expect('GET', `${V}/iscsi-logical-units`, undefined, 200, { iscsiLogicalUnits: [] }, k);
  await expect('GET', `${V}/virtual-servers`, undefined, 200, { virtualServers: [evs2] }, k);
  // The admin sees both.
  await expect('GET', `${V}/iscsi-targets`, undefined, 200, { iscsiTargets: [seedTarget, oneTarget] });
  await expect('GET', `${V}/iscsi-targets?virtualServerId=1`, undefined, 200, { iscsiTargets: [oneTarget] });

  seedTarget = { ...seedTarget, comment: 'changed by its own key' };
  await expect(
    'PATCH',
    `${V}/iscsi-targets/${seedTarget.objectId}`,
    { comment: seedTarget.comment },
    303,
    { iscsiTarget: seedTarget, uri: `${V}/iscsi-targets/${seedTarget.objectId}` },
    k,
  );
  await expect('GET', `${V}/iscsi-targets/${oneTarget.objectId}`, undefined, 200, { iscsiTarget: oneTarget });
  await expect('DELETE', `${V}/iscsi-logical-units/${lu1.body.iscsiLogicalUnit.objectId}`, undefined, 204, null);
  assert.equal((await sb.api('DELETE', `/api/keys/${made.body.id}`)).status, 204);
});

test('virtual servers: get, disable and enable, and delete refused while it holds a target, 204 when empty', async () => {
  await expect('GET', `${V}/virtual-servers/${evs2.objectId}`, undefined, 200, { virtualServer: evs2 });
  const evs3 = evs(3, 'evs3', []);
  await expect('POST', `${V}/virtual-servers`, { name: 'evs3' }, 201, { virtualServer: evs3, uri: `${V}/virtual-servers/${evs3.objectId}` });
  await expect('GET', `${V}/virtual-servers`, undefined, 200, { virtualServers: [evs(1, 'default', []), evs2, evs3] });

  await expect('POST', `${V}/virtual-servers/${evs3.objectId}/disable`, undefined, 204, null);
  await expect('GET', `${V}/virtual-servers/${evs3.objectId}`, undefined, 200, { virtualServer: evs(3, 'evs3', [], false) });
  await expect('POST', `${V}/virtual-servers/${evs3.objectId}/enable`, undefined, 204, null);
  await expect('GET', `${V}/virtual-servers/${evs3.objectId}`, undefined, 200, { virtualServer: evs3 });

  const t = await createTarget({ alias: 'held', virtualServerId: 3 });
  await expect('DELETE', `${V}/virtual-servers/${evs3.objectId}`, undefined, 400, bad('Virtual server "evs3" still holds 1 targets', 1098203));
  await expect('GET', `${V}/virtual-servers/${evs3.objectId}`, undefined, 200, { virtualServer: evs3 });
  await expect('DELETE', `${V}/iscsi-targets/${t.objectId}`, undefined, 204, null);
  await expect('DELETE', `${V}/virtual-servers/${evs3.objectId}`, undefined, 204, null);
  await expect('GET', `${V}/virtual-servers/${evs3.objectId}`, undefined, 404, missing('virtual server', EVS_TS, 'getVirtualServer'));
  await expect('GET', `${V}/virtual-servers`, undefined, 200, { virtualServers: [evs(1, 'default', []), evs2] });
});

test('a global unique name is never one another target holds: a renamed target keeps its name, and aliases alike in case slug alike', async () => {
  const a = await createTarget({ alias: 'x', virtualServerId: 2 });
  assert.equal(a.globalUniqueName, gun('evs2', 'x', 0));
  const renamed = { ...a, alias: 'y' };
  await expect('PATCH', `${V}/iscsi-targets/${a.objectId}`, { alias: 'y' }, 303, { iscsiTarget: renamed, uri: `${V}/iscsi-targets/${a.objectId}` });
  // The alias x is free again; the name ...x-0 is still a's.
  const b = await createTarget({ alias: 'x', virtualServerId: 2 });
  assert.equal(b.globalUniqueName, gun('evs2', 'x', 1));
  const c = await createTarget({ alias: 'X', virtualServerId: 2 });
  assert.equal(c.globalUniqueName, gun('evs2', 'x', 2));
  const regenerated = { ...b, globalUniqueName: gun('evs2', 'x', 3) };
  await expect('PATCH', `${V}/iscsi-targets/${b.objectId}`, { regenerateGUN: true }, 303, {
    iscsiTarget: regenerated,
    uri: `${V}/iscsi-targets/${b.objectId}`,
  });
  for (const t of [a, b, c]) await expect('DELETE', `${V}/iscsi-targets/${t.objectId}`, undefined, 204, null);
});

test('logical units: create, get, list, grow, offered by a target at LUN 3, delete refused while offered, removed, deleted', async () => {
  const mib = 1 << 20;
  const made = await call('POST', `${V}/iscsi-logical-units`, { name: 'lu1', virtualServerId: 2, size: mib, comment: 'one MiB' });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const id = made.body.iscsiLogicalUnit.objectId as string;
  rowOf(id, 2, 'lu');
  const lu = (size: number, targets: unknown[] = []) => ({
    objectId: id,
    name: 'lu1',
    path: '/mnt/default/evs2-lu1.iscsi',
    size,
    used: 0,
    comment: 'one MiB',
    virtualServerId: 2,
    isReadOnly: false,
    targets,
  });
  assert.equal(made.location, `${V}/iscsi-logical-units/${id}`);
  assert.deepEqual(made.body, { iscsiLogicalUnit: lu(mib), uri: made.location });
  await expect('GET', `${V}/iscsi-logical-units/${id}`, undefined, 200, { iscsiLogicalUnit: lu(mib) });
  await expect('GET', `${V}/iscsi-logical-units`, undefined, 200, { iscsiLogicalUnits: [lu(mib)] });
  await expect('GET', `${V}/iscsi-logical-units?virtualServerId=1`, undefined, 200, { iscsiLogicalUnits: [] });

  const grown = await expect('PATCH', `${V}/iscsi-logical-units/${id}`, { size: 2 * mib }, 303, { iscsiLogicalUnit: lu(2 * mib), uri: made.location });
  assert.equal(grown.location, made.location);

  const tpath = `${V}/iscsi-targets/${seedTarget.objectId}`;
  seedTarget = { ...seedTarget, iscsiLogicalUnits: [{ logicalUnit: 3, logicalUnitAlias: 'lu1', objectId: id }] };
  const added = await expect('POST', `${tpath}/iscsi-logical-units`, { logicalUnit: 3, logicalUnitObjectId: id }, 201, { iscsiTarget: seedTarget, uri: tpath });
  assert.equal(added.location, tpath);
  await expect('GET', tpath, undefined, 200, { iscsiTarget: seedTarget });
  const offered = lu(2 * mib, [{ logicalUnit: 3, objectId: seedTarget.objectId, globalUniqueName: seedTarget.globalUniqueName }]);
  await expect('GET', `${V}/iscsi-logical-units/${id}`, undefined, 200, { iscsiLogicalUnit: offered });

  // Refused in HNAS's words: an LU a target offers.
  const del = await call('DELETE', `${V}/iscsi-logical-units/${id}`);
  assert.equal(del.status, 400, JSON.stringify(del.body));
  assert.deepEqual(del.body, bad('The logical unit is offered by an iSCSI target: remove it from the target first', 1092003));
  await expect('GET', `${V}/iscsi-logical-units/${id}`, undefined, 200, { iscsiLogicalUnit: offered });

  await expect('DELETE', `${tpath}/iscsi-logical-units/3`, undefined, 204, null);
  seedTarget = { ...seedTarget, iscsiLogicalUnits: [] };
  await expect('GET', tpath, undefined, 200, { iscsiTarget: seedTarget });
  await expect('DELETE', `${tpath}/iscsi-logical-units/3`, undefined, 404, missing('logical unit mapping', TARGETS_TS, 'removeIscsiLogicalUnit'));
  await expect('DELETE', `${V}/iscsi-logical-units/${id}`, undefined, 204, null);
  await expect('GET', `${V}/iscsi-logical-units/${id}`, undefined, 404, missing('logical unit', LUS_TS, 'getIscsiLogicalUnit'));
  await expect('GET', `${V}/iscsi-logical-units`, undefined, 200, { iscsiLogicalUnits: [] });
});

/** Everything a bad input could have touched, in both dialects. */
async function snapshot(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const p of [`${V}/virtual-servers`, `${V}/iscsi-targets`, `${V}/iscsi-logical-units`, `${FREENAS}/target/`, `${FREENAS}/extent/`]) {
    const r = await call('GET', p);
    assert.equal(r.status, 200, `${p}: ${JSON.stringify(r.body)}`);
    out[p] = r.body;
  }
  return out;
}

interface Bad {
  what: string;
  method: string;
  path: string;
  body?: unknown;
  raw?: string;
  status: number;
  error: unknown;
}

test('bad inputs: each answered exactly, each changing nothing', async () => {
  const T = `${V}/iscsi-targets`;
  const tpath = `${T}/${seedTarget.objectId}`;
  const lu = await call('POST', `${V}/iscsi-logical-units`, { name: 'lu2', virtualServerId: 2, size: 1 << 20 });
  assert.equal(lu.status, 201, JSON.stringify(lu.body));
  const luId = lu.body.iscsiLogicalUnit.objectId as string;
  await expect('POST', `${tpath}/iscsi-logical-units`, { logicalUnit: 0, logicalUnitObjectId: luId }, 201, {
    iscsiTarget: { ...seedTarget, iscsiLogicalUnits: [{ logicalUnit: 0, logicalUnitAlias: 'lu2', objectId: luId }] },
    uri: tpath,
  });
  const target = { alias: 'new', virtualServerId: 2 };
  const entry = (e: string) =>
    param('accessConfig', `"${e}" is not an entry: a host address, a CIDR network or *, optionally followed by (rw), (ro), (read_only) or (noaccess)`);
  const length = (name: string, min: number, max: number) => param(name, `the parameter must be between ${min} and ${max} characters long`);
  const cases: Bad[] = [
    {
      what: 'an unknown body field',
      method: 'POST',
      path: T,
      body: { ...target, color: 'red' },
      status: 400,
      error: param('color', 'the parameter is not one this operation takes'),
    },
    {
      what: 'an unknown PATCH field',
      method: 'PATCH',
      path: tpath,
      body: { globalUniqueName: 'iqn.x' },
      status: 400,
      error: param('globalUniqueName', 'the parameter is not one this operation takes'),
    },
    {
      what: 'an alias that is a number',
      method: 'POST',
      path: T,
      body: { ...target, alias: 5 },
      status: 400,
      error: param('alias', 'the parameter must be a string'),
    },
    {
      what: 'enableAuthentication a string',
      method: 'PATCH',
      path: tpath,
      body: { enableAuthentication: 'yes' },
      status: 400,
      error: param('enableAuthentication', 'the parameter must be a boolean'),
    },
    {
      what: 'regenerateGUN a number',
      method: 'PATCH',
      path: tpath,
      body: { regenerateGUN: 1 },
      status: 400,
      error: param('regenerateGUN', 'the parameter must be a boolean'),
    },
    { what: 'an empty alias', method: 'POST', path: T, body: { ...target, alias: '' }, status: 400, error: length('alias', 1, 64) },
    { what: 'a 65-character alias', method: 'PATCH', path: tpath, body: { alias: 'a'.repeat(65) }, status: 400, error: length('alias', 1, 64) },
    {
      what: 'an alias with a space',
      method: 'POST',
      path: T,
      body: { ...target, alias: 'a b' },
      status: 400,
      error: param('alias', 'the alias has printable characters and no spaces'),
    },
    {
      what: 'an alias taken in the server',
      method: 'POST',
      path: T,
      body: { ...target, alias: seedTarget.alias },
      status: 400,
      error: param('alias', `a target with alias "${seedTarget.alias}" already exists on this virtual server`),
    },
    { what: 'a 256-character comment', method: 'PATCH', path: tpath, body: { comment: 'c'.repeat(256) }, status: 400, error: length('comment', 0, 255) },
    {
      what: 'a 9-character secret',
      method: 'PATCH',
      path: tpath,
      body: { enableAuthentication: true, secret: 's'.repeat(9) },
      status: 400,
      error: length('secret', 10, 16),
    },
    { what: 'a 17-character secret', method: 'POST', path: T, body: { ...target, secret: 's'.repeat(17) }, status: 400, error: length('secret', 10, 16) },
    {
      what: 'authentication with no secret',
      method: 'POST',
      path: T,
      body: { ...target, enableAuthentication: true },
      status: 400,
      error: param('secret', 'a secret is required to enable authentication'),
    },
    { what: 'accessConfig "bogus"', method: 'PATCH', path: tpath, body: { accessConfig: 'bogus' }, status: 400, error: entry('bogus') },
    { what: 'an unknown qualifier', method: 'PATCH', path: tpath, body: { accessConfig: '1.2.3.4(xx)' }, status: 400, error: entry('1.2.3.4(xx)') },
    { what: 'a /33 network', method: 'POST', path: T, body: { ...target, accessConfig: '127.0.0.1;1.2.3.4/33' }, status: 400, error: entry('1.2.3.4/33') },
    { what: 'a qualifier with no host', method: 'PATCH', path: tpath, body: { accessConfig: '(ro)' }, status: 400, error: entry('(ro)') },
    {
      what: 'virtual server 0',
      method: 'POST',
      path: T,
      body: { ...target, virtualServerId: 0 },
      status: 400,
      error: param('virtualServerId', 'virtual server 0 serves no iSCSI targets'),
    },
    {
      what: 'virtual server 255',
      method: 'POST',
      path: T,
      body: { ...target, virtualServerId: 255 },
      status: 400,
      error: param('virtualServerId', 'virtual server 255 serves no iSCSI targets'),
    },
    {
      what: 'virtual server 99',
      method: 'POST',
      path: T,
      body: { ...target, virtualServerId: 99 },
      status: 400,
      error: param('virtualServerId', 'virtual server 99 does not exist'),
    },
    {
      what: 'virtualServerId a string',
      method: 'POST',
      path: T,
      body: { ...target, virtualServerId: '2' },
      status: 400,
      error: param('virtualServerId', 'the parameter must be an integer'),
    },
    {
      what: 'no virtualServerId',
      method: 'POST',
      path: T,
      body: { alias: 'new' },
      status: 400,
      error: param('virtualServerId', 'the parameter must be an integer'),
    },
    {
      what: 'a non-hex object id',
      method: 'PATCH',
      path: `${T}/not-hex`,
      body: { comment: 'x' },
      status: 400,
      error: bad('Invalid object ID parameter - "not-hex" is not a hexadecimal object ID', 1081346),
    },
    {
      what: 'an unknown target',
      method: 'PATCH',
      path: `${T}/${oid(2, 'target', 9999)}`,
      body: { comment: 'x' },
      status: 404,
      error: missing('iSCSI target', TARGETS_TS, 'updateIscsiTarget'),
    },
    {
      what: 'deleting an unknown target',
      method: 'DELETE',
      path: `${T}/${oid(2, 'target', 9999)}`,
      status: 404,
      error: missing('iSCSI target', TARGETS_TS, 'deleteIscsiTarget'),
    },
    {
      what: 'an LU of size 0',
      method: 'POST',
      path: `${V}/iscsi-logical-units`,
      body: { name: 'z', virtualServerId: 2, size: 0 },
      status: 400,
      error: param('size', 'the size is a positive number of bytes'),
    },
    {
      what: 'an LU of negative size',
      method: 'POST',
      path: `${V}/iscsi-logical-units`,
      body: { name: 'z', virtualServerId: 2, size: -512 },
      status: 400,
      error: param('size', 'the size is a positive number of bytes'),
    },
    {
      what: 'an LU grown to size 0',
      method: 'PATCH',
      path: `${V}/iscsi-logical-units/${luId}`,
      body: { size: 0 },
      status: 400,
      error: param('size', 'the size is a positive number of bytes'),
    },
    {
      what: 'an LU grown to a negative size',
      method: 'PATCH',
      path: `${V}/iscsi-logical-units/${luId}`,
      body: { size: -1 },
      status: 400,
      error: param('size', 'the size is a positive number of bytes'),
    },
    {
      what: "an LU offered by another server's target",
      method: 'POST',
      path: `${T}/${oneTarget.objectId}/iscsi-logical-units`,
      body: { logicalUnit: 1, logicalUnitObjectId: luId },
      status: 400,
      error: param('logicalUnitObjectId', 'the logical unit belongs to another virtual server'),
    },
    {
      what: 'LUN 256',
      method: 'POST',
      path: `${tpath}/iscsi-logical-units`,
      body: { logicalUnit: 256, logicalUnitObjectId: luId },
      status: 400,
      error: param('logicalUnit', 'the LUN must be between 0 and 255'),
    },
    {
      what: 'an LU with no object id',
      method: 'POST',
      path: `${tpath}/iscsi-logical-units`,
      body: { logicalUnit: 4 },
      status: 400,
      error: param('logicalUnitObjectId', 'the parameter is required'),
    },
    {
      what: 'removing a LUN that is no number',
      method: 'DELETE',
      path: `${tpath}/iscsi-logical-units/x`,
      status: 400,
      error: param('logicalUnit', 'the LUN must be between 0 and 255'),
    },
    {
      what: 'a virtual server address that is no IP',
      method: 'POST',
      path: `${V}/virtual-servers`,
      body: { name: 'evs4', ipAddresses: ['nowhere'] },
      status: 400,
      error: param('ipAddresses', '"nowhere" is not an IP address'),
    },
    {
      what: 'ipAddresses not a list',
      method: 'POST',
      path: `${V}/virtual-servers`,
      body: { name: 'evs4', ipAddresses: '127.0.0.9' },
      status: 400,
      error: param('ipAddresses', 'the parameter must be a list of strings'),
    },
    {
      what: 'a body that is not JSON',
      method: 'POST',
      path: T,
      raw: '{"alias": ',
      status: 400,
      error: bad('Malformed request - the body is not valid JSON', 1081350),
    },
    {
      what: 'a PATCH body that is not JSON',
      method: 'PATCH',
      path: tpath,
      raw: 'alias=x',
      status: 400,
      error: bad('Malformed request - the body is not valid JSON', 1081350),
    },
    { what: 'a body that is an array', method: 'POST', path: T, body: [target], status: 400, error: param('body', 'the request body must be a JSON object') },
    {
      what: 'a PATCH body that is a string',
      method: 'PATCH',
      path: tpath,
      body: 'alias',
      status: 400,
      error: param('body', 'the request body must be a JSON object'),
    },
    {
      what: 'deleting the default server',
      method: 'DELETE',
      path: `${V}/virtual-servers/${oid(1, 'evs', 1)}`,
      status: 400,
      error: bad('Virtual server 1 (the default) cannot be deleted', 1098202),
    },
    {
      what: 'deleting a server that holds targets',
      method: 'DELETE',
      path: `${V}/virtual-servers/${evs2.objectId}`,
      status: 400,
      error: bad('Virtual server "evs2" still holds 1 portal groups, 1 targets, 1 logical units, 1 target logical units', 1098203),
    },
  ];
  assert.ok(cases.length >= 20);

  const before = await snapshot();
  for (const b of cases) {
    const r = await call(b.method, b.path, b.body, undefined, b.raw);
    assert.equal(r.status, b.status, `${b.what}: ${JSON.stringify(r.body)}`);
    assert.deepEqual(r.body, b.error, b.what);
    assert.deepEqual(await snapshot(), before, `${b.what}: changed nothing`);
  }
});

// The OpenStack Ironic dialect (/v1: nodes and the volume API) against a running sanbox:
// every sample of Ironic's api-ref replayed, microversions, the lists' query mechanics with
// exact bodies and `next` URLs, the volume rules (uniqueness, power state, cascades, masked
// secrets), bad inputs answered exactly in Ironic's double-encoded shape and each changing
// nothing, and authentication.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { startSanbox, type TestSanbox } from '../support/sanbox.js';

const SAMPLES = '/work/shared/seeds/ironic-samples';
const SAMPLE_BASE = 'http://127.0.0.1:6385';
const NODE = '6d85703a-565d-469a-96ce-30b6de53079d';
const C1 = '9bf93e01-d728-47a3-ad4b-5e66a835037c';
const T1 = 'bd4d008c-7d31-463d-abf9-6c23d9d55f7f';
const V = { 'x-openstack-ironic-api-version': '1.32' };
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BOOLS = "acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'";
const UNAUTHORIZED = 'The request you have made requires authentication.';

let sb: TestSanbox;

before(async () => {
  sb = await startSanbox({ ports: { throttle: { freeFailures: 1000, refusalHoldMs: 0 } } });
});
after(() => sb.stop());

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

interface Options {
  headers?: Record<string, string>;
  auth?: boolean;
  raw?: string;
}

async function call(method: string, path: string, body?: unknown, o: Options = {}): Promise<Answer> {
  const r = await sb.request(method, path, { body, raw: o.raw, headers: o.headers ?? V, auth: o.auth });
  return { status: r.status, body: r.body, headers: r.headers };
}

/** The answer's status and body, exactly. */
async function expect(method: string, path: string, body: unknown, status: number, expected: unknown, o: Options = {}): Promise<Answer> {
  const r = await call(method, path, body, o);
  assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
  assert.deepEqual(r.body, expected, `${method} ${path}`);
  return r;
}

/** An Ironic error: `{"error_message": "<JSON>"}`, the inner JSON exactly. */
async function fails(method: string, path: string, body: unknown, status: number, faultstring: string, o: Options = {}): Promise<Answer> {
  const r = await call(method, path, body, o);
  assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(Object.keys(r.body), ['error_message'], `${method} ${path}`);
  assert.equal(typeof r.body.error_message, 'string');
  assert.deepEqual(JSON.parse(r.body.error_message), { faultcode: 'Client', faultstring, debuginfo: null }, `${method} ${path}`);
  return r;
}

/** A sample with its host rewritten to this server's, and its timestamps normalised. */
function sample(name: string): any {
  const text = fs.readFileSync(`${SAMPLES}/${name}.json`, 'utf8').replaceAll(SAMPLE_BASE, sb.baseUrl);
  return times(JSON.parse(text), false);
}

/** created_at/updated_at: checked against Ironic's format (answers) and replaced by a mark. */
function times(value: any, check = true): any {
  if (Array.isArray(value)) return value.map((v) => times(v, check));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if ((k === 'created_at' || k === 'updated_at') && v !== null) {
      if (check) assert.match(String(v), TIME, k);
      out[k] = '<time>';
    } else out[k] = times(v, check);
  }
  return out;
}

async function replay(method: string, path: string, body: unknown, status: number, name: string): Promise<Answer> {
  const r = await call(method, path, body);
  assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
  assert.deepEqual(times(r.body), sample(name), `${method} ${path} vs ${name}`);
  return r;
}

const fault = (faultstring: string) => ({ error_message: JSON.stringify({ faultcode: 'Client', faultstring, debuginfo: null }) });
const links = (path: string) => [
  { href: `${sb.baseUrl}/v1/${path}`, rel: 'self' },
  { href: `${sb.baseUrl}/${path}`, rel: 'bookmark' },
];

async function node(name: string, uuid?: string): Promise<string> {
  const r = await call('POST', '/v1/nodes', { driver: 'fake-hardware', name, ...(uuid ? { uuid } : {}) });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.uuid;
}

async function connector(nodeIdent: string, connectorId: string, type = 'iqn'): Promise<any> {
  const r = await call('POST', '/v1/volume/connectors', { node_uuid: nodeIdent, type, connector_id: connectorId });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

async function target(nodeIdent: string, bootIndex: number, extra: Record<string, unknown> = {}): Promise<any> {
  const r = await call('POST', '/v1/volume/targets', {
    node_uuid: nodeIdent,
    volume_type: 'iscsi',
    boot_index: bootIndex,
    volume_id: `vol-${bootIndex}`,
    ...extra,
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

const power = async (n: string, target: 'power on' | 'power off') => expect('PUT', `/v1/nodes/${n}/states/power`, { target }, 202, null);

test('every sample of the api-ref replayed', async () => {
  const n = await call('POST', '/v1/nodes', { uuid: NODE, driver: 'fake-hardware' });
  assert.equal(n.status, 201);
  assert.equal(n.headers.get('location'), `${sb.baseUrl}/v1/nodes/${NODE}`);
  assert.deepEqual(times(n.body), {
    uuid: NODE,
    name: null,
    driver: 'fake-hardware',
    power_state: 'power off',
    target_power_state: null,
    provision_state: 'enroll',
    target_provision_state: null,
    maintenance: false,
    maintenance_reason: null,
    instance_uuid: null,
    extra: {},
    properties: {},
    driver_info: {},
    instance_info: {},
    last_error: null,
    created_at: '<time>',
    updated_at: null,
    links: links(`nodes/${NODE}`),
    volume: links(`nodes/${NODE}/volume`),
  });
  await replay('GET', '/v1/volume', undefined, 200, 'volume-list-response');

  const cr = JSON.parse(fs.readFileSync(`${SAMPLES}/volume-connector-create-request.json`, 'utf8'));
  const c = await replay('POST', '/v1/volume/connectors', { ...cr, uuid: C1 }, 201, 'volume-connector-create-response');
  assert.equal(c.headers.get('location'), `${sb.baseUrl}/v1/volume/connectors/${C1}`);
  await replay('GET', '/v1/volume/connectors', undefined, 200, 'volume-connector-list-response');
  await replay('GET', '/v1/volume/connectors?detail=True', undefined, 200, 'volume-connector-list-detail-response');
  await replay('GET', `/v1/volume/connectors/${C1}`, undefined, 200, 'volume-connector-create-response');
  const cu = JSON.parse(fs.readFileSync(`${SAMPLES}/volume-connector-update-request.json`, 'utf8'));
  await replay('PATCH', `/v1/volume/connectors/${C1}`, cu, 200, 'volume-connector-update-response');

  const tr = JSON.parse(fs.readFileSync(`${SAMPLES}/volume-target-create-request.json`, 'utf8'));
  const t = await replay('POST', '/v1/volume/targets', { ...tr, uuid: T1 }, 201, 'volume-target-create-response');
  assert.equal(t.headers.get('location'), `${sb.baseUrl}/v1/volume/targets/${T1}`);
  await replay('GET', '/v1/volume/targets', undefined, 200, 'volume-target-list-response');
  await replay('GET', '/v1/volume/targets?detail=True', undefined, 200, 'volume-target-list-detail-response');
  await replay('GET', `/v1/volume/targets/${T1}`, undefined, 200, 'volume-target-create-response');
  const tu = JSON.parse(fs.readFileSync(`${SAMPLES}/volume-target-update-request.json`, 'utf8'));
  await replay('PATCH', `/v1/volume/targets/${T1}`, tu, 200, 'volume-target-update-response');

  await replay('GET', `/v1/nodes/${NODE}/volume`, undefined, 200, 'node-volume-list-response');
  await replay('GET', `/v1/nodes/${NODE}/volume/connectors`, undefined, 200, 'node-volume-connector-list-response');
  await replay('GET', `/v1/nodes/${NODE}/volume/connectors?detail=True`, undefined, 200, 'node-volume-connector-detail-response');
  await replay('GET', `/v1/nodes/${NODE}/volume/targets`, undefined, 200, 'node-volume-target-list-response');
  await replay('GET', `/v1/nodes/${NODE}/volume/targets?detail=True`, undefined, 200, 'node-volume-target-detail-response');
  // Bookmark links resolve too.
  await replay('GET', `/volume/connectors/${C1}`, undefined, 200, 'volume-connector-update-response');
  await replay('GET', `/nodes/${NODE}/volume/targets`, undefined, 200, 'node-volume-target-list-response');

  // Deleting the node deletes its connectors and targets.
  await expect('DELETE', `/v1/nodes/${NODE}`, undefined, 204, null);
  await expect('GET', '/v1/volume/connectors', undefined, 200, { connectors: [] });
  await expect('GET', '/v1/volume/targets', undefined, 200, { targets: [] });
  await fails('GET', `/v1/volume/connectors/${C1}`, undefined, 404, `Volume connector ${C1} could not be found.`);
  await fails('GET', `/v1/volume/targets/${T1}`, undefined, 404, `Volume target ${T1} could not be found.`);
  await fails('GET', `/v1/nodes/${NODE}`, undefined, 404, `Node ${NODE} could not be found.`);
});

test('microversions: documents, headers, negotiation', async () => {
  const version = { id: 'v1', links: [{ href: `${sb.baseUrl}/v1/`, rel: 'self' }], status: 'CURRENT', min_version: '1.1', version: '1.76' };
  const headers = (r: Answer, used: string) => {
    assert.equal(r.headers.get('x-openstack-ironic-api-minimum-version'), '1.1');
    assert.equal(r.headers.get('x-openstack-ironic-api-maximum-version'), '1.76');
    assert.equal(r.headers.get('x-openstack-ironic-api-version'), used);
  };
  const root = await expect(
    'GET',
    '/',
    undefined,
    200,
    {
      name: 'OpenStack Ironic API',
      description: 'Ironic is an OpenStack project which aims to provision baremetal machines. Served by sanbox.',
      default_version: version,
      versions: [version],
    },
    { headers: {}, auth: false },
  );
  headers(root, '1.1');
  const v1 = {
    id: 'v1',
    links: [
      { href: `${sb.baseUrl}/v1/`, rel: 'self' },
      { href: 'https://docs.openstack.org//ironic/latest/contributor//webapi.html', rel: 'describedby', type: 'text/html' },
    ],
    media_types: [{ base: 'application/json', type: 'application/vnd.openstack.ironic.v1+json' }],
    version,
    nodes: links('nodes/'),
  };
  headers(await expect('GET', '/v1', undefined, 200, v1, { headers: {}, auth: false }), '1.1');
  headers(await expect('GET', '/v1/', undefined, 200, { ...v1, volume: links('volume/') }, { auth: false }), '1.32');
  // No header is 1.1, where the volume API does not exist; nor at 1.31.
  const notFound = 'The resource could not be found.';
  headers(await fails('GET', '/v1/volume/connectors', undefined, 404, notFound, { headers: {} }), '1.1');
  await fails('GET', '/v1/volume', undefined, 404, notFound, { headers: {} });
  await fails('GET', '/v1/volume/targets', undefined, 404, notFound, { headers: { 'x-openstack-ironic-api-version': '1.31' } });
  headers(
    await expect('GET', '/v1/volume/connectors', undefined, 200, { connectors: [] }, { headers: { 'x-openstack-ironic-api-version': 'latest' } }),
    '1.76',
  );
  headers(await expect('GET', '/v1/volume/targets', undefined, 200, { targets: [] }, { headers: { 'openstack-api-version': 'baremetal 1.32' } }), '1.32');
  const range = 'The supported version range is: [1.1, 1.76].';
  const h = (v: string) => ({ headers: { 'x-openstack-ironic-api-version': v } });
  const r = await fails(
    'GET',
    '/v1/volume/connectors',
    undefined,
    406,
    `Version 1.77 was requested but the minor version is not supported by this service. ${range}`,
    h('1.77'),
  );
  assert.equal(r.headers.get('x-openstack-ironic-api-maximum-version'), '1.76');
  await fails('GET', '/v1/nodes', undefined, 406, `Version 1.0 was requested but the minor version is not supported by this service. ${range}`, h('1.0'));
  await fails(
    'GET',
    '/v1/nodes',
    undefined,
    406,
    `Mutually exclusive versions requested. Version 2.0 requested but not supported by this service. ${range}`,
    h('2.0'),
  );
  await fails('GET', '/v1/nodes', undefined, 406, 'Invalid value for X-OpenStack-Ironic-API-Version header: abc', h('abc'));
  await fails('GET', '/', undefined, 406, `Version 1.77 was requested but the minor version is not supported by this service. ${range}`, {
    ...h('1.77'),
    auth: false,
  });
});

test('lists: fields, detail, paging with next, sorting, node filters, bad queries', async () => {
  const n = await node('lister');
  const other = await node('other');
  const made = [
    await connector('lister', 'iqn.2004-01.org.example:b'),
    await connector(n, 'iqn.2004-01.org.example:c'),
    await connector('lister', 'iqn.2004-01.org.example:a'),
  ];
  const theirs = await connector(other, 'iqn.2004-01.org.example:z');
  assert.equal(made[0].node_uuid, n, 'a node named in a body resolves to its uuid');
  assert.match(made[0].uuid, UUID);
  const short = (c: any) => ({ uuid: c.uuid, node_uuid: c.node_uuid, type: c.type, connector_id: c.connector_id, links: c.links });
  const C = '/v1/volume/connectors';
  await expect('GET', `${C}?node=lister`, undefined, 200, { connectors: made.map(short) });
  await expect('GET', `${C}/?node=${n}`, undefined, 200, { connectors: made.map(short) });
  await expect('GET', C, undefined, 200, { connectors: [...made, theirs].map(short) });
  await expect('GET', `${C}?node=lister&detail=True`, undefined, 200, { connectors: made });
  await expect('GET', `${C}?node=lister&detail=false`, undefined, 200, { connectors: made.map(short) });
  await expect('GET', `/v1/nodes/lister/volume/connectors`, undefined, 200, { connectors: made.map(short) });
  await expect('GET', `/v1/nodes/${other}/volume/connectors?detail=1`, undefined, 200, { connectors: [theirs] });
  await expect('GET', `${C}?node=lister&fields=uuid,connector_id`, undefined, 200, {
    connectors: made.map((c) => ({ uuid: c.uuid, connector_id: c.connector_id, links: c.links })),
  });
  await expect('GET', `${C}/${made[1].uuid}?fields=type`, undefined, 200, { type: 'iqn', links: made[1].links });
  // Paging: `next` carries the other arguments, then limit and marker.
  const p1 = await expect('GET', `${C}?node=lister&limit=2`, undefined, 200, {
    connectors: made.slice(0, 2).map(short),
    next: `${sb.baseUrl}${C}?node=lister&limit=2&marker=${made[1].uuid}`,
  });
  await expect('GET', p1.body.next.slice(sb.baseUrl.length), undefined, 200, { connectors: [short(made[2])] });
  await expect('GET', `${C}?node=lister&detail=True&limit=1&marker=${made[0].uuid}`, undefined, 200, {
    connectors: [made[1]],
    next: `${sb.baseUrl}${C}?node=lister&detail=True&limit=1&marker=${made[1].uuid}`,
  });
  await expect('GET', `${C}?node=lister&marker=${made[2].uuid}`, undefined, 200, { connectors: [] });
  await expect('GET', `/v1/nodes/lister/volume/connectors?limit=3`, undefined, 200, {
    connectors: made.map(short),
    next: `${sb.baseUrl}/v1/nodes/${n}/volume/connectors?limit=3&marker=${made[2].uuid}`,
  });
  // Sorting.
  await expect('GET', `${C}?node=lister&sort_key=connector_id&sort_dir=desc`, undefined, 200, { connectors: [made[1], made[0], made[2]].map(short) });
  await expect('GET', `${C}?node=lister&sort_key=connector_id`, undefined, 200, { connectors: [made[2], made[0], made[1]].map(short) });
  // Refused.
  const missing = '00000000-1111-2222-3333-444444444444';
  await fails('GET', `${C}?detail=bogus`, undefined, 400, `Invalid detail: Unrecognized value 'bogus', ${BOOLS}`);
  await fails('GET', `${C}?fields=uuid&detail=True`, undefined, 400, "Can't fetch a subset of fields with 'detail' set");
  await fails('GET', `${C}?fields=uuid,bogus`, undefined, 400, 'Field(s) "bogus" are not valid');
  await fails('GET', `${C}?limit=0`, undefined, 400, 'Limit must be positive');
  await fails('GET', `${C}?limit=-1`, undefined, 400, 'Limit must be positive');
  await fails('GET', `${C}?limit=abc`, undefined, 400, 'Expected an integer for limit: abc');
  await fails('GET', `${C}?marker=${missing}`, undefined, 404, `Volume connector ${missing} could not be found.`);
  await fails('GET', `${C}?marker=foo`, undefined, 400, 'Expected UUID for marker: foo');
  await fails('GET', `${C}?sort_key=extra`, undefined, 400, 'The sort_key value extra is an invalid field for sorting');
  await fails('GET', '/v1/volume/targets?sort_key=properties', undefined, 400, 'The sort_key value properties is an invalid field for sorting');
  await fails('GET', `${C}?sort_key=bogus`, undefined, 400, 'The sort_key value "bogus" is an invalid field for sorting');
  await fails('GET', `${C}?sort_dir=up`, undefined, 400, "Invalid sort direction: up. Acceptable values are 'asc' or 'desc'");
  await fails('GET', `${C}?node=unknown`, undefined, 404, 'Node unknown could not be found.');
  await fails('GET', '/v1/nodes/unknown/volume/targets', undefined, 404, 'Node unknown could not be found.');
  await fails('GET', `${C}?bogus=1`, undefined, 400, 'Unexpected arguments: bogus');
  await fails('GET', '/v1/nodes/lister/volume/connectors?node=lister', undefined, 400, 'Unexpected arguments: node');
  const malformed = 'Malformed request URI.';
  await fails('POST', '/v1/nodes/lister/volume/connectors', { node_uuid: n, type: 'iqn', connector_id: 'iqn.2004-01.org.example:x' }, 400, malformed);
  await fails('GET', `/v1/nodes/lister/volume/connectors/${made[0].uuid}`, undefined, 400, malformed);
  await fails('DELETE', `/v1/nodes/lister/volume/targets`, undefined, 400, malformed);
  await expect('GET', `${C}?node=lister`, undefined, 200, { connectors: made.map(short) });
  await expect('DELETE', '/v1/nodes/lister', undefined, 204, null);
  await expect('DELETE', `/v1/nodes/${other}`, undefined, 204, null);
  await expect('GET', C, undefined, 200, { connectors: [] });
});

test('rules: uniqueness, the power state, masked secrets', async () => {
  const n = await node('ruler');
  const m = await node('ruler-2');
  const c = await connector(n, 'iqn.2004-01.org.example:r');
  await fails(
    'POST',
    '/v1/volume/connectors',
    { node_uuid: m, type: 'iqn', connector_id: 'iqn.2004-01.org.example:r' },
    409,
    'A volume connector with type iqn and connector ID iqn.2004-01.org.example:r already exists.',
  );
  await connector(m, '10.0.0.9', 'ip');
  await fails(
    'POST',
    '/v1/volume/connectors',
    { node_uuid: n, type: 'ip', connector_id: '10.0.0.9' },
    409,
    'A volume connector with type ip and connector ID 10.0.0.9 already exists.',
  );
  await fails(
    'POST',
    '/v1/volume/connectors',
    { uuid: c.uuid, node_uuid: n, type: 'iqn', connector_id: 'iqn.2004-01.org.example:s' },
    409,
    `A volume connector with UUID ${c.uuid} already exists.`,
  );
  const t = await target(n, 0, { properties: { auth_password: 's3cret', target_iqn: 'iqn.2004-01.org.example:t' } });
  assert.deepEqual(t.properties, { auth_password: '******', target_iqn: 'iqn.2004-01.org.example:t' });
  assert.deepEqual((await call('GET', `/v1/volume/targets/${t.uuid}`)).body, t);
  await fails(
    'POST',
    '/v1/volume/targets',
    { node_uuid: n, volume_type: 'iscsi', boot_index: 0, volume_id: 'vol-x' },
    409,
    "A volume target with boot index '0' for the same node already exists.",
  );
  await target(m, 0);
  const missing = '00000000-1111-2222-3333-444444444444';
  await fails(
    'POST',
    '/v1/volume/connectors',
    { node_uuid: missing, type: 'iqn', connector_id: 'iqn.2004-01.org.example:u' },
    400,
    `Node ${missing} could not be found.`,
  );
  await fails(
    'POST',
    '/v1/volume/targets',
    { node_uuid: 'nobody', volume_type: 'iscsi', boot_index: 1, volume_id: 'v' },
    400,
    'Node nobody could not be found.',
  );
  await fails(
    'POST',
    '/v1/volume/connectors',
    { node_uuid: n, type: 'iqn', connector_id: 'iqn.2004-01.org.example:u', foo: 1 },
    400,
    "Schema error for connector: Additional properties are not allowed ('foo' was unexpected)",
  );
  const C = `/v1/volume/connectors/${c.uuid}`;
  const T = `/v1/volume/targets/${t.uuid}`;
  const only = 'Only the following can be updated: connector_id, extra, node_uuid, type';
  await fails('PATCH', C, [{ op: 'replace', path: '/uuid', value: missing }], 400, `Cannot patch /uuid. ${only}`);
  await fails('PATCH', C, [{ op: 'replace', path: '/created_at', value: '2020-01-01T00:00:00+00:00' }], 400, `Cannot patch /created_at. ${only}`);
  await fails('PATCH', C, [{ op: 'add', path: '/foo', value: 1 }], 400, `Cannot patch /foo. ${only}`);
  await fails(
    'PATCH',
    T,
    [{ op: 'add', path: '/links', value: [] }],
    400,
    'Cannot patch /links. Only the following can be updated: boot_index, extra, node_uuid, properties, volume_id, volume_type',
  );
  // Powered on, nothing of the node's volumes changes.
  await power(n, 'power on');
  assert.equal((await call('GET', `/v1/nodes/${n}`)).body.power_state, 'power on');
  const state = (action: string) => `The requested action "${action}" can not be performed on node "${n}" while it is in state "power on".`;
  await fails('PATCH', C, [{ op: 'add', path: '/extra/k', value: 'v' }], 400, state('volume connector update'));
  await fails('DELETE', C, undefined, 400, state('volume connector deletion'));
  await fails('PATCH', T, [{ op: 'replace', path: '/boot_index', value: 3 }], 400, state('volume target update'));
  await fails('DELETE', T, undefined, 400, state('volume target deletion'));
  // Nor can a connector of a powered-off node move to it.
  const mc = (await call('GET', `/v1/volume/connectors?node=${m}&detail=True`)).body.connectors[0];
  await fails('PATCH', `/v1/volume/connectors/${mc.uuid}`, [{ op: 'replace', path: '/node_uuid', value: n }], 400, state('volume connector update'));
  assert.deepEqual((await call('GET', C)).body, c);
  await power(n, 'power off');
  const patched = await call('PATCH', C, [{ op: 'add', path: '/extra/k', value: 'v' }]);
  assert.equal(patched.status, 200);
  assert.deepEqual(times(patched.body), times({ ...c, extra: { k: 'v' }, updated_at: '2000-01-01T00:00:00.000000+00:00' }));
  const tp = await call('PATCH', T, [
    { op: 'add', path: '/properties/lun', value: 1 },
    { op: 'replace', path: '/boot_index', value: 3 },
  ]);
  assert.equal(tp.status, 200);
  assert.deepEqual(tp.body.properties, { auth_password: '******', target_iqn: 'iqn.2004-01.org.example:t', lun: 1 }, 'the secret is kept, and masked');
  assert.equal(tp.body.boot_index, 3);
  await expect('DELETE', C, undefined, 204, null);
  await expect('DELETE', T, undefined, 204, null);
  await fails('DELETE', C, undefined, 404, `Volume connector ${c.uuid} could not be found.`);
  await expect('DELETE', `/v1/nodes/${n}`, undefined, 204, null);
  await expect('DELETE', `/v1/nodes/${m}`, undefined, 204, null);
  await expect('GET', '/v1/volume/targets', undefined, 200, { targets: [] });
});

test('bad inputs: answered exactly, each changing nothing', async () => {
  const n = await node('bad');
  const c = await connector(n, 'iqn.2004-01.org.example:bad');
  const c2 = await connector(n, 'iqn.2004-01.org.example:bad2');
  const t = await target(n, 0);
  const snapshot = async () => [
    (await call('GET', '/v1/volume/connectors?detail=True')).body,
    (await call('GET', '/v1/volume/targets?detail=True')).body,
    (await call('GET', '/v1/nodes?detail=True')).body,
  ];
  const was = await snapshot();
  const C = '/v1/volume/connectors';
  const T = '/v1/volume/targets';
  const missing = '00000000-1111-2222-3333-444444444444';
  const cases: [string, string, unknown, number, string, Options?][] = [
    [
      'POST',
      C,
      { type: 'iqn', connector_id: 'iqn.2004-01.org.example:x' },
      400,
      'Invalid input for field/attribute node_uuid. Value: None. Mandatory field missing.',
    ],
    [
      'POST',
      C,
      { node_uuid: n, type: 'bogus', connector_id: 'x' },
      400,
      'Invalid value for type: bogus is not one of the choices (iqn, ip, mac, wwnn, wwpn, port, portgroup).',
    ],
    [
      'POST',
      C,
      { node_uuid: n, type: 'iqn', connector_id: 'not-a-name' },
      400,
      'Invalid value for connector_id: "not-a-name" is not an iSCSI name (iqn., eui. or naa.).',
    ],
    ['POST', C, { node_uuid: n, type: 'iqn' }, 400, 'Invalid value for connector_id: A value is required.'],
    ['POST', C, [], 400, 'Invalid input for field/attribute volume_connector. Value should be an object.'],
    [
      'POST',
      C,
      { node_uuid: n, type: 'iqn', connector_id: 'iqn.2004-01.org.example:y', extra: [1] },
      400,
      "Invalid input for field/attribute extra. Value: '[1]'. Value should be a dictionary",
    ],
    ['POST', C, undefined, 400, 'The request body is not valid JSON.', { raw: '{"node_uuid": ' }],
    [
      'POST',
      C,
      { node_uuid: n, type: 'iqn', connector_id: c.connector_id },
      409,
      `A volume connector with type iqn and connector ID ${c.connector_id} already exists.`,
    ],
    [
      'POST',
      T,
      { node_uuid: n, volume_type: 'iscsi', boot_index: 'x', volume_id: 'v' },
      400,
      'Invalid value for boot_index: The value must be a whole number.',
    ],
    ['POST', T, { node_uuid: n, volume_type: 'iscsi', boot_index: -1, volume_id: 'v' }, 400, 'Invalid value for boot_index: The value must be at least 0.'],
    ['POST', T, { node_uuid: n, volume_type: 'iscsi', boot_index: 1 }, 400, 'Invalid value for volume_id: A value is required.'],
    [
      'POST',
      T,
      { node_uuid: n, volume_type: 'iscsi', boot_index: 1, volume_id: 'v', bar: 1, baz: 2 },
      400,
      "Schema error for target: Additional properties are not allowed ('bar', 'baz' were unexpected)",
    ],
    ['PATCH', `${C}/${c.uuid}`, { op: 'add' }, 400, 'Invalid patch: a JSON Patch document is a list of operations.'],
    [
      'PATCH',
      `${C}/${c.uuid}`,
      [{ op: 'replace', path: '/connector_id', value: c2.connector_id }],
      409,
      `A volume connector with type iqn and connector ID ${c2.connector_id} already exists.`,
    ],
    ['PATCH', `${C}/${c.uuid}`, [{ op: 'replace', path: '/node_uuid', value: missing }], 400, `Node ${missing} could not be found.`],
    [
      'PATCH',
      `${C}/${c.uuid}`,
      [{ op: 'replace', path: '/uuid', value: missing }],
      400,
      'Cannot patch /uuid. Only the following can be updated: connector_id, extra, node_uuid, type',
    ],
    ['PATCH', `${T}/${t.uuid}`, [{ op: 'replace', path: '/boot_index', value: 'one' }], 400, 'Invalid value for boot_index: The value must be a whole number.'],
    ['PATCH', `${C}/${missing}`, [{ op: 'add', path: '/extra/a', value: 1 }], 404, `Volume connector ${missing} could not be found.`],
    ['GET', `${C}/${missing}`, undefined, 404, `Volume connector ${missing} could not be found.`],
    ['DELETE', `${T}/${missing}`, undefined, 404, `Volume target ${missing} could not be found.`],
    ['GET', `${C}/${c.uuid}?fields=nope`, undefined, 400, 'Field(s) "nope" are not valid'],
    ['GET', `${T}?limit=1.5`, undefined, 400, 'Expected an integer for limit: 1.5'],
    ['GET', `${T}?detail=maybe`, undefined, 400, `Invalid detail: Unrecognized value 'maybe', ${BOOLS}`],
    [
      'PUT',
      `/v1/nodes/${n}/states/power`,
      { target: 'sideways' },
      400,
      "Invalid input for field/attribute target. Value: 'sideways'. Value should be one of: power on, power off, soft power off, rebooting, soft rebooting",
    ],
    ['POST', '/v1/nodes', { name: 'nodriver' }, 400, 'Invalid input for field/attribute driver. Value: None. Mandatory field missing.'],
    ['POST', '/v1/nodes', { driver: 'fake-hardware', uuid: n }, 409, `A node with UUID ${n} already exists.`],
    ['POST', '/v1/nodes', { driver: 'fake-hardware', bogus: 1 }, 400, 'Unknown attribute for argument node: bogus'],
    ['DELETE', '/v1/nodes/nobody', undefined, 404, 'Node nobody could not be found.'],
  ];
  assert.ok(cases.length >= 20);
  for (const [method, path, body, status, message, o] of cases) {
    await fails(method, path, body, status, message, o);
    assert.deepEqual(await snapshot(), was, `${method} ${path} changed nothing`);
  }
  await expect('DELETE', `/v1/nodes/${n}`, undefined, 204, null);
});

test('authentication: Basic, X-Auth-Token with an API key, discovery without credentials', async () => {
  const refused = fault(UNAUTHORIZED);
  await expect('GET', '/v1/volume/connectors', undefined, 401, refused, { auth: false });
  await expect('POST', '/v1/nodes', { driver: 'fake-hardware' }, 401, refused, { auth: false });
  await expect('GET', '/v1/volume/connectors', undefined, 401, refused, { auth: false, headers: { ...V, 'x-auth-token': 'notused' } });
  const key = await sb.api('POST', '/api/keys', { name: 'ironic' });
  assert.equal(key.status, 201);
  const token = { ...V, 'x-auth-token': key.body.key };
  await expect('GET', '/v1/volume/connectors', undefined, 200, { connectors: [] }, { auth: false, headers: token });
  const made = await call('POST', '/v1/nodes', { driver: 'fake-hardware', name: 'token' }, { auth: false, headers: token });
  assert.equal(made.status, 201);
  await expect('DELETE', '/v1/nodes/token', undefined, 204, null, { auth: false, headers: token });
  assert.equal((await call('GET', '/', undefined, { auth: false, headers: {} })).status, 200);
  assert.equal((await call('GET', '/v1', undefined, { auth: false, headers: {} })).status, 200);
  assert.equal((await call('GET', '/v1/', undefined, { auth: false, headers: { 'x-auth-token': 'notused' } })).status, 200);
  await sb.api('DELETE', `/api/keys/${key.body.id}`);
  await expect('GET', '/v1/volume/connectors', undefined, 401, refused, { auth: false, headers: token });
});

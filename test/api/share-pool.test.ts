// The share-pool API against a running sanbox: the seed's examples replayed (our uuids,
// times and measured figures aside), figures against the kernel's on a tmpfs mounted for
// the test, the threshold in both dialects, and bad inputs with exact answers.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { rbdUnavailable } from '../../src/backstore/rbd.js';
import { FREENAS, startSanbox, type TestSanbox } from '../support/sanbox.js';
import { readPoolSeedExamples } from './pool-seed-examples.js';

const SHARE = '/v1/pool/share';
const OK = { scode: 0, desc: '', message: 'success', message_cn: '成功', stack: null };
let sb: TestSanbox;
let mnt: string;
let site: { clusterUuid: string; zoneUuid: string; machineUuid: string; tenants: Array<{ uuid: string; name: string }> };
let tenant: string;

before(async () => {
  mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-sharepool-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', mnt]);
  sb = await startSanbox();
  site = (await sb.api('GET', '/api/status')).body.site;
  tenant = site.tenants[0]!.uuid;
});

after(async () => {
  await sb.stop();
  execFileSync('umount', [mnt]);
  fs.rmdirSync(mnt);
});

function dir(name: string): string {
  const d = path.join(mnt, name);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

async function share(route: string, body: unknown): Promise<{ status: number; body: any }> {
  return sb.api('POST', `${SHARE}${route}`, body);
}

function createBody(name: string, source: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    pool_name: name,
    pool_type: 4,
    zone_uuid: site.zoneUuid,
    ip: '127.0.0.1',
    port: '',
    source,
    username: '',
    password: '',
    limit_host: false,
    avail_host: [],
    avail_tenant: [],
    attr: { overAllocationThreshold: '1.0' },
    cluster_uuid: site.clusterUuid,
    ...extra,
  };
}

async function createPool(name: string, source: string, extra: Record<string, unknown> = {}): Promise<any> {
  const r = await share('/create', createBody(name, source, extra));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.scode, 0);
  return r.body.data.pool;
}

/** Same keys, recursively, as the seed's answer (arrays: their first element); a seed null may be a value here. */
function assertShape(actual: unknown, expected: unknown, where: string): void {
  if (expected === null) return;
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${where}: an array`);
    if (expected.length && (actual as unknown[]).length) assertShape((actual as unknown[])[0], expected[0], `${where}[0]`);
    return;
  }
  if (typeof expected === 'object') {
    assert.ok(actual && typeof actual === 'object', `${where}: an object`);
    assert.deepEqual(Object.keys(actual as object).sort(), Object.keys(expected as object).sort(), `${where}: keys`);
    for (const [k, v] of Object.entries(expected as object)) assertShape((actual as Record<string, unknown>)[k], v, `${where}.${k}`);
    return;
  }
  assert.equal(typeof actual, typeof expected, `${where}: a ${typeof expected}`);
}

/** The seed's request with this site's uuids in place of the seed's. */
function ours(request: Record<string, unknown>, poolUuid: string | null): Record<string, unknown> {
  const out: Record<string, unknown> = { ...request };
  if ('cluster_uuid' in out) out.cluster_uuid = site.clusterUuid;
  if ('zone_uuid' in out) out.zone_uuid = site.zoneUuid;
  if ('tenant' in out) out.tenant = tenant;
  if ('pool_uuid' in out && poolUuid) out.pool_uuid = poolUuid;
  if (Array.isArray(out.avail_host)) out.avail_host = out.avail_host.map(() => site.machineUuid);
  return out;
}

test("every example of the seed, replayed: the same envelope and shapes, with this site's uuids", async () => {
  const examples = readPoolSeedExamples();
  assert.deepEqual(
    examples.map((e) => `${e.method} ${e.path}`),
    ['POST /list', 'POST /get', 'POST /create', 'POST /delete', 'POST /set', 'POST /status/check', 'GET /pool_type/support', 'POST /fc_device/list'],
  );
  const byPath = new Map(examples.map((e) => [e.path, e]));

  // create: the seed makes an NFS pool; this host has no NFS client, so it says so, and the same request as a disk pool works.
  const create = byPath.get('/create')!;
  const nfs = await share('/create', ours(create.request, null));
  assert.equal(nfs.status, 400);
  assert.equal(nfs.body.scode, 8102);
  assert.equal(nfs.body.desc, 'pool.type-unsupported: pool_type');
  assert.match(nfs.body.message, /^Pools of type nfs cannot be created on this host: the kernel has no nfs file system/);
  assert.match(nfs.body.message_cn, /^本机不能创建 nfs 类型的存储池/);
  assert.equal(nfs.body.data, null);
  const source = dir('seed');
  const created = await share('/create', { ...ours(create.request, null), pool_type: 4, source });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  assertShape(created.body, create.response, 'create');
  const pool = created.body.data.pool;
  assert.deepEqual(
    { ...created.body, data: { ...created.body.data, pool: null } },
    { ...OK, data: { pool: null, cluster_uuid: site.clusterUuid, cluster_name: 'sanbox', cluster_mode: '', tenant: '', tenant_name: '', PoolTypes: null } },
  );
  assert.equal(pool.Name, 'test--');
  assert.equal(pool.Type, 4);
  assert.equal(pool.Source, source);
  assert.equal(pool.IP, '10.30.10.115');
  assert.equal(pool.ZoneUUID, site.zoneUuid);
  assert.equal(pool.ZoneName, 'default');
  assert.equal(pool.MachineUUID, site.machineUuid);
  assert.deepEqual(pool.AvailHosts, [site.machineUuid]);
  assert.deepEqual(pool.Attr, { overAllocationThreshold: '1.0' });
  assert.equal(pool.Status, 'healthy');
  assert.equal(pool.LimitHost, true);
  assert.equal(pool.VolumeTotalCount, 0);
  assert.equal(pool.AllocatedCapacity, 0);
  assert.equal(pool.Mtime, 0);
  assert.ok(Math.abs(pool.Ctime - Date.now() / 1000) < 60);
  assert.ok(pool.Capacity > 0);

  const list = await share('/list', ours(byPath.get('/list')!.request, null));
  assert.equal(list.status, 200);
  assertShape(list.body, byPath.get('/list')!.response, 'list');
  assert.equal(list.body.data.TotalCount, 2, 'the default pool and the new one');
  assert.equal(list.body.data.each_range_list_state[0].total_count, 2);
  assert.deepEqual(list.body.data.each_range_list_state[0].result, { ...OK, data: '' });

  const get = await share('/get', ours(byPath.get('/get')!.request, pool.UUID));
  assert.equal(get.status, 200);
  assertShape(get.body, byPath.get('/get')!.response, 'get');
  assert.equal(get.body.data.pool.UUID, pool.UUID);
  assert.equal(get.body.data.tenant, tenant);
  assert.equal(get.body.data.tenant_name, 'default');

  const set = await share('/set', { ...ours(byPath.get('/set')!.request, pool.UUID), pool_name: 'test--', attr: { overAllocationThreshold: '2.0' } });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  assert.deepEqual(set.body, byPath.get('/set')!.response);
  const afterSet = (await share('/get', ours(byPath.get('/get')!.request, pool.UUID))).body.data.pool;
  assert.deepEqual(afterSet.Attr, { overAllocationThreshold: '2.0' });
  assert.ok(afterSet.Mtime > 0);

  const check = await share('/status/check', ours(byPath.get('/status/check')!.request, pool.UUID));
  assert.equal(check.status, 200);
  assert.deepEqual(check.body, byPath.get('/status/check')!.response);

  const support = byPath.get('/pool_type/support')!;
  const types = await sb.api('GET', `${SHARE}/pool_type/support?cluster_uuid=${site.clusterUuid}`);
  assert.equal(types.status, 200);
  assertShape(types.body, support.response, 'pool_type/support');
  // rbd too where the rbd addon was built over librbd (librbd-dev at npm install).
  const served = rbdUnavailable() === null ? ['iscsi', 'disk', 'rbd'] : ['iscsi', 'disk'];
  assert.deepEqual(types.body.data.PoolTypes, served, 'exactly what this host can create now: iscsi and rbd pools are served by the data plane');

  const fc = await share('/fc_device/list', ours(byPath.get('/fc_device/list')!.request, null));
  assert.equal(fc.status, 200);
  assert.deepEqual(fc.body, { ...OK, data: { list: {} } }, 'this host has no FC HBA');

  const del = await share('/delete', { ...ours(byPath.get('/delete')!.request, pool.UUID), pool_name: 'test--' });
  assert.equal(del.status, 200, JSON.stringify(del.body));
  assert.deepEqual(del.body, byPath.get('/delete')!.response);
  assert.equal((await share('/get', ours(byPath.get('/get')!.request, pool.UUID))).status, 404);
});

function df(d: string): number {
  const [, line] = execFileSync('df', ['-B1', '--output=size', d], { encoding: 'utf8' }).trim().split('\n');
  return Number(line!.trim());
}

function du(d: string): number {
  return Number(execFileSync('du', ['-s', '-B1', '-x', d], { encoding: 'utf8' }).split(/\s/)[0]) - fs.statSync(d).blocks * 512;
}

test('Capacity is statvfs and Used is du of the tmpfs, within one block; extents count as allocated', async () => {
  const source = dir('figures');
  fs.writeFileSync(path.join(source, 'other-data'), Buffer.alloc(2 * 1024 * 1024, 7));
  const pool = await createPool('figures', source);
  assert.equal(pool.Capacity, df(source));
  assert.ok(Math.abs(pool.Used - du(source)) <= 4096, `${pool.Used} vs du ${du(source)}`);
  const ext = await sb.api('POST', `${FREENAS}/extent/`, {
    iscsi_target_extent_type: 'File',
    iscsi_target_extent_name: 'figures0',
    iscsi_target_extent_path: '/mnt/figures/figures0',
    iscsi_target_extent_filesize: '8MB',
  });
  assert.equal(ext.status, 201, ext.text);
  const after = (await share('/get', { cluster_uuid: site.clusterUuid, tenant, pool_uuid: pool.UUID })).body.data.pool;
  assert.equal(after.VolumeTotalCount, 1);
  assert.equal(after.AllocatedCapacity, 8 * 1024 * 1024);
  assert.ok(Math.abs(after.Used - du(source)) <= 4096, 'a sparse image adds what it holds, not its size');
  assert.equal((await sb.api('DELETE', `${FREENAS}/extent/${ext.body.id}/`)).status, 204);
});

test('the threshold: extents up to it are made, the next is refused in FreeNAS and the pool API alike, nothing left on disk', async () => {
  const source = dir('thresh');
  const pool = await createPool('thresh', source, { attr: { overAllocationThreshold: '0.5' } });
  const half = Math.floor(pool.Capacity * 0.5);
  const extent = (name: string, bytes: number) =>
    sb.api('POST', `${FREENAS}/extent/`, {
      iscsi_target_extent_type: 'File',
      iscsi_target_extent_name: name,
      iscsi_target_extent_path: `/mnt/thresh/${name}`,
      iscsi_target_extent_filesize: String(bytes),
    });
  const first = await extent('t0', Math.floor(half / 2 / 512) * 512);
  assert.equal(first.status, 201, first.text);
  const second = await extent('t1', Math.floor(half / 2 / 512) * 512);
  assert.equal(second.status, 201, second.text);
  const third = await extent('t2', 1024 * 1024);
  assert.equal(third.status, 400);
  assert.deepEqual(Object.keys(third.body), ['iscsi_target_extent_filesize']);
  assert.match(
    third.body.iscsi_target_extent_filesize[0],
    /^Pool "thresh" would hold \d+ bytes of extents on \d+ bytes of storage, more than its overAllocationThreshold of 0.5 allows\.$/,
  );
  assert.equal(fs.existsSync(path.join(source, 't2')), false, 'nothing left on disk');
  // Growing past it is refused too, and the file keeps its size.
  const grow = await sb.api('PUT', `${FREENAS}/extent/${first.body.id}/`, { iscsi_target_extent_filesize: String(half) });
  assert.equal(grow.status, 400);
  assert.equal(fs.statSync(path.join(source, 't0')).size, Math.floor(half / 2 / 512) * 512);
  // The pool API refuses a threshold below what the pool holds, in its envelope.
  const lower = await share('/set', {
    cluster_uuid: site.clusterUuid,
    tenant,
    pool_uuid: pool.UUID,
    pool_name: 'thresh',
    attr: { overAllocationThreshold: '0.1' },
  });
  assert.equal(lower.status, 400);
  assert.equal(lower.body.scode, 8107);
  assert.equal(lower.body.desc, 'pool.over-allocated: attr');
  assert.match(lower.body.message_cn, /超过超分配阈值 0.1/);
  assert.deepEqual((await share('/get', { cluster_uuid: site.clusterUuid, tenant, pool_uuid: pool.UUID })).body.data.pool.Attr, {
    overAllocationThreshold: '0.5',
  });
  // A pool with extents cannot be deleted; the refusal names them.
  const del = await share('/delete', { cluster_uuid: site.clusterUuid, tenant, pool_uuid: pool.UUID, pool_name: 'thresh' });
  assert.equal(del.status, 409);
  assert.equal(del.body.scode, 2003);
  assert.match(del.body.message, /^Pool \d+ is used by extent "t0" \(id \d+\), extent "t1" \(id \d+\)\.$/);
  for (const e of [first, second]) assert.equal((await sb.api('DELETE', `${FREENAS}/extent/${e.body.id}/`)).status, 204);
});

test('a pool whose directory disappears turns offline on status/check, and healthy when it is back', async () => {
  const source = dir('vanish');
  const pool = await createPool('vanish', source);
  fs.rmSync(source, { recursive: true });
  const check = await share('/status/check', { cluster_uuid: site.clusterUuid, tenant, pool_uuid: pool.UUID });
  assert.equal(check.body.scode, 0);
  const gone = (await share('/get', { cluster_uuid: site.clusterUuid, tenant, pool_uuid: pool.UUID })).body.data.pool;
  assert.equal(gone.Status, 'offline');
  assert.equal(gone.Capacity, 0);
  fs.mkdirSync(source);
  await share('/status/check', { cluster_uuid: site.clusterUuid, tenant, pool_uuid: pool.UUID });
  assert.equal((await share('/get', { cluster_uuid: site.clusterUuid, tenant, pool_uuid: pool.UUID })).body.data.pool.Status, 'healthy');
  await share('/delete', { cluster_uuid: site.clusterUuid, tenant, pool_uuid: pool.UUID, pool_name: 'vanish' });
});

test('bad inputs: exact scode, words and status, and nothing changes', async () => {
  const source = dir('bad');
  fs.mkdirSync(path.join(source, 'inner'));
  const existing = await createPool('bad', source);
  const before = (await share('/list', { cluster_uuid: site.clusterUuid })).body.data;
  const c = (extra: Record<string, unknown>) => createBody('fresh', dir('fresh'), extra);
  const cases: Array<[string, string, unknown, number, number, string]> = [
    ['/create', 'no body', undefined, 400, 9002, 'request.not-object'],
    ['/create', 'an array', [1], 400, 9002, 'request.not-object'],
    ['/create', 'no cluster', c({ cluster_uuid: undefined }), 400, 1001, 'value.required: cluster_uuid'],
    ['/create', 'another cluster', c({ cluster_uuid: 'a97eb422-f42b-4b85-8556-725f152661f0' }), 400, 8001, 'site.cluster-unknown: cluster_uuid'],
    ['/create', 'another zone', c({ zone_uuid: '3e2f589c-d5d7-4807-9c03-238fe967cdbd' }), 400, 8002, 'site.zone-unknown: zone_uuid'],
    ['/create', 'no name', c({ pool_name: '' }), 400, 1001, 'value.required: pool_name'],
    ['/create', 'a slash in the name', c({ pool_name: 'a/b' }), 400, 8101, 'pool.name-invalid: pool_name'],
    ['/create', 'a name taken', c({ pool_name: 'bad' }), 409, 2004, 'name.taken: pool_name'],
    ['/create', 'an unknown type', c({ pool_type: 9 }), 400, 1005, 'value.not-a-choice: pool_type'],
    ['/create', 'samba', c({ pool_type: 3 }), 400, 8102, 'pool.type-unsupported: pool_type'],
    // A directory is no Ceph pool where rbd is served; elsewhere rbd is refused outright.
    rbdUnavailable() === null
      ? ['/create', 'rbd', c({ pool_type: 6 }), 400, 8124, 'pool.rbd-source-invalid: source']
      : ['/create', 'rbd', c({ pool_type: 6 }), 400, 8102, 'pool.type-unsupported: pool_type'],
    ['/create', 'fc', c({ pool_type: 5 }), 400, 8102, 'pool.type-unsupported: pool_type'],
    ['/create', 'no source', c({ source: '' }), 400, 1001, 'value.required: source'],
    ['/create', 'a missing directory', c({ source: path.join(mnt, 'none') }), 400, 8103, 'pool.source-not-directory: source'],
    ['/create', 'inside another pool', c({ source: path.join(source, 'inner') }), 409, 8104, 'pool.source-overlaps: source'],
    ['/create', 'a bad ip', c({ ip: '10.30.10' }), 400, 1010, 'value.not-ip-address: ip'],
    ['/create', 'a bad port', c({ port: '70000' }), 400, 1004, 'value.above-maximum: port'],
    ['/create', 'a bad host', c({ avail_host: ['host1'] }), 400, 8105, 'pool.host-invalid: avail_host'],
    ['/create', 'an unknown tenant', c({ avail_tenant: ['fab210d2-b9b8-4b0b-bd61-50812ce3d4d0'] }), 400, 8003, 'tenant.unknown: avail_tenant'],
    ['/create', 'no attr', c({ attr: undefined }), 400, 1001, 'value.required: attr'],
    ['/create', 'a threshold of 0', c({ attr: { overAllocationThreshold: '0' } }), 400, 8106, 'pool.threshold-invalid: attr'],
    ['/create', 'a number threshold', c({ attr: { overAllocationThreshold: 1 } }), 400, 1012, 'value.not-object: attr'],
    ['/create', 'a NUL in the name', c({ pool_name: 'a\u0000b' }), 400, 1008, 'value.control-characters: pool_name'],
    ['/create', 'limit_host as text', c({ limit_host: 'yes' }), 400, 1007, 'value.not-boolean: limit_host'],
    ['/get', 'no pool', { cluster_uuid: site.clusterUuid, tenant }, 400, 1001, 'value.required: pool_uuid'],
    ['/get', 'an unknown pool', { cluster_uuid: site.clusterUuid, tenant, pool_uuid: '0eca2be3-056f-4634-a25b-5cf717e067fb' }, 404, 2001, 'entity.not-found'],
    ['/get', 'no tenant', { cluster_uuid: site.clusterUuid, pool_uuid: existing.UUID }, 400, 1001, 'value.required: tenant'],
    ['/list', 'a negative page', { cluster_uuid: site.clusterUuid, page_num: -1 }, 400, 1003, 'value.below-minimum: page_num'],
    ['/list', 'a fractional size', { cluster_uuid: site.clusterUuid, page_size: 1.5 }, 400, 1002, 'value.not-integer: page_size'],
    [
      '/delete',
      'the wrong name',
      { cluster_uuid: site.clusterUuid, tenant, pool_uuid: existing.UUID, pool_name: 'other' },
      400,
      8110,
      'pool.name-mismatch: pool_name',
    ],
    ['/delete', 'the default pool', { cluster_uuid: site.clusterUuid, tenant, pool_uuid: before.infos[0].pool.UUID }, 409, 8108, 'pool.configured'],
    ['/set', 'no attr', { cluster_uuid: site.clusterUuid, tenant, pool_uuid: existing.UUID, pool_name: 'bad' }, 400, 1001, 'value.required: attr'],
    [
      '/set',
      'a bad threshold',
      { cluster_uuid: site.clusterUuid, tenant, pool_uuid: existing.UUID, attr: { overAllocationThreshold: 'lots' } },
      400,
      8106,
      'pool.threshold-invalid: attr',
    ],
    ['/nowhere', 'an unknown API', {}, 404, 9005, 'request.no-route'],
  ];
  for (const [route, what, body, status, scode, desc] of cases) {
    const r = body === undefined ? await sb.request('POST', `${SHARE}${route}`, { headers: { 'content-type': 'application/json' } }) : await share(route, body);
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.scode, scode, what);
    assert.equal(r.body.desc, desc, what);
    assert.equal(typeof r.body.message, 'string', what);
    assert.ok(r.body.message_cn.length > 0, what);
    assert.equal(r.body.stack, null, what);
    assert.equal(r.body.data, null, what);
  }
  const malformed = await sb.request('POST', `${SHARE}/list`, { raw: '{"cluster_uuid": ' });
  assert.deepEqual(malformed.body, {
    scode: 9001,
    desc: 'request.malformed',
    message: 'The request body is not valid JSON.',
    message_cn: '请求体不是有效的 JSON。',
    stack: null,
    data: null,
  });
  assert.equal(malformed.status, 400);
  const unauthenticated = await sb.request('POST', `${SHARE}/list`, { body: { cluster_uuid: site.clusterUuid }, auth: false });
  assert.equal(unauthenticated.status, 401);
  assert.deepEqual((await share('/list', { cluster_uuid: site.clusterUuid })).body.data, before, 'nothing changed');
  assert.deepEqual(
    fs.readdirSync(mnt).filter((d) => d.startsWith('fresh')),
    ['fresh'],
    'no pool was made of it',
  );
  await share('/delete', { cluster_uuid: site.clusterUuid, tenant, pool_uuid: existing.UUID, pool_name: 'bad' });
});

test("the ApiKey header authenticates with one of the control plane's keys; a password is not a key", async () => {
  const { key } = (await sb.api('POST', '/api/keys', { name: 'platform' })).body;
  const ok = await sb.request('POST', `${SHARE}/list`, { body: { cluster_uuid: site.clusterUuid }, auth: false, headers: { apikey: key } });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.scode, 0);
  const wrong = await sb.request('POST', `${SHARE}/list`, { body: { cluster_uuid: site.clusterUuid }, auth: false, headers: { apikey: sb.auth.password } });
  assert.equal(wrong.status, 401);
  const password = (await share('/create', createBody('secret', dir('secret'), { username: 'u', password: 'p4ssw0rd' }))).body.data.pool;
  assert.equal(password.Password, '******', 'never in clear');
  assert.equal(password.Username, 'u');
  await share('/delete', { cluster_uuid: site.clusterUuid, tenant, pool_uuid: password.UUID, pool_name: 'secret' });
});

// The ONTAP dialect (/api) against a running sanbox: the seed's iSCSI-service PATCH replayed,
// the iSCSI service collection's query mechanics with exact bodies, and bad inputs across the
// SAN resources, each answered exactly and each leaving every collection (and the FreeNAS
// view of the same objects) as it was.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { freePort } from '../e2e/peers.js';
import { FREENAS, startSanbox, type TestSanbox } from '../support/sanbox.js';

const S = '/api/protocols/san/iscsi/services';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const IQN = /^iqn\.1992-08\.com\.netapp:sn\.[0-9a-f]{32}:vs\.\d+$/;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const NO_SVM = '00000000-0000-0000-0000-000000000000';

let sb: TestSanbox;

interface Answer {
  status: number;
  body: any;
  location: string | null;
}

async function call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer> {
  const r = await sb.request(method, path, { body, headers });
  return { status: r.status, body: r.body, location: r.headers.get('location') };
}

/** The answer's status and body, exactly. */
async function expect(method: string, path: string, body: unknown, status: number, expected: unknown): Promise<Answer> {
  const r = await call(method, path, body);
  assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
  assert.deepEqual(r.body, expected, `${method} ${path}`);
  return r;
}

const err = (code: string, message: string, target?: string) => ({ error: { message, code, ...(target !== undefined ? { target } : {}) } });
const svmLink = (uuid: string) => ({ self: { href: `/api/svm/svms/${uuid}` } });
const serviceLink = (uuid: string) => ({ self: { href: `${S}/${uuid}` } });

interface Svm {
  uuid: string;
  name: string;
}
const svmRef = (s: Svm) => ({ uuid: s.uuid, name: s.name, _links: svmLink(s.uuid) });

/** Creates an SVM through its job, as an ONTAP client does. */
async function createSvm(name: string): Promise<Svm> {
  const r = await call('POST', '/api/svm/svms', { name });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const jobUuid = r.body.job.uuid;
  assert.match(jobUuid, UUID);
  assert.deepEqual(r.body, { job: { uuid: jobUuid, _links: { self: { href: `/api/cluster/jobs/${jobUuid}` } } } });
  const uuid = r.location!.replace('/api/svm/svms/', '');
  assert.match(uuid, UUID);
  const job = await call('GET', `/api/cluster/jobs/${jobUuid}`);
  assert.equal(job.status, 200);
  assert.match(job.body.start_time, TIME);
  assert.deepEqual(job.body, {
    uuid: jobUuid,
    description: `POST /api/svm/svms/${uuid}`,
    state: 'success',
    message: 'success',
    code: 0,
    start_time: job.body.start_time,
    end_time: job.body.start_time,
    _links: { self: { href: `/api/cluster/jobs/${jobUuid}` } },
  });
  return { uuid, name };
}

let svm1: Svm;
let svm2: Svm;
let target1: string;
let target2: string;

before(async () => {
  sb = await startSanbox({ env: { SANBOX_PORTAL_PORT: String(await freePort()) } });
});

after(async () => {
  await sb.stop();
});

test('the seed: an SVM by its job, its iSCSI service created, the example PATCH body sent back, the alias changed and cleared', async () => {
  svm1 = await createSvm('svm1');
  const created = await expect('POST', S, { svm: { name: 'svm1' } }, 201, {});
  assert.equal(created.location, `${S}/${svm1.uuid}`);

  const read = await call('GET', `${S}/${svm1.uuid}`);
  assert.equal(read.status, 200);
  target1 = read.body.target.name;
  assert.match(target1, IQN);
  // In POST the alias defaults to the SVM's name.
  const service = (alias: string) => ({ svm: svmRef(svm1), enabled: true, target: { name: target1, alias }, _links: serviceLink(svm1.uuid) });
  assert.deepEqual(read.body, service('svm1'));

  // The seed's example request, its svm and target read back: the same values are no change.
  const example = {
    _links: { self: { href: '/api/resourcelink' } },
    svm: { _links: { self: { href: '/api/resourcelink' } }, name: svm1.name, uuid: svm1.uuid },
    target: { alias: 'svm1', name: target1 },
  };
  await expect('PATCH', `${S}/${svm1.uuid}`, example, 200, {});
  await expect('GET', `${S}/${svm1.uuid}`, undefined, 200, service('svm1'));

  await expect('PATCH', `${S}/${svm1.uuid}`, { target: { alias: 'lab-target_1' } }, 200, {});
  await expect('GET', `${S}/${svm1.uuid}`, undefined, 200, service('lab-target_1'));

  // "A PATCH request with an empty alias ("") clears the alias": read back as "".
  await expect('PATCH', `${S}/${svm1.uuid}`, { 'target.alias': '' }, 200, {});
  await expect('GET', `${S}/${svm1.uuid}`, undefined, 200, service(''));
  // One to 128 printable characters, the seed says: 128 is taken.
  const longest = `${'x'.repeat(127)}!`;
  await expect('PATCH', `${S}/${svm1.uuid}`, { target: { alias: longest } }, 200, {});
  await expect('GET', `${S}/${svm1.uuid}`, undefined, 200, service(longest));
  await expect('PATCH', `${S}/${svm1.uuid}`, { target: { alias: 'svm1' } }, 200, {});

  // The SVM itself shows its service.
  const svm = await call('GET', `/api/svm/svms/${svm1.uuid}?fields=iscsi`);
  assert.deepEqual(svm.body, {
    uuid: svm1.uuid,
    name: 'svm1',
    iscsi: { allowed: true, enabled: true, _links: serviceLink(svm1.uuid) },
    _links: svmLink(svm1.uuid),
  });
});

test('the iSCSI service collection: default and named fields, counts, paging, filters, order and SVM scope', async () => {
  svm2 = await createSvm('svm2');
  await expect('POST', S, { svm: { uuid: svm2.uuid }, enabled: false, target: { alias: 'two' } }, 201, {});
  target2 = (await call('GET', `${S}/${svm2.uuid}`)).body.target.name;
  assert.match(target2, IQN);
  assert.notEqual(target2, target1);

  const key = (s: Svm) => ({ svm: svmRef(s), _links: serviceLink(s.uuid) });
  const list = (self: string, records: unknown[], next?: string) => ({
    records,
    num_records: records.length,
    _links: { self: { href: self }, ...(next ? { next: { href: next } } : {}) },
  });
  const full1 = { svm: svmRef(svm1), enabled: true, target: { name: target1, alias: 'svm1' }, _links: serviceLink(svm1.uuid) };
  const full2 = { svm: svmRef(svm2), enabled: false, target: { name: target2, alias: 'two' }, _links: serviceLink(svm2.uuid) };

  await expect('GET', S, undefined, 200, list(S, [key(svm1), key(svm2)]));
  await expect('GET', `${S}?fields=`, undefined, 200, list(`${S}?fields=`, [key(svm1), key(svm2)]));
  await expect('GET', `${S}?fields=*`, undefined, 200, list(`${S}?fields=*`, [full1, full2]));
  await expect('GET', `${S}?return_records=false`, undefined, 200, { num_records: 2, _links: { self: { href: `${S}?return_records=false` } } });

  const stats = await call('GET', `${S}?fields=statistics`);
  assert.equal(stats.status, 200);
  const zero = { read: 0, write: 0, other: 0, total: 0 };
  const withStats = (s: Svm, i: number) => {
    const timestamp = stats.body.records[i].statistics.timestamp;
    assert.match(timestamp, TIME);
    return { svm: svmRef(s), statistics: { status: 'ok', timestamp, iops_raw: zero, latency_raw: zero, throughput_raw: zero }, _links: serviceLink(s.uuid) };
  };
  assert.deepEqual(stats.body, list(`${S}?fields=statistics`, [withStats(svm1, 0), withStats(svm2, 1)]));

  const first = await expect('GET', `${S}?max_records=1`, undefined, 200, list(`${S}?max_records=1`, [key(svm1)], `${S}?max_records=1&start.index=1`));
  await expect('GET', first.body._links.next.href, undefined, 200, list(`${S}?max_records=1&start.index=1`, [key(svm2)]));

  // A filtered field comes back beside the keys.
  await expect(
    'GET',
    `${S}?enabled=false`,
    undefined,
    200,
    list(`${S}?enabled=false`, [{ svm: svmRef(svm2), enabled: false, _links: serviceLink(svm2.uuid) }]),
  );
  await expect('GET', `${S}?svm.name=svm1`, undefined, 200, list(`${S}?svm.name=svm1`, [key(svm1)]));
  await expect(
    'GET',
    `${S}?target.alias=two`,
    undefined,
    200,
    list(`${S}?target.alias=two`, [{ svm: svmRef(svm2), target: { alias: 'two' }, _links: serviceLink(svm2.uuid) }]),
  );
  await expect('GET', `${S}?target.alias=none`, undefined, 200, list(`${S}?target.alias=none`, []));
  await expect('GET', `${S}?order_by=svm.name%20desc`, undefined, 200, list(`${S}?order_by=svm.name%20desc`, [key(svm2), key(svm1)]));

  const scoped = await call('GET', S, undefined, { 'X-Dot-SVM-Name': 'svm2' });
  assert.equal(scoped.status, 200);
  assert.deepEqual(scoped.body, list(S, [key(svm2)]));
  // Scoped to svm2, svm1's service is not there, to read or to change.
  const hidden = err('2621462', `SVM "${svm1.uuid}" does not exist.`, 'svm.uuid');
  for (const [method, body] of [
    ['GET', undefined],
    ['PATCH', { enabled: false }],
    ['DELETE', undefined],
  ] as const) {
    const r = await call(method, `${S}/${svm1.uuid}`, body, { 'X-Dot-SVM-Name': 'svm2' });
    assert.equal(r.status, 404, `${method}: ${JSON.stringify(r.body)}`);
    assert.deepEqual(r.body, hidden);
  }
  await expect('GET', `${S}/${svm1.uuid}?fields=enabled`, undefined, 200, { svm: svmRef(svm1), enabled: true, _links: serviceLink(svm1.uuid) });
  const nowhere = await call('GET', S, undefined, { 'X-Dot-SVM-Name': 'nosuch' });
  assert.equal(nowhere.status, 404);
  assert.deepEqual(nowhere.body, err('2621462', 'SVM "nosuch" does not exist.', 'X-Dot-SVM-Name'));

  await expect('GET', `${S}/${svm2.uuid}?fields=enabled`, undefined, 200, { svm: svmRef(svm2), enabled: false, _links: serviceLink(svm2.uuid) });
});

test('the iSCSI service lifecycle: no second service, no delete while enabled, gone once deleted, an unknown SVM', async () => {
  await expect('POST', S, { svm: { name: 'svm2' } }, 400, err('5374077', 'The SVM already has an iSCSI service.', 'svm.uuid'));
  await expect('GET', `${S}/${NO_SVM}`, undefined, 404, err('2621462', `SVM "${NO_SVM}" does not exist.`, 'svm.uuid'));
  await expect('PATCH', `${S}/${NO_SVM}`, { enabled: true }, 404, err('2621462', `SVM "${NO_SVM}" does not exist.`, 'svm.uuid'));

  const svm3 = await createSvm('svm3');
  await expect('POST', S, { 'svm.name': 'svm3' }, 201, {});
  await expect('DELETE', `${S}/${svm3.uuid}`, undefined, 400, err('5373960', 'The iSCSI service must be disabled before it can be deleted.', 'enabled'));
  await expect('PATCH', `${S}/${svm3.uuid}`, { enabled: false }, 200, {});
  await expect('DELETE', `${S}/${svm3.uuid}`, undefined, 200, {});
  const missing = err('5374078', 'The SVM does not have an iSCSI service.', 'svm.uuid');
  await expect('GET', `${S}/${svm3.uuid}`, undefined, 404, missing);
  await expect('PATCH', `${S}/${svm3.uuid}`, { enabled: true }, 404, missing);
  await expect('DELETE', `${S}/${svm3.uuid}`, undefined, 404, missing);
  const svm = await call('GET', `/api/svm/svms/${svm3.uuid}?fields=iscsi`);
  assert.deepEqual(svm.body, { uuid: svm3.uuid, name: 'svm3', iscsi: { allowed: true, enabled: false }, _links: svmLink(svm3.uuid) });
  await expect('GET', `${S}?svm.name=svm3`, undefined, 200, { records: [], num_records: 0, _links: { self: { href: `${S}?svm.name=svm3` } } });
});

/** Everything a bad input could have touched, in both dialects. */
async function snapshot(): Promise<Record<string, unknown>> {
  const paths = [
    '/api/svm/svms?fields=*',
    `${S}?fields=*`,
    '/api/storage/volumes?fields=*',
    '/api/storage/luns?fields=*',
    '/api/protocols/san/igroups?fields=*',
    '/api/protocols/san/lun-maps?fields=*',
    '/api/network/ip/interfaces?fields=*',
    `${FREENAS}/target/`,
    `${FREENAS}/extent/`,
    `${FREENAS}/portal/`,
    `${FREENAS}/authorizedinitiator/`,
    `${FREENAS}/targettoextent/`,
  ];
  const out: Record<string, unknown> = {};
  for (const p of paths) {
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
  status: number;
  error: ReturnType<typeof err>;
}

test('bad inputs across the SAN resources: exact refusals, and nothing changed by any of them', async () => {
  // The objects the bad inputs aim at: a volume holding a mapped LUN, an empty volume, an igroup, a LIF.
  const svm = { svm: { name: 'svm1' } };
  const vol = (name: string) => ({ name, ...svm, aggregates: [{ name: 'default' }], size: 104857600 });
  assert.equal((await call('POST', '/api/storage/volumes', vol('vol1'))).status, 202);
  assert.equal((await call('POST', '/api/storage/volumes', vol('vol2'))).status, 202);
  const vol1 = (await call('GET', '/api/storage/volumes?name=vol1')).body.records[0].uuid;
  const lunBody = { ...svm, name: '/vol/vol1/lun1', os_type: 'linux', space: { size: 16777216 } };
  const lun = await call('POST', '/api/storage/luns', lunBody);
  assert.equal(lun.status, 201, JSON.stringify(lun.body));
  const lunUuid = lun.location!.replace('/api/storage/luns/', '');
  assert.match(lunUuid, UUID);
  const igBody = { ...svm, name: 'ig1', os_type: 'linux', protocol: 'iscsi', initiators: [{ name: 'iqn.1993-08.org.debian:01:abc' }] };
  const ig = await call('POST', '/api/protocols/san/igroups', igBody);
  assert.equal(ig.status, 201, JSON.stringify(ig.body));
  const igUuid = ig.location!.replace('/api/protocols/san/igroups/', '');
  const mapBody = { ...svm, lun: { name: '/vol/vol1/lun1' }, igroup: { name: 'ig1' } };
  assert.equal((await call('POST', '/api/protocols/san/lun-maps', mapBody)).status, 201);
  const lifBody = { name: 'lif1', ...svm, ip: { address: '127.0.0.5', netmask: '255.255.255.0' }, service_policy: { name: 'default-data-iscsi' } };
  const lif = await call('POST', '/api/network/ip/interfaces', lifBody);
  assert.equal(lif.status, 201, JSON.stringify(lif.body));

  const lif2 = { name: 'lif2', ...svm, ip: { address: '127.0.0.6', netmask: '24' } };
  const tooLong = 'a'.repeat(129);
  const bad: Bad[] = [
    {
      what: 'an unknown body field',
      method: 'POST',
      path: '/api/svm/svms',
      body: { name: 'svm9', colour: 'red' },
      status: 400,
      error: err('262179', 'Unexpected argument "colour".', 'colour'),
    },
    {
      what: 'an unknown nested body field',
      method: 'POST',
      path: S,
      body: { svm: { nme: 'svm2' } },
      status: 400,
      error: err('262179', 'Unexpected argument "svm.nme".', 'svm.nme'),
    },
    {
      what: 'a name of the wrong type',
      method: 'POST',
      path: '/api/svm/svms',
      body: { name: 42 },
      status: 400,
      error: err('262185', '"42" is an invalid value for field "name" (<string>)', 'name'),
    },
    {
      what: 'a body that is no object',
      method: 'POST',
      path: '/api/svm/svms',
      body: 'svm9',
      status: 400,
      error: err('262185', '"svm9" is an invalid value for field "body" (<object>)', 'body'),
    },
    {
      what: 'no SVM name',
      method: 'POST',
      path: '/api/svm/svms',
      body: { comment: 'x' },
      status: 400,
      error: err('262197', 'Missing value for required field "name".', 'name'),
    },
    {
      what: 'a duplicate SVM name',
      method: 'POST',
      path: '/api/svm/svms',
      body: { name: 'svm2' },
      status: 400,
      error: err('13434920', 'Duplicate SVM name "svm2".', 'name'),
    },
    {
      what: 'renaming an SVM to a taken name',
      method: 'PATCH',
      path: `/api/svm/svms/${svm2.uuid}`,
      body: { name: 'svm1' },
      status: 400,
      error: err('13434920', 'Duplicate SVM name "svm1".', 'name'),
    },
    {
      what: 'deleting an SVM that holds things',
      method: 'DELETE',
      path: `/api/svm/svms/${svm1.uuid}`,
      status: 400,
      error: err('13434916', 'SVM "svm1" cannot be deleted while it holds 2 volume(s), 1 igroup(s), 1 LIF(s), 1 iSCSI service.', 'uuid'),
    },
    {
      what: 'svm.name and svm.uuid naming two SVMs',
      method: 'POST',
      path: S,
      body: { svm: { name: 'svm3', uuid: svm2.uuid } },
      status: 400,
      error: err('262185', '"svm3" is an invalid value for field "svm.name" (<string>)', 'svm.name'),
    },
    {
      what: 'a non-boolean enabled',
      method: 'POST',
      path: S,
      body: { svm: { name: 'svm3' }, enabled: 'yes' },
      status: 400,
      error: err('262185', '"yes" is an invalid value for field "enabled" (<boolean>)', 'enabled'),
    },
    {
      what: 'a target name in POST',
      method: 'POST',
      path: S,
      body: { svm: { name: 'svm3' }, target: { name: 'iqn.2000-01.com.example:t' } },
      status: 400,
      error: err('262186', 'Field "target.name" cannot be set in this operation.', 'target.name'),
    },
    {
      what: 'an iSCSI service for a missing SVM',
      method: 'POST',
      path: S,
      body: { svm: { name: 'nosuch' } },
      status: 404,
      error: err('2621462', 'SVM "nosuch" does not exist.', 'svm.name'),
    },
    {
      what: 'an iSCSI service for a missing SVM uuid',
      method: 'POST',
      path: S,
      body: { svm: { uuid: NO_SVM } },
      status: 404,
      error: err('2621462', `SVM "${NO_SVM}" does not exist.`, 'svm.uuid'),
    },
    {
      what: 'an alias with a space',
      method: 'PATCH',
      path: `${S}/${svm1.uuid}`,
      body: { target: { alias: 'has space' } },
      status: 400,
      error: err('262185', 'A target alias has 1 to 128 printable characters and no space.', 'target.alias'),
    },
    {
      what: 'an alias of 129 characters',
      method: 'PATCH',
      path: `${S}/${svm1.uuid}`,
      body: { target: { alias: tooLong } },
      status: 400,
      error: err('262185', 'A target alias has 1 to 128 printable characters and no space.', 'target.alias'),
    },
    {
      what: 'moving a service to another SVM by name',
      method: 'PATCH',
      path: `${S}/${svm1.uuid}`,
      body: { svm: { name: 'svm2' } },
      status: 400,
      error: err('262186', 'Field "svm.name" cannot be set in this operation.', 'svm.name'),
    },
    {
      what: 'moving a service to another SVM by uuid',
      method: 'PATCH',
      path: `${S}/${svm1.uuid}`,
      body: { svm: { uuid: svm2.uuid } },
      status: 400,
      error: err('262186', 'Field "svm.uuid" cannot be set in this operation.', 'svm.uuid'),
    },
    {
      what: 'renaming the target',
      method: 'PATCH',
      path: `${S}/${svm1.uuid}`,
      body: { target: { name: target2 } },
      status: 400,
      error: err('262186', 'Field "target.name" cannot be set in this operation: it is changed with the ONTAP command line only.', 'target.name'),
    },
    {
      what: 'an unknown query parameter',
      method: 'GET',
      path: '/api/svm/svms?colour=red',
      status: 400,
      error: err('262179', 'Unexpected argument "colour".', 'colour'),
    },
    {
      what: 'an unknown name in fields',
      method: 'GET',
      path: `${S}?fields=bogus`,
      status: 400,
      error: err('262179', 'Unexpected argument "bogus".', 'fields'),
    },
    {
      what: 'an unknown name in order_by',
      method: 'GET',
      path: `${S}?order_by=bogus`,
      status: 400,
      error: err('262179', 'Unexpected argument "bogus".', 'order_by'),
    },
    {
      what: 'max_records of 0',
      method: 'GET',
      path: `${S}?max_records=0`,
      status: 400,
      error: err('262185', '"0" is an invalid value for field "max_records" (<integer>)', 'max_records'),
    },
    {
      what: 'max_records not a number',
      method: 'GET',
      path: `${S}?max_records=ten`,
      status: 400,
      error: err('262185', '"ten" is an invalid value for field "max_records" (<integer>)', 'max_records'),
    },
    {
      what: 'return_records not a boolean',
      method: 'GET',
      path: `${S}?return_records=maybe`,
      status: 400,
      error: err('262185', '"maybe" is an invalid value for field "return_records" (<boolean>)', 'return_records'),
    },
    {
      what: 'a volume without a size',
      method: 'POST',
      path: '/api/storage/volumes',
      body: { ...vol('vol3'), size: undefined },
      status: 400,
      error: err('262197', 'Missing value for required field "size".', 'size'),
    },
    {
      what: 'a volume size of the wrong type',
      method: 'POST',
      path: '/api/storage/volumes',
      body: { ...vol('vol3'), size: 'big' },
      status: 400,
      error: err('262185', '"big" is an invalid value for field "size" (<integer>)', 'size'),
    },
    {
      what: 'a missing volume',
      method: 'GET',
      path: `/api/storage/volumes/${NO_SVM}`,
      status: 404,
      error: err('917927', `Volume with UUID "${NO_SVM}" was not found.`, 'uuid'),
    },
    {
      what: 'deleting a volume that holds a LUN',
      method: 'DELETE',
      path: `/api/storage/volumes/${vol1}`,
      status: 400,
      error: err('917536', 'Volume "vol1" holds 1 LUN(s) (/vol/vol1/lun1); delete them first.', 'uuid'),
    },
    {
      what: 'a LUN path that exists',
      method: 'POST',
      path: '/api/storage/luns',
      body: lunBody,
      status: 400,
      error: err('5374242', 'A LUN with path "/vol/vol1/lun1" already exists.', 'name'),
    },
    {
      what: 'a LUN in a missing volume',
      method: 'POST',
      path: '/api/storage/luns',
      body: { ...lunBody, name: '/vol/nope/lun1' },
      status: 404,
      error: err('917927', 'Volume "nope" does not exist in the SVM.', 'location.volume.name'),
    },
    {
      what: 'a LUN without os_type',
      method: 'POST',
      path: '/api/storage/luns',
      body: { ...lunBody, name: '/vol/vol2/lun2', os_type: undefined },
      status: 400,
      error: err('262197', 'Missing value for required field "os_type".', 'os_type'),
    },
    {
      what: 'shrinking a LUN',
      method: 'PATCH',
      path: `/api/storage/luns/${lunUuid}`,
      body: { space: { size: 8388608 } },
      status: 400,
      error: err('262185', 'Shrinking is not supported: the file holds 16777216 bytes.', 'space.size'),
    },
    {
      what: 'deleting a mapped LUN',
      method: 'DELETE',
      path: `/api/storage/luns/${lunUuid}`,
      status: 400,
      error: err('1254197', 'LUN "/vol/vol1/lun1" is mapped to 1 igroup(s); unmap it first or set allow_delete_while_mapped.', 'uuid'),
    },
    {
      what: 'a bad name in LUN fields',
      method: 'GET',
      path: '/api/storage/luns?fields=nope',
      status: 400,
      error: err('262179', 'Unexpected argument "nope".', 'fields'),
    },
    {
      what: 'a duplicate igroup name',
      method: 'POST',
      path: '/api/protocols/san/igroups',
      body: { ...igBody, initiators: undefined },
      status: 400,
      error: err('5374023', 'An igroup named "ig1" already exists in SVM "svm1".', 'name'),
    },
    {
      what: 'a bad initiator name',
      method: 'POST',
      path: '/api/protocols/san/igroups',
      body: { ...igBody, name: 'ig2', initiators: [{ name: 'not an iqn' }] },
      status: 400,
      error: err('5374039', '"not an iqn" is not an iSCSI name (iqn., eui. or naa.).', 'initiators.name'),
    },
    {
      what: 'an igroup of an unknown protocol',
      method: 'POST',
      path: '/api/protocols/san/igroups',
      body: { ...igBody, name: 'ig2', protocol: 'nvme' },
      status: 400,
      error: err('262185', '"nvme" is an invalid value for field "protocol" (<enum>)', 'protocol'),
    },
    {
      what: 'deleting a mapped igroup',
      method: 'DELETE',
      path: `/api/protocols/san/igroups/${igUuid}`,
      status: 400,
      error: err('1254213', 'Cannot delete: igroup "ig1" has 1 LUN map(s); set allow_delete_while_mapped to proceed.', 'uuid'),
    },
    {
      what: 'a LUN map that exists',
      method: 'POST',
      path: '/api/protocols/san/lun-maps',
      body: mapBody,
      status: 400,
      error: err('1254207', 'The LUN is already mapped to the igroup.'),
    },
    {
      what: 'a LUN map of a missing igroup',
      method: 'POST',
      path: '/api/protocols/san/lun-maps',
      body: { ...mapBody, igroup: { name: 'nope' } },
      status: 400,
      error: err('4', 'Igroup "nope" does not exist in SVM "svm1".', 'igroup.name'),
    },
    {
      what: 'deleting no such LUN map',
      method: 'DELETE',
      path: `/api/protocols/san/lun-maps/${lunUuid}/${NO_SVM}`,
      status: 404,
      error: err('5374922', 'The LUN map does not exist.', 'lun.uuid'),
    },
    {
      what: 'an unknown parameter on a LUN map DELETE',
      method: 'DELETE',
      path: `/api/protocols/san/lun-maps/${lunUuid}/${igUuid}?force=true`,
      status: 400,
      error: err('262179', 'Unexpected argument "force".', 'force'),
    },
    {
      what: 'a NAS service policy on a LIF',
      method: 'POST',
      path: '/api/network/ip/interfaces',
      body: { ...lif2, service_policy: { name: 'default-data-files' } },
      status: 400,
      error: err(
        '262185',
        'sanbox serves iSCSI data LIFs only: service policy "default-data-files" is not one of default-data-iscsi, default-data-blocks.',
        'service_policy',
      ),
    },
    {
      what: 'a netmask that is no mask',
      method: 'POST',
      path: '/api/network/ip/interfaces',
      body: { ...lif2, ip: { address: '127.0.0.6', netmask: '255.0.255.0' } },
      status: 400,
      error: err('262185', '"255.0.255.0" is an invalid value for field "ip.netmask" (<netmask>)', 'ip.netmask'),
    },
    {
      what: 'a LIF without an address',
      method: 'POST',
      path: '/api/network/ip/interfaces',
      body: { ...lif2, ip: { netmask: '24' } },
      status: 400,
      error: err('262197', 'Missing value for required field "ip.address".', 'ip.address'),
    },
    {
      what: 'a duplicate LIF name',
      method: 'POST',
      path: '/api/network/ip/interfaces',
      body: { ...lif2, name: 'lif1' },
      status: 400,
      error: err('1', 'Duplicate LIF name "lif1" in SVM "svm1".', 'name'),
    },
    {
      what: 'a missing LIF',
      method: 'PATCH',
      path: `/api/network/ip/interfaces/${NO_SVM}`,
      body: { enabled: false },
      status: 404,
      error: err('4', "entry doesn't exist", 'uuid'),
    },
  ];
  assert.ok(bad.length >= 20);

  const before = await snapshot();
  for (const b of bad) {
    const r = await call(b.method, b.path, b.body);
    assert.equal(r.status, b.status, `${b.what}: ${JSON.stringify(r.body)}`);
    assert.deepEqual(r.body, b.error, b.what);
    assert.deepEqual(await snapshot(), before, `${b.what}: changed nothing`);
  }
});

test('an X-Dot-SVM-Name scope hides the other SVMs objects by uuid too', async () => {
  const a = await createSvm('scopea');
  const b = await createSvm('scopeb');
  const made = await call('POST', '/api/storage/volumes', {
    name: 'scoped_vol',
    svm: { name: a.name },
    aggregates: [{ name: 'default' }],
    size: 20 * 1024 * 1024,
  });
  assert.equal(made.status, 202, JSON.stringify(made.body));
  const vol = made.location!.replace('/api/storage/volumes/', '');
  const own = await call('GET', `/api/storage/volumes/${vol}?fields=name`, undefined, { 'X-Dot-SVM-Name': a.name });
  assert.deepEqual([own.status, own.body.name], [200, 'scoped_vol']);
  const other = await call('GET', `/api/storage/volumes/${vol}`, undefined, { 'X-Dot-SVM-Name': b.name });
  assert.equal(other.status, 404);
  assert.deepEqual(other.body, err('917927', `Volume with UUID "${vol}" was not found.`, 'uuid'));
  const del = await call('DELETE', `/api/storage/volumes/${vol}`, undefined, { 'X-Dot-SVM-Name': b.name });
  assert.equal(del.status, 404);
  const listed = await call('GET', '/api/storage/volumes', undefined, { 'X-Dot-SVM-Name': b.name });
  assert.deepEqual(listed.body.records, []);
  assert.equal((await call('DELETE', `/api/storage/volumes/${vol}`)).status, 202);
  for (const s of [a, b]) assert.equal((await call('DELETE', `/api/svm/svms/${s.uuid}`)).status, 202);
});

test('an ONTAP job is one of /api/jobs (kind api.request) and outlives a restart', async () => {
  const r = await call('POST', '/api/svm/svms', { name: 'jobs_svm' });
  assert.equal(r.status, 202);
  const jobUuid = r.body.job.uuid;
  const listed = (await sb.api('GET', '/api/jobs')).body.jobs as Array<{ uuid: string; kind: string; state: string; params: { description: string } }>;
  const mine = listed.find((j) => j.uuid === jobUuid);
  assert.ok(mine, 'the job is listed at /api/jobs');
  assert.deepEqual([mine.kind, mine.state, mine.params.description], ['api.request', 'succeeded', `POST ${r.location}`]);
  // A finished job cannot be cancelled, in sanbox's shape.
  const cancel = await sb.api('POST', `/api/jobs/${jobUuid}/cancel`);
  assert.equal(cancel.status, 409);
  await sb.restart();
  const polled = await call('GET', `/api/cluster/jobs/${jobUuid}?fields=state,description`);
  assert.equal(polled.status, 200);
  assert.deepEqual([polled.body.state, polled.body.description], ['success', `POST ${r.location}`]);
  const all = await call('GET', `/api/cluster/jobs?uuid=${jobUuid}`);
  assert.equal(all.body.num_records, 1);
});

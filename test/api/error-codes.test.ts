// Every domain error code through every dialect that exists, as fastify's own
// test/internals/errors.test.js walks its registry: each code has a status in each
// dialect's table, renders in the dialect's shape with its words, and is raised somewhere.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { ALL_ERROR_CODES, type ErrorCode, type ParamsOf, kindOf } from '../../src/domain/error-codes.js';
import { DomainError } from '../../src/domain/errors.js';
import { freenasErrorHandler, type FreenasRequest } from '../../src/api/freenas/error-handler.js';
import { FREENAS_STATUS, freenasMessage } from '../../src/api/freenas/messages.js';
import { SANBOX_STATUS, sendSanboxError } from '../../src/api/sanbox-errors.js';
import { SCODES, chineseMessage } from '../../src/api/pools/scodes.js';
import { POOL_STATUS, poolErrorHandler } from '../../src/api/pools/errors.js';

const target = { kind: 'target', id: 1, name: 'disk0' } as const;
const group = { kind: 'target-group', id: 2, targetId: 1, targetName: 'disk0' } as const;
const lun = { kind: 'lun', id: 5, targetId: 1, lun: 0 } as const;

/** Parameters for each code: adding a code does not compile until it has an example here. */
const EXAMPLES: { [C in ErrorCode]: ParamsOf<C> } = {
  'value.required': {},
  'value.not-integer': {},
  'value.below-minimum': { min: 1 },
  'value.above-maximum': { max: 255 },
  'value.not-a-choice': { value: '1000', choices: ['512', '4096'] },
  'value.too-long': { maxLength: 120, length: 121 },
  'value.not-boolean': {},
  'value.control-characters': {},
  'value.control-characters-in-list': {},
  'value.not-ip-address': {},
  'value.not-uuid': {},
  'value.not-object': {},
  'entity.not-found': { entity: 'portal-group' },
  'reference.missing': { entity: 'initiator-group', id: 7 },
  'reference.in-use': { entity: 'portal-group', id: 1, referrers: [target, group] },
  'name.taken': { entity: 'target', name: 'disk0' },
  'tag.taken': { entity: 'portal-group', tag: 3 },
  'iscsi-name.invalid': {},
  'iscsi-name.characters': {},
  'iscsi-name.too-long': { max: 223 },
  'serial.invalid': {},
  'portal.address-invalid': { address: '1.2.3.4:0' },
  'portal.address-repeated': { address: '127.0.0.1:3260' },
  'portal.address-taken': { address: '127.0.0.1:3260', owner: 2 },
  'initiators.all-combined': {},
  'initiators.not-iscsi-name': { name: 'host1' },
  'networks.all-combined': {},
  'networks.invalid': { network: '10.0.0.0/33' },
  'chap.secret-too-long': { max: 255 },
  'chap.peer-secret-missing': {},
  'chap.peer-secret-same': {},
  'chap.group-needed': { method: 'CHAP' },
  'chap.group-tag-invalid': {},
  'chap.group-without-peer': { tag: 4 },
  'target.portal-in-group': { portalGroupId: 1, targetGroupId: 2 },
  'target-group.portal-is-targets': { targetName: 'disk0', targetId: 1, portalGroupId: 1 },
  'target-group.portal-repeated': { targetName: 'disk0', targetId: 1, portalGroupId: 1, targetGroupId: 2 },
  'lun.taken': { lun: 0, targetId: 1 },
  'lun.none-free': { targetId: 1, max: 1023 },
  'lun.extent-mapped': { extentId: 3, targetId: 1, lun: 0 },
  'extent.size-invalid': {},
  'extent.zvol-unsupported': {},
  'extent.zvol-path': {},
  'extent.zero-needs-size': {},
  'extent.file-missing': { path: '/mnt/tank/a.img' },
  'extent.file-needs-size': {},
  'extent.shrink-refused': { size: 1048576 },
  'extent.path-taken': { owner: 'a' },
  'extent.naa-invalid': {},
  'extent.naa-taken': {},
  'path.not-absolute': {},
  'path.parent-reference': {},
  'path.is-pool': {},
  'path.outside-pools': { pools: ['/mnt/tank'] },
  'path.escapes-pool': {},
  'path.not-regular-file': {},
  'path.directory-missing': { directory: '/mnt/tank/none' },
  'pool.unavailable': { pool: 'tank' },
  'file.create-failed': { reason: 'EACCES' },
  'file.size-failed': { reason: 'EIO' },
  'file.grow-failed': { reason: 'ENOSPC' },
  'device.missing': { path: '/dev/sdz' },
  'device.not-block': { path: '/dev/null' },
  'extent.no-room-to-grow': { pool: 'array1', size: 16777216, room: 8388608 },
  'extent.pool-change-refused': {},
  'extent.range-zero-failed': { pool: 'array1', reason: 'iSCSI iqn.2026-11.com.example:array LUN 1 at 10.0.0.9:3260 unreachable' },
  'extent.image-name-invalid': { name: 'a/b' },
  'extent.image-failed': { pool: 'ceph1', reason: 'ETIMEDOUT: creating the image: Connection timed out' },
  'globals.basename-invalid': {},
  'globals.first-burst-too-large': {},
  'globals.networks-invalid': {},
  'tenant.move-refused': {},
  'tenant.default-kept': {},
  'tenant.not-empty': { tenant: 'blue', holds: ['1 targets', '2 extents'] },
  'target.served-name-taken': { id: 4, tenantId: 2, served: 'iqn.2011-03.org.example.istgt:t2:disk0' },
  'list.filter-unknown': { field: 'secret' },
  'list.filter-value': { field: 'tag', kind: 'a whole number' },
  'list.sort-unknown': { field: 'secret' },
  'list.marker-with-offset': {},
  'list.marker-unknown': { uuid: 'fab210d2-b9b8-4b0b-bd61-50812ce3d4d0' },
  'site.cluster-unknown': { uuid: 'a97eb422-f42b-4b85-8556-725f152661f0' },
  'site.zone-unknown': { uuid: '3e2f589c-d5d7-4807-9c03-238fe967cdbd' },
  'tenant.unknown': { uuid: 'fab210d2-b9b8-4b0b-bd61-50812ce3d4d0' },
  'pool.name-invalid': {},
  'pool.type-unsupported': { type: 'nfs', reason: 'the kernel has no nfs file system' },
  'pool.source-not-directory': { source: '/srv/none' },
  'pool.source-overlaps': { pool: 'tank' },
  'pool.host-invalid': { host: 'host1' },
  'pool.threshold-invalid': {},
  'pool.over-allocated': { pool: 'tank', allocated: 3145728, capacity: 2097152, threshold: '1.0' },
  'pool.configured': { pool: 'default' },
  'pool.name-mismatch': { name: 'nfs_test' },
  'pool.offline': { pool: 'tank', reason: '/srv/tank is missing (ENOENT)' },
  'pool.source-not-iqn': {},
  'pool.source-lun-invalid': { max: 16383 },
  'pool.array-lun-taken': { pool: 'array1' },
  'pool.array-unreachable': { address: '10.0.0.9:3260', reason: 'connect ECONNREFUSED 10.0.0.9:3260' },
  'pool.array-auth-failed': { reason: 'authentication failed (login status 0x0201)' },
  'pool.array-target-unknown': { target: 'iqn.2026-11.com.example:array', reason: 'no such target (login status 0x0203)' },
  'pool.array-lun-unusable': { lun: 0, reason: 'READ CAPACITY failed' },
  'pool.no-free-range': { pool: 'array1', size: 16777216, largest: 8388608 },
  'pool.source-not-device': { source: '/srv/none' },
  'pool.device-taken': { device: '/dev/sdb', pool: 'disk1' },
  'pool.device-in-use': { device: '/dev/sdb', extent: 'raw1' },
  'pool.device-mounted': { device: '/dev/sdb', mountPoint: '/srv' },
  'pool.device-unusable': { device: '/dev/sdb', reason: 'EACCES' },
  'pool.rbd-source-invalid': { source: 'rbd/a/b' },
  'pool.rbd-unreachable': { address: '10.0.0.5:6789', reason: 'ETIMEDOUT: connecting to the cluster: Connection timed out' },
  'pool.rbd-taken': { pool: 'ceph1' },
  'iscsi-service.exists': { tenant: 'svm1' },
  'iscsi-service.missing': { tenant: 'svm1' },
  'iscsi-service.enabled': {},
  'iscsi-service.alias-invalid': {},
  'volume.name-invalid': {},
  'uuid.taken': { entity: 'node', uuid: '1be26c0b-03f2-4d2e-ae87-c02d7f33c123' },
  'node.name-invalid': { name: 'bad name' },
  'node.powered-on': { action: 'volume connector update', node: '1be26c0b-03f2-4d2e-ae87-c02d7f33c123', state: 'power on' },
  'volume-connector.exists': { type: 'iqn', connectorId: 'iqn.2017-07.org.openstack:01:d9a51732c3f' },
  'volume-target.boot-index-taken': { bootIndex: 0 },
  'job.source-not-absolute': {},
  'job.source-unreadable': { path: '/srv/images/vm1.qcow2', reason: 'ENOENT' },
  'job.format-unsupported': { format: 'vmdk' },
  'job.format-mismatch': { format: 'qcow2', detected: 'raw' },
  'job.path-exists': { path: '/mnt/default/vm1.img' },
  'job.target-pending': { uuid: '1be26c0b-03f2-4d2e-ae87-c02d7f33c123' },
  'job.pool-carved': { pool: 'array1' },
  'job.clone-unsupported': { kind: 'a Device extent' },
  'job.finished': { state: 'succeeded' },
  'initiators.duplicate': { name: 'iqn.2026-01.org.example:host1' },
  'volume.full': { volume: 'vol1', freeBytes: 0, neededBytes: 1048576 },
  'volume.smaller-than-contents': { volume: 'vol1', usedBytes: 1048576 },
  'lun-map.exists': { extentId: 1, initiatorGroupId: 2 },
  'lun-map.number-taken': { lun: 0, initiatorGroupId: 2 },
};

/** FreeNAS's own words where they differ from the domain's (Django's wording, FreeNAS's names). */
const FREENAS_WORDS: Partial<Record<ErrorCode, string>> = {
  'value.required': 'This field is required.',
  'value.not-integer': 'Enter a whole number.',
  'value.below-minimum': 'Ensure this value is greater than or equal to 1.',
  'value.above-maximum': 'Ensure this value is less than or equal to 255.',
  'value.not-a-choice': 'Select a valid choice. 1000 is not one of the available choices.',
  'value.too-long': 'Ensure this value has at most 120 characters (it has 121).',
  'value.not-boolean': 'Enter a boolean.',
  'value.not-ip-address': 'Enter a valid IPv4 or IPv6 address.',
  'entity.not-found': 'No such portal.',
  'reference.missing': 'Authorized initiator 7 does not exist.',
  'reference.in-use': 'Portal 1 is used by target "disk0" (id 1), target group 2 (target "disk0", id 1).',
  'name.taken': 'Target with this name already exists.',
  'portal.address-taken': '127.0.0.1:3260 is already used by portal 2.',
  'target.portal-in-group': "Portal 1 is already this target's in target group 2.",
  'target-group.portal-is-targets': 'Target "disk0" (id 1) already uses portal 1.',
  'target-group.portal-repeated': 'Target "disk0" (id 1) already has portal 1 in target group 2.',
};

const FREENAS_BY_KIND = { invalid: 400, conflict: 400, referenced: 400, not_found: 404 };
const SANBOX_BY_KIND = { invalid: 400, conflict: 409, referenced: 409, not_found: 404 };

function example(code: ErrorCode): DomainError {
  return new DomainError(code, 'name', EXAMPLES[code] as never);
}

async function freenasApp(): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(async (freenas) => {
    freenas.decorateRequest('freenasFields', null);
    freenas.setErrorHandler(freenasErrorHandler);
    freenas.get('/fail/:code', async (request) => {
      (request as FreenasRequest).freenasFields = { iscsi_target_name: { schema: {}, domain: 'name' } };
      throw example((request.params as { code: ErrorCode }).code);
    });
  });
  return app;
}

async function sanboxApp(): Promise<FastifyInstance> {
  const app = Fastify();
  app.get('/fail/:code', async (request, reply) => sendSanboxError(reply, example((request.params as { code: ErrorCode }).code)));
  return app;
}

test('every code has a kind, plain words that use its parameters, and a status in every dialect', () => {
  assert.ok(ALL_ERROR_CODES.length > 50);
  for (const code of ALL_ERROR_CODES) {
    assert.match(code, /^[a-z0-9-]+\.[a-z0-9-]+$/, code);
    const e = example(code);
    assert.equal(e.code, code);
    assert.equal(e.kind, kindOf(code));
    assert.match(e.message, /^[A-Za-z0-9"/].*[.)]$/, `${code}: a sentence`);
    assert.doesNotMatch(e.message, /undefined|\[object|NaN/, code);
    assert.equal(FREENAS_STATUS[code], FREENAS_BY_KIND[e.kind], code);
    assert.equal(SANBOX_STATUS[code], SANBOX_BY_KIND[e.kind], code);
  }
});

test("FreeNAS renders every code in Django's shape with its own words", async () => {
  const app = await freenasApp();
  try {
    for (const code of ALL_ERROR_CODES) {
      const r = await app.inject({ method: 'GET', url: `/fail/${code}` });
      const words = FREENAS_WORDS[code] ?? example(code).message;
      assert.equal(r.statusCode, FREENAS_BY_KIND[kindOf(code)], code);
      if (kindOf(code) === 'not_found') assert.deepEqual(r.json(), { error_message: words }, code);
      else assert.deepEqual(r.json(), { iscsi_target_name: [words] }, code);
    }
  } finally {
    await app.close();
  }
});

test('FreeNAS names LUN mappings as targettoextent objects when they hold an extent', () => {
  const e = new DomainError('reference.in-use', '__all__', { entity: 'extent', id: 3, referrers: [lun] });
  assert.equal(e.message, 'Extent 3 is used by target 1 as LUN 0 (mapping 5).');
  assert.equal(freenasMessage(e), 'Extent 3 is mapped to target 1 as LUN 0 (targettoextent 5).');
});

test("sanbox's own routes render every code as {error: {code, field, message, params}}", async () => {
  const app = await sanboxApp();
  try {
    for (const code of ALL_ERROR_CODES) {
      const r = await app.inject({ method: 'GET', url: `/fail/${code}` });
      assert.equal(r.statusCode, SANBOX_BY_KIND[kindOf(code)], code);
      assert.deepEqual(r.json(), { error: { code, field: 'name', message: example(code).message, params: EXAMPLES[code] } }, code);
    }
  } finally {
    await app.close();
  }
});

test('the share-pool dialect gives every code its own non-zero scode and Chinese words', () => {
  const seen = new Map<number, ErrorCode>();
  for (const code of ALL_ERROR_CODES) {
    const scode = SCODES[code];
    assert.ok(Number.isInteger(scode) && scode > 0, code);
    assert.equal(seen.get(scode), undefined, `${code} and ${seen.get(scode)} share scode ${scode}`);
    seen.set(scode, code);
    const cn = chineseMessage(example(code));
    assert.match(cn, /。$/, code);
    assert.doesNotMatch(cn, /undefined|\[object|NaN/, code);
  }
});

test('the share-pool dialect renders every code in its envelope: scode, desc, both languages, its status', async () => {
  const app = Fastify();
  await app.register(async (pools) => {
    pools.setErrorHandler(poolErrorHandler);
    pools.get('/fail/:code', async (request) => {
      throw example((request.params as { code: ErrorCode }).code);
    });
  });
  const byKind = { invalid: 400, conflict: 409, referenced: 409, not_found: 404 };
  try {
    for (const code of ALL_ERROR_CODES) {
      const r = await app.inject({ method: 'GET', url: `/fail/${code}` });
      assert.equal(r.statusCode, byKind[kindOf(code)], code);
      assert.equal(POOL_STATUS[code], byKind[kindOf(code)], code);
      const e = example(code);
      assert.deepEqual(
        r.json(),
        { scode: SCODES[code], desc: `${code}: pool_name`, message: e.message, message_cn: chineseMessage(e), stack: null, data: null },
        code,
      );
    }
  } finally {
    await app.close();
  }
});

test('every code is raised somewhere in src/ (no code in the registry is dead)', () => {
  const root = path.resolve(import.meta.dirname, '../../../src');
  const sources: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('error-codes.ts')) sources.push(fs.readFileSync(p, 'utf8'));
    }
  };
  walk(root);
  const all = sources.join('\n');
  const raised = (code: ErrorCode) => all.includes(`fail('${code}'`) || (code === 'entity.not-found' && all.includes('notFound('));
  assert.deepEqual(
    ALL_ERROR_CODES.filter((c) => !raised(c)),
    [],
  );
});

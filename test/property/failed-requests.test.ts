/**
 * A request that fails leaves nothing behind: random invalid bodies (wrong types, missing
 * and unknown fields, bad sizes, paths and names) sent to every dialect's create
 * endpoints on the real app are answered below 500, and each one refused leaves the
 * SQLite configuration (every table's rows) and the pool directory (names and sizes)
 * exactly as before.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { FREENAS, startSanbox, tempDir, type TestSanbox } from '../support/sanbox.js';

let sb: TestSanbox;
let pool: string;

before(async () => {
  pool = tempDir();
  fs.writeFileSync(path.join(pool, 'existing.img'), Buffer.alloc(4096));
  sb = await startSanbox({ pools: { tank: pool }, env: { SANBOX_HTTPS: 'off' } });
  // Something to refer to, so references in random bodies sometimes resolve.
  assert.equal((await sb.api('POST', `${FREENAS}/portal/`, { iscsi_target_portal_ips: ['0.0.0.0:3260'] })).status, 201);
});

after(async () => {
  await sb.stop();
  fs.rmSync(pool, { recursive: true, force: true });
});

function fingerprint(): string {
  const store = sb.sanbox.services.mutations.store;
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, e.name);
      files.push(`${full} ${fs.lstatSync(full).size}`);
      if (e.isDirectory()) walk(full);
    }
  };
  for (const p of store.listPools()) walk(p.path);
  return JSON.stringify({ rows: store.snapshot(), files });
}

const IRONIC = { 'x-openstack-ironic-api-version': '1.32' };
const routes: { url: string; fields: string[]; headers?: Record<string, string> }[] = [
  { url: `${FREENAS}/extent/`, fields: ['iscsi_target_extent_type', 'iscsi_target_extent_name', 'iscsi_target_extent_filesize', 'iscsi_target_extent_path'] },
  { url: `${FREENAS}/target/`, fields: ['iscsi_target_name', 'iscsi_target_portalgroup', 'iscsi_target_initiatorgroup', 'iscsi_target_authtype'] },
  { url: `${FREENAS}/portal/`, fields: ['iscsi_target_portal_ips', 'iscsi_target_portal_comment'] },
  { url: `${FREENAS}/authorizedinitiator/`, fields: ['iscsi_target_initiator_initiators', 'iscsi_target_initiator_auth_network'] },
  { url: '/v1/pool/share/create', fields: ['pool_name', 'pool_type', 'zone_uuid', 'ip', 'source', 'limit_host', 'avail_host'] },
  { url: '/api/storage/volumes', fields: ['name', 'svm', 'svm.name', 'size', 'aggregates'] },
  { url: '/api/storage/luns', fields: ['name', 'svm', 'os_type', 'space', 'space.size'] },
  { url: '/api/protocols/san/igroups', fields: ['name', 'svm', 'protocol', 'initiators'] },
  { url: '/v9/storage/iscsi-targets', fields: ['alias', 'virtualServerId', 'comment', 'accessConfig'] },
  { url: '/v9/storage/iscsi-logical-units', fields: ['name', 'virtualServerId', 'size', 'path'] },
  { url: '/v1/nodes', fields: ['driver', 'name', 'uuid', 'properties'], headers: IRONIC },
  { url: '/v1/volume/targets', fields: ['node_uuid', 'volume_type', 'boot_index', 'volume_id'], headers: IRONIC },
];

// Values that are almost right: wrong types, edge numbers, paths out of the pool, names with junk.
const value = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    '',
    ' ',
    '../..',
    '/mnt/tank/../../etc/passwd',
    '/mnt/tank/existing.img',
    '-1',
    '1e309',
    '10XB',
    'ALL',
    '0.0.0.0:99999',
    'iqn.',
    '\u0000',
    'a'.repeat(300),
  ),
  fc.constantFrom(-1, 0, 2 ** 53, 1.5, Number.MAX_SAFE_INTEGER, true, null),
);

test('refused creates across the dialects change neither the store nor the pool', async () => {
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: routes.length - 1 }),
      fc
        .integer({ min: 0, max: 1000 })
        .chain((seed) => fc.dictionary(fc.oneof(fc.constantFrom(...routes[seed % routes.length]!.fields), fc.string()), value, { maxKeys: 6 })),
      fc.oneof(fc.constant(null), fc.string(), fc.constantFrom('{', '[]', 'null', '"x"', '{"a":')),
      async (i, fields, raw) => {
        const route = routes[i]!;
        const before = fingerprint();
        const res = await sb.sanbox.http.inject({
          method: 'POST',
          url: route.url,
          headers: { ...sb.authHeaders, 'content-type': 'application/json', ...route.headers },
          payload: raw ?? JSON.stringify(fields),
        });
        assert.ok(res.statusCode < 500, `${route.url} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
        if (res.statusCode >= 400) {
          refused++;
          assert.equal(fingerprint(), before, `a refused POST ${route.url} (${res.statusCode}) changed the store or the pool`);
        }
      },
    ),
    { numRuns: 150 },
  );
  assert.ok(refused > 100, `most random bodies are refused (${refused} of 150)`);
});

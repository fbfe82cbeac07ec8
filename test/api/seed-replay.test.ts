/**
 * Replays every request/response example of the FreeNAS v1.0 iSCSI seed against a real
 * sanbox over a socket, and compares status, Vary header and body. The seed lists each
 * resource's examples as list, create, update, delete; they are replayed in an order
 * where each has the state it shows (a list after its create, deletes last), on a
 * fresh server so ids are the seed's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FREENAS, startSanbox, tempDir, type TestSanbox } from '../support/sanbox.js';
import { readSeedExamples, type SeedExample } from './seed-examples.js';

const examples = readSeedExamples();
const byKey = new Map(examples.map((e) => [`${e.method} ${e.path}`, e]));

const R = (resource: string, method: string, item = false) => `${method} ${FREENAS}/${resource}/${item ? '1/' : ''}`;

/** The replay order: creates before lists, dependencies first, deletes in reverse. */
const PLAN: (string | { setup: string })[] = [
  R('globalconfiguration', 'GET'),
  R('globalconfiguration', 'PUT'),
  R('portal', 'POST'),
  R('portal', 'GET'),
  R('authorizedinitiator', 'POST'),
  R('authorizedinitiator', 'GET'),
  R('authorizedinitiator', 'PUT', true),
  R('authcredential', 'POST'),
  R('authcredential', 'GET'),
  R('authcredential', 'PUT', true),
  R('authcredential', 'DELETE', true),
  R('extent', 'POST'),
  R('extent', 'GET'),
  R('extent', 'PUT', true),
  R('target', 'POST'),
  R('target', 'GET'),
  R('target', 'PUT', true),
  R('targettoextent', 'POST'),
  R('targettoextent', 'GET'),
  { setup: 'second extent, for the targettoextent update to point at' },
  R('targettoextent', 'PUT', true),
  R('targettoextent', 'DELETE', true),
  R('target', 'DELETE', true),
  R('extent', 'DELETE', true),
  R('authorizedinitiator', 'DELETE', true),
  R('portal', 'PUT', true),
  R('portal', 'DELETE', true),
];

let sb: TestSanbox;
let pool: string;

before(async () => {
  pool = tempDir();
  sb = await startSanbox({ pools: { tank: pool } });
});

after(async () => {
  await sb.stop();
  fs.rmSync(pool, { recursive: true, force: true });
});

test('the seed has examples for all seven resources, and the plan replays each exactly once', () => {
  assert.equal(examples.length, 26);
  const planned = PLAN.filter((p): p is string => typeof p === 'string');
  assert.deepEqual([...planned].sort(), [...byKey.keys()].sort());
});

test('every seed example, replayed against the running server, answers as the seed shows', async (t) => {
  for (const step of PLAN) {
    if (typeof step !== 'string') {
      const res = await sb.api('POST', `${FREENAS}/extent/`, {
        iscsi_target_extent_type: 'File',
        iscsi_target_extent_name: 'extent2',
        iscsi_target_extent_filesize: '1MB',
        iscsi_target_extent_path: '/mnt/tank/iscsi2',
      });
      assert.equal(res.status, 201, step.setup);
      assert.equal(res.body.id, 2);
      continue;
    }
    const example = byKey.get(step)!;
    await t.test(step, async () => replay(example));
  }
});

async function replay(example: SeedExample): Promise<void> {
  // The request goes out as the seed writes it: same body text, same Content-Type.
  const res = await sb.request(example.method, example.path, {
    raw: example.requestBody === '' ? undefined : example.requestBody,
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(res.status, example.status, `${example.method} ${example.path}: ${res.text}`);
  assert.equal(res.headers.get('vary'), example.responseHeaders.vary);
  if (example.responseBody === '') {
    assert.equal(res.text, '');
    return;
  }
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const expected = JSON.parse(example.responseBody);
  if (isPlaceholderList(expected)) {
    // The seed's targettoextent list shows `[ { } ]`: one mapping, fields not shown.
    assert.equal(res.body.length, 1);
    assert.deepEqual(res.body[0], { iscsi_target: 1, iscsi_extent: 1, id: 1 });
    return;
  }
  assert.deepEqual(res.body, expected);
}

function isPlaceholderList(value: unknown): boolean {
  return Array.isArray(value) && value.length === 1 && Object.keys(value[0] as object).length === 0;
}

test('the seed extent example made a sparse 20MB image inside the tank pool', () => {
  const stat = fs.statSync(path.join(pool, 'iscsi'));
  assert.equal(stat.size, 20 * 1024 * 1024);
  assert.ok(stat.blocks * 512 < stat.size, 'the image is sparse');
});

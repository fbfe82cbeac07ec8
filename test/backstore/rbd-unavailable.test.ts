/**
 * sanbox without Ceph: an rbd addon built as the stub (no librbd-dev at npm install)
 * loads and says why, and the share-pool API refuses rbd pools with that reason while
 * everything else runs. The stub is stood in for by a module with its two fields
 * (SANBOX_RBD_ADDON), so this runs whether or not this host has librbd.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HostStorage } from '../../src/backstore/host-storage.js';
import { rbdUnavailable } from '../../src/backstore/rbd.js';
import { startSanbox, type TestSanbox } from '../support/sanbox.js';

const REASON = 'sanbox_rbd was built without librbd (no <rbd/librbd.h> at npm install): install librbd-dev';
let dir: string;
let sb: TestSanbox;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-norbd-'));
  const stub = path.join(dir, 'sanbox_rbd.cjs');
  fs.writeFileSync(stub, `module.exports = { available: false, reason: ${JSON.stringify(REASON)} };\n`);
  process.env.SANBOX_RBD_ADDON = stub;
  sb = await startSanbox();
});

after(async () => {
  await sb?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the stub addon says what is missing, and the host storage names it for rbd pools', () => {
  assert.equal(rbdUnavailable(), REASON);
  assert.equal(new HostStorage(new Set(['disk', 'rbd'])).unsupported('rbd'), REASON);
  assert.match(new HostStorage().unsupported('rbd')!, /not served by this build/);
});

test('the share-pool API leaves rbd out of the supported types and refuses an rbd pool naming what the host lacks', async () => {
  const site = (await sb.api('GET', '/api/status')).body.site;
  const types = await sb.api('GET', `/v1/pool/share/pool_type/support?cluster_uuid=${site.clusterUuid}`);
  assert.equal(types.body.data.PoolTypes.includes('rbd'), false);
  const r = await sb.api('POST', '/v1/pool/share/create', {
    pool_name: 'ceph',
    pool_type: 6,
    zone_uuid: site.zoneUuid,
    ip: '127.0.0.1',
    port: '6789',
    source: 'rbd',
    username: 'sanbox',
    password: 'AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==',
    attr: { overAllocationThreshold: '1.0' },
    cluster_uuid: site.clusterUuid,
  });
  assert.equal(r.status, 400, JSON.stringify(r.body));
  assert.ok(r.body.message.includes(REASON), r.body.message);
});

/**
 * The server around the dialect: the data plane sees each change before the API answers,
 * /api/status shows live listener errors, /api/openapi.json documents the routes, and
 * HTTPS when a certificate and key are configured.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import type { ConfigSnapshot } from '../../src/domain/entities.js';
import type { LiveStatus } from '../../src/domain/ports.js';
import { FREENAS, TEST_ADMIN_PASSWORD, startSanbox, tempDir } from '../support/sanbox.js';

test('the applier gets every committed change before the client gets its answer', async () => {
  const applied: ConfigSnapshot[] = [];
  let release!: () => void;
  let gate: Promise<void> = Promise.resolve();
  const applier = {
    apply: async (s: ConfigSnapshot) => {
      await gate;
      applied.push(s);
    },
  };
  const sb = await startSanbox({ ports: { applier } });
  try {
    assert.equal(applied.length, 1, 'the stored configuration is applied at start');
    gate = new Promise((r) => (release = r));
    let answered = false;
    const pending = sb.api('POST', `${FREENAS}/portal/`, { iscsi_target_portal_ips: ['0.0.0.0:3260'] }).then((r) => {
      answered = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(answered, false, 'the API waits for the data plane');
    release();
    const res = await pending;
    assert.equal(res.status, 201);
    assert.equal(applied.length, 2);
    const uuid = applied[1]!.portalGroups[0]?.uuid;
    assert.deepEqual(applied[1]!.portalGroups, [{ id: 1, uuid, tenantId: 1, tag: 1, listen: ['0.0.0.0:3260'], comment: '', enabled: true }]);
    assert.equal(applied[1]!.pools.length, 1);
    const bad = await sb.api('POST', `${FREENAS}/portal/`, { iscsi_target_portal_ips: ['nope'] });
    assert.equal(bad.status, 400);
    assert.equal(applied.length, 2, 'a failed mutation applies nothing');
  } finally {
    await sb.stop();
  }
});

test('GET /api/status shows listener errors from the data plane; the FreeNAS object stays as the seed shows', async () => {
  const live: LiveStatus = {
    listeners: [{ address: '192.168.3.20:3260', portalGroupTag: 1, state: 'failed', error: 'EADDRNOTAVAIL' }],
    sessions: [],
    extents: [{ id: 1, name: 'e0', path: '/tank/e0', state: 'offline', missing: '/tank', error: 'ENOENT', since: '2026-12-01T09:00:00.000Z' }],
  };
  const sb = await startSanbox({ ports: { status: { status: () => live } } });
  try {
    const portal = await sb.api('POST', `${FREENAS}/portal/`, { iscsi_target_portal_ips: ['192.168.3.20:3260'] });
    assert.deepEqual(portal.body, { iscsi_target_portal_tag: 1, id: 1, iscsi_target_portal_ips: ['192.168.3.20:3260'], iscsi_target_portal_comment: '' });
    const status = await sb.api('GET', '/api/status');
    assert.equal(status.status, 200);
    const { site, tls, ...rest } = status.body;
    assert.deepEqual(rest, live);
    assert.equal(tls.fingerprintSha256, sb.sanbox.tlsFingerprint);
    assert.match(site.clusterUuid, /^[0-9a-f-]{36}$/);
    assert.deepEqual(
      site.tenants.map((t: { name: string }) => t.name),
      ['default'],
    );
  } finally {
    await sb.stop();
  }
});

test('/api/openapi.json is an OpenAPI 3 document of every FreeNAS route', async () => {
  const sb = await startSanbox();
  try {
    const res = await sb.api('GET', '/api/openapi.json');
    assert.equal(res.status, 200);
    assert.match(res.body.openapi, /^3\./);
    const paths = Object.keys(res.body.paths);
    for (const r of ['portal', 'authorizedinitiator', 'authcredential', 'target', 'extent', 'targettoextent']) {
      assert.ok(paths.includes(`${FREENAS}/${r}/`), r);
      assert.ok(paths.includes(`${FREENAS}/${r}/{id}/`), `${r} item`);
      assert.deepEqual(Object.keys(res.body.paths[`${FREENAS}/${r}/{id}/`]).sort(), ['delete', 'get', 'put']);
    }
    assert.ok(paths.includes(`${FREENAS}/globalconfiguration/`));
    assert.ok(paths.includes('/api/status'));
    const extentBody = res.body.paths[`${FREENAS}/extent/`].post.requestBody.content['application/json'].schema;
    assert.ok(extentBody.properties.iscsi_target_extent_filesize);
  } finally {
    await sb.stop();
  }
});

test('HTTPS with the certificate of SANBOX_TLS_CERT and SANBOX_TLS_KEY when they are set', async () => {
  const dir = tempDir('sanbox-tls-');
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], {
    stdio: 'ignore',
  });
  const sb = await startSanbox({ env: { SANBOX_TLS_CERT: cert, SANBOX_TLS_KEY: key } });
  try {
    assert.match(sb.httpsUrl!, /^https:\/\/127\.0\.0\.1:\d+$/);
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get(
          `${sb.httpsUrl}${FREENAS}/globalconfiguration/`,
          { ca: fs.readFileSync(cert), checkServerIdentity: () => undefined, auth: `admin:${TEST_ADMIN_PASSWORD}` },
          (res) => {
            let text = '';
            res.on('data', (c) => (text += c));
            res.on('end', () => resolve(`${res.statusCode} ${text}`));
          },
        )
        .on('error', reject);
    });
    assert.match(body, /^200 \{"iscsi_basename"/);
  } finally {
    await sb.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('close() lets an in-flight request finish, then closes the database; nothing is lost', async () => {
  let entered!: () => void;
  const inApply = new Promise<void>((r) => (entered = r));
  let calls = 0;
  const applier = {
    apply: async () => {
      calls += 1;
      if (calls === 2) {
        entered();
        await new Promise((r) => setTimeout(r, 300));
      }
    },
  };
  const dataDir = tempDir('sanbox-close-');
  const sb = await startSanbox({ dataDir, ports: { applier } });
  try {
    const pending = sb.api('POST', `${FREENAS}/portal/`, { iscsi_target_portal_ips: ['0.0.0.0:3260'] });
    await inApply; // committed, the data plane is applying, the client has no answer yet
    const started = performance.now();
    const closing = sb.sanbox.close();
    const res = await pending;
    await closing;
    assert.equal(res.status, 201);
    // The answered connection is closed with it, not left to idle out its keep-alive.
    assert.ok(performance.now() - started < 5000, 'close() does not wait for keep-alive timeouts');
    await sb.start();
    assert.equal((await sb.api('GET', `${FREENAS}/portal/1/`)).status, 200);
  } finally {
    await sb.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

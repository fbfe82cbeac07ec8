/** The environment contract: SANBOX_* names, defaults, and refusals of nonsense. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, defaultIscsiSettings, loadConfig } from '../../src/config.js';
import { FREENAS, startSanbox } from '../support/sanbox.js';

test('defaults: ./var, HTTP 127.0.0.1:8080, HTTPS 127.0.0.1:8443 (self-signed), user admin, no extra pools', () => {
  assert.deepEqual(loadConfig({}, '/srv/sanbox'), {
    dataDir: '/srv/sanbox/var',
    http: { host: '127.0.0.1', port: 8080 },
    https: { host: '127.0.0.1', port: 8443 },
    pools: [],
    tls: null,
    adminUser: 'admin',
    adminPassword: null,
    logLevel: 'info',
    iscsi: defaultIscsiSettings(),
    portalPort: 3260,
    ironicNoAuth: false,
    apiTimeouts: { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 72_000 },
  });
});

test('the iSCSI connection cap leaves descriptors for the API whatever the open-files limit', () => {
  assert.equal(defaultIscsiSettings(1024).maxConnections, 768);
  assert.equal(defaultIscsiSettings(20000).maxConnections, 4096);
  assert.equal(defaultIscsiSettings(300).maxConnections, 44);
  assert.equal(defaultIscsiSettings(100).maxConnections, 16);
  assert.equal(defaultIscsiSettings().loginDeadlineMs, 15000);
  assert.equal(defaultIscsiSettings().ioBufferBytes, 256 * 1024 * 1024);
});

test('SANBOX_IO_COUNTERS turns the per-command counters off, and takes only true or false', () => {
  assert.equal(loadConfig({}).iscsi.ioCounters, true);
  assert.equal(loadConfig({ SANBOX_IO_COUNTERS: 'false' }).iscsi.ioCounters, false);
  assert.equal(loadConfig({ SANBOX_IO_COUNTERS: 'true' }).iscsi.ioCounters, true);
  assert.throws(() => loadConfig({ SANBOX_IO_COUNTERS: 'maybe' }), /SANBOX_IO_COUNTERS must be true or false/);
});

test('every SANBOX_* variable overrides its default', () => {
  const config = loadConfig(
    {
      SANBOX_DATA_DIR: 'data',
      SANBOX_HTTP: '[::1]:9000',
      SANBOX_HTTPS: '0.0.0.0:9443',
      SANBOX_POOLS: 'tank:/mnt/tank, fast:ssd',
      SANBOX_TLS_CERT: '/c.pem',
      SANBOX_TLS_KEY: '/k.pem',
      SANBOX_ADMIN_USER: 'root',
      SANBOX_ADMIN_PASSWORD: 'pw',
      SANBOX_LOG_LEVEL: 'debug',
      SANBOX_ISCSI_LOGIN_TIMEOUT: '5',
      SANBOX_ISCSI_PENDING_LOGINS_PER_ADDRESS: '4',
      SANBOX_ISCSI_PENDING_LOGINS: '40',
      SANBOX_ISCSI_MAX_CONNECTIONS: '100',
      SANBOX_ISCSI_IO_MEMORY_MB: '64',
      SANBOX_IO_COUNTERS: 'false',
      SANBOX_READ_IN_PLACE: 'false',
      SANBOX_PORTAL_PORT: '13260',
      SANBOX_IRONIC_NOAUTH: 'true',
      SANBOX_API_HEADERS_TIMEOUT: '5',
      SANBOX_API_REQUEST_TIMEOUT: '60',
      SANBOX_API_KEEPALIVE_TIMEOUT: '3',
    },
    '/srv',
  );
  assert.deepEqual(config, {
    dataDir: '/srv/data',
    http: { host: '::1', port: 9000 },
    https: { host: '0.0.0.0', port: 9443 },
    pools: [
      { name: 'tank', path: '/mnt/tank' },
      { name: 'fast', path: '/srv/ssd' },
    ],
    tls: { certFile: '/c.pem', keyFile: '/k.pem' },
    adminUser: 'root',
    adminPassword: 'pw',
    logLevel: 'debug',
    iscsi: {
      loginDeadlineMs: 5000,
      pendingLoginsPerAddress: 4,
      pendingLogins: 40,
      maxConnections: 100,
      ioBufferBytes: 64 * 1024 * 1024,
      ioCounters: false,
      readInPlace: false,
    },
    portalPort: 13260,
    ironicNoAuth: true,
    apiTimeouts: { headersMs: 5000, requestMs: 60_000, keepAliveMs: 3000 },
  });
  assert.deepEqual(loadConfig({ SANBOX_HTTP: '0.0.0.0:0' }).http, { host: '0.0.0.0', port: 0 });
  assert.equal(loadConfig({ SANBOX_HTTPS: 'off' }).https, null);
  assert.equal(loadConfig({ SANBOX_HTTP: 'None' }).http, null);
});

test('nonsense settings are refused with a ConfigError naming the variable', () => {
  for (const env of [
    { SANBOX_HTTP: '8080' },
    { SANBOX_HTTP: 'localhost:99999' },
    { SANBOX_HTTPS: 'yes' },
    { SANBOX_HTTP: 'off', SANBOX_HTTPS: 'none' },
    { SANBOX_POOLS: 'nocolon' },
    { SANBOX_POOLS: 'a:/x,a:/y' },
    { SANBOX_TLS_CERT: '/c.pem' },
    { SANBOX_ISCSI_LOGIN_TIMEOUT: '0' },
    { SANBOX_ISCSI_PENDING_LOGINS: '-1' },
    { SANBOX_ISCSI_MAX_CONNECTIONS: '1e9' },
    { SANBOX_ISCSI_IO_MEMORY_MB: '8' },
    { SANBOX_ISCSI_PENDING_LOGINS_PER_ADDRESS: 'many' },
    { SANBOX_API_HEADERS_TIMEOUT: '0' },
    { SANBOX_API_KEEPALIVE_TIMEOUT: '1.5' },
    { SANBOX_API_HEADERS_TIMEOUT: '20', SANBOX_API_REQUEST_TIMEOUT: '10' },
  ]) {
    assert.throws(
      () => loadConfig(env),
      (e: unknown) => e instanceof ConfigError && /SANBOX_/.test((e as Error).message),
      JSON.stringify(env),
    );
  }
});

test('a first start holds the seed global configuration and nothing else', async () => {
  const sb = await startSanbox();
  try {
    for (const r of ['portal', 'authorizedinitiator', 'authcredential', 'target', 'extent', 'targettoextent']) {
      assert.deepEqual((await sb.api('GET', `${FREENAS}/${r}/`)).body, [], r);
    }
    const g = (await sb.api('GET', `${FREENAS}/globalconfiguration/`)).body;
    assert.equal(g.iscsi_basename, 'iqn.2011-03.org.example.istgt');
    assert.deepEqual(
      sb.sanbox.services.mutations.store.listPools().map((p) => p.name),
      ['default'],
    );
  } finally {
    await sb.stop();
  }
});

test('methods a resource does not have: 405 with Allow', async () => {
  const sb = await startSanbox();
  try {
    const post = await sb.api('POST', `${FREENAS}/globalconfiguration/`, {});
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, PUT');
    const del = await sb.api('DELETE', `${FREENAS}/portal/`);
    assert.equal(del.status, 405);
    assert.equal(del.headers.get('allow'), 'GET, POST');
  } finally {
    await sb.stop();
  }
});

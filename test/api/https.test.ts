/**
 * HTTPS next to HTTP: the same routes on both, a self-signed certificate made on first
 * start in <dataDir>/tls and reused later, configured PEM files instead, and either
 * listener switched off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createSanbox } from '../../src/app.js';
import { makeSelfSigned, settleTlsCertificate } from '../../src/api/tls.js';
import { createLogger } from '../../src/log.js';
import { FREENAS, TEST_ADMIN_PASSWORD, startSanbox, tempDir } from '../support/sanbox.js';

interface Answer {
  status: number;
  body: any;
}

function httpsGet(url: string, options: https.RequestOptions): Promise<Answer> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { agent: false, ...options }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: text === '' ? null : JSON.parse(text) }));
      })
      .on('error', reject);
  });
}

const auth = `admin:${TEST_ADMIN_PASSWORD}`;

test('a fresh sanbox serves the same routes over HTTP and HTTPS, with a self-signed certificate valid for 127.0.0.1', async () => {
  const announced: string[] = [];
  const sb = await startSanbox({ ports: { announce: (t) => announced.push(t) } });
  try {
    assert.match(sb.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(sb.httpsUrl!, /^https:\/\/127\.0\.0\.1:\d+$/);
    const certFile = path.join(sb.dataDir, 'tls', 'cert.pem');
    const cert = fs.readFileSync(certFile);
    assert.equal(fs.statSync(path.join(sb.dataDir, 'tls', 'key.pem')).mode & 0o777, 0o600);
    const x509 = new X509Certificate(cert);
    assert.match(x509.subject, /CN=sanbox/);
    assert.match(x509.subjectAltName ?? '', /DNS:localhost/);
    assert.equal(x509.checkIP('127.0.0.1'), '127.0.0.1');
    assert.ok(new Date(x509.validTo).getTime() > Date.now() + 9 * 365 * 86_400_000, x509.validTo);

    const plain = await sb.api('GET', `${FREENAS}/globalconfiguration/`);
    assert.equal(plain.status, 200);
    // Verified against the generated certificate, host name checks included.
    const verified = await httpsGet(`${sb.httpsUrl}${FREENAS}/globalconfiguration/`, { ca: cert, auth });
    assert.deepEqual(verified, { status: 200, body: plain.body });
    const unverified = await httpsGet(`${sb.httpsUrl}${FREENAS}/globalconfiguration/`, { rejectUnauthorized: false, auth });
    assert.deepEqual(unverified, { status: 200, body: plain.body });
    // Without the CA the certificate does not verify: it really is the self-signed one.
    await assert.rejects(httpsGet(`${sb.httpsUrl}${FREENAS}/globalconfiguration/`, { auth }), /self-signed|self signed/);

    const status = await sb.api('GET', '/api/status');
    assert.deepEqual(status.body.tls, { fingerprintSha256: x509.fingerprint256, generated: true });
    const overHttps = await httpsGet(`${sb.httpsUrl}/api/status`, { ca: cert, auth });
    assert.equal(overHttps.body.tls.fingerprintSha256, x509.fingerprint256);
    assert.match(announced.join(''), new RegExp(`SHA-256 fingerprint is ${x509.fingerprint256}`));

    // Authentication is the same on both.
    assert.equal((await sb.request('GET', `${FREENAS}/globalconfiguration/`, { auth: false })).status, 401);
    const anonymous = await httpsGet(`${sb.httpsUrl}${FREENAS}/globalconfiguration/`, { ca: cert });
    assert.equal(anonymous.status, 401);
    const wrong = await httpsGet(`${sb.httpsUrl}${FREENAS}/globalconfiguration/`, { ca: cert, auth: 'admin:wrong' });
    assert.equal(wrong.status, 401);

    // A restart reuses the certificate and announces nothing.
    announced.length = 0;
    await sb.restart();
    assert.equal(sb.sanbox.tlsFingerprint, x509.fingerprint256);
    assert.deepEqual(fs.readFileSync(certFile), cert);
    assert.deepEqual((await httpsGet(`${sb.httpsUrl}/api/status`, { ca: cert, auth })).body.tls, {
      fingerprintSha256: x509.fingerprint256,
      generated: true,
    });
    assert.equal(announced.join(''), '');
  } finally {
    await sb.stop();
  }
});

test('configured SANBOX_TLS_CERT/KEY files are used instead of a generated certificate', async () => {
  const dir = tempDir('sanbox-tls-');
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    {
      stdio: 'ignore',
    },
  );
  const sb = await startSanbox({ env: { SANBOX_TLS_CERT: cert, SANBOX_TLS_KEY: key } });
  try {
    const fingerprint = new X509Certificate(fs.readFileSync(cert)).fingerprint256;
    const status = await httpsGet(`${sb.httpsUrl}/api/status`, { ca: fs.readFileSync(cert), auth });
    assert.deepEqual(status.body.tls, { fingerprintSha256: fingerprint, generated: false });
    assert.equal(fs.existsSync(path.join(sb.dataDir, 'tls')), false);
  } finally {
    await sb.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('unreadable or non-PEM certificate files are a ConfigError naming the variable', async () => {
  const dir = tempDir('sanbox-tls-bad-');
  const junk = path.join(dir, 'junk.pem');
  fs.writeFileSync(junk, 'not a certificate\n');
  try {
    for (const [certFile, keyFile, name] of [
      [path.join(dir, 'missing.pem'), junk, /SANBOX_TLS_CERT: cannot read/],
      [junk, junk, /SANBOX_TLS_CERT .* is not a PEM certificate/],
    ] as const) {
      const config = loadConfig({
        SANBOX_DATA_DIR: dir,
        SANBOX_HTTP: '127.0.0.1:0',
        SANBOX_HTTPS: '127.0.0.1:0',
        SANBOX_TLS_CERT: certFile,
        SANBOX_TLS_KEY: keyFile,
        SANBOX_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      });
      await assert.rejects(
        createSanbox(config, { logger: createLogger('silent'), announce: () => {} }),
        (e: unknown) => e instanceof ConfigError && name.test((e as Error).message),
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('SANBOX_HTTPS=off serves HTTP only and makes no certificate; SANBOX_HTTP=off serves HTTPS only', async () => {
  const sb = await startSanbox({ env: { SANBOX_HTTPS: 'off' } });
  try {
    assert.equal(sb.httpsUrl, null);
    assert.equal((await sb.api('GET', `${FREENAS}/globalconfiguration/`)).status, 200);
    assert.equal((await sb.api('GET', '/api/status')).body.tls, null);
    assert.equal(fs.existsSync(path.join(sb.dataDir, 'tls')), false);
  } finally {
    await sb.stop();
  }
  const only = await startSanbox({ env: { SANBOX_HTTP: 'none' } });
  try {
    assert.equal(only.sanbox.url, null);
    const answer = await httpsGet(`${only.httpsUrl}${FREENAS}/globalconfiguration/`, { rejectUnauthorized: false, auth });
    assert.equal(answer.status, 200);
  } finally {
    await only.stop();
  }
});

test('both listeners off is refused with a clear message', () => {
  assert.throws(() => loadConfig({ SANBOX_HTTP: 'off', SANBOX_HTTPS: 'off' }), /SANBOX_HTTP and SANBOX_HTTPS are both off/);
});

test('without openssl a sanbox serves HTTP only and warns what is missing', async () => {
  const lines: string[] = [];
  const logger = createLogger('warn', { write: (line: string) => lines.push(line) });
  const sb = await startSanbox({ ports: { openssl: '/nonexistent/openssl', logger } });
  try {
    assert.equal(sb.httpsUrl, null);
    assert.equal((await sb.api('GET', `${FREENAS}/globalconfiguration/`)).status, 200);
    assert.match(lines.join(''), /HTTPS is not served.*\/nonexistent\/openssl/);
  } finally {
    await sb.stop();
  }
});

test("sanbox's own certificate is made again when it would no longer verify: a new HTTPS host, or 30 days from expiry", () => {
  const dataDir = tempDir('sanbox-tls-renew-');
  try {
    const first = settleTlsCertificate(null, dataDir, '127.0.0.1');
    assert.ok('fingerprintSha256' in first && first.fresh);
    const again = settleTlsCertificate(null, dataDir, '127.0.0.1');
    assert.ok('fingerprintSha256' in again && !again.fresh && again.fingerprintSha256 === first.fingerprintSha256, 'kept while it serves');
    assert.ok(
      'fingerprintSha256' in settleTlsCertificate(null, dataDir, '0.0.0.0') && !(settleTlsCertificate(null, dataDir, '0.0.0.0') as { fresh: boolean }).fresh,
      'a wildcard needs no new name',
    );
    const moved = settleTlsCertificate(null, dataDir, '127.0.0.2');
    assert.ok('fingerprintSha256' in moved && moved.fresh && moved.fingerprintSha256 !== first.fingerprintSha256, 'the new host needs a new certificate');
    assert.notEqual(new X509Certificate(moved.cert).checkIP('127.0.0.2'), undefined);
    // One that expires in 10 days is replaced.
    const dir = path.join(dataDir, 'tls');
    makeSelfSigned('openssl', path.join(dir, 'key.pem'), path.join(dir, 'cert.pem'), ['IP:127.0.0.1'], 10);
    const expiring = new X509Certificate(fs.readFileSync(path.join(dir, 'cert.pem'))).fingerprint256;
    const renewed = settleTlsCertificate(null, dataDir, '127.0.0.1');
    assert.ok('fingerprintSha256' in renewed && renewed.fresh && renewed.fingerprintSha256 !== expiring);
    assert.ok(Date.parse(new X509Certificate(renewed.cert).validTo) - Date.now() > 3000 * 24 * 3600 * 1000, 'ten years again');
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

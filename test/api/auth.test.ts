/**
 * Authentication on every route (HTTP Basic, X-Api-Key), the 401 answer, the 429 for
 * repeated failures, the generated first-start password (shown once, stored as a
 * hash, copied to a 0600 file), and log lines that never carry a secret.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createLogger } from '../../src/log.js';
import { FREENAS, TEST_ADMIN_PASSWORD, startSanbox, tempDir } from '../support/sanbox.js';
import { PASSWORD_FILE } from '../../src/api/auth/admin-credential.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const UNAUTHORIZED = { error_message: 'Authentication credentials were missing or incorrect.' };

function captureLog() {
  const lines: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
  return { lines, logger };
}

test('every route wants credentials: 401 with WWW-Authenticate otherwise', async () => {
  const sb = await startSanbox();
  try {
    for (const url of [`${FREENAS}/globalconfiguration/`, `${FREENAS}/extent/`, '/api/status', '/api/openapi.json', '/nowhere']) {
      const res = await sb.request('GET', url, { auth: false });
      assert.equal(res.status, 401, url);
      assert.equal(res.headers.get('www-authenticate'), 'Basic realm="sanbox", charset="UTF-8"');
      assert.deepEqual(res.body, UNAUTHORIZED);
    }
    const post = await sb.request('POST', `${FREENAS}/portal/`, { auth: false, body: { iscsi_target_portal_ips: ['0.0.0.0:3260'] } });
    assert.equal(post.status, 401);
    assert.equal(sb.sanbox.services.portalGroups.list().total, 0, 'an unauthenticated POST changes nothing');
  } finally {
    await sb.stop();
  }
});

test('Basic and X-Api-Key with the admin password are accepted; wrong ones are not', async () => {
  const sb = await startSanbox();
  try {
    const url = `${FREENAS}/globalconfiguration/`;
    const ok = async (headers: Record<string, string>) => (await sb.request('GET', url, { auth: false, headers })).status;
    assert.equal(await ok({ authorization: basic('admin', TEST_ADMIN_PASSWORD) }), 200);
    assert.equal(await ok({ 'x-api-key': TEST_ADMIN_PASSWORD }), 200);
    assert.equal(await ok({ authorization: basic('admin', 'wrong') }), 401);
    assert.equal(await ok({ authorization: basic('root', TEST_ADMIN_PASSWORD) }), 401);
    assert.equal(await ok({ authorization: 'Bearer abc' }), 401);
    assert.equal(await ok({ authorization: 'Basic !!!' }), 401);
    assert.equal(await ok({ 'x-api-key': 'wrong' }), 401);
  } finally {
    await sb.stop();
  }
});

test('SANBOX_ADMIN_USER names the user', async () => {
  const sb = await startSanbox({ env: { SANBOX_ADMIN_USER: 'operator' } });
  try {
    const url = `${FREENAS}/portal/`;
    assert.equal((await sb.request('GET', url, { auth: false, headers: { authorization: basic('operator', TEST_ADMIN_PASSWORD) } })).status, 200);
    assert.equal((await sb.request('GET', url, { auth: false, headers: { authorization: basic('admin', TEST_ADMIN_PASSWORD) } })).status, 401);
  } finally {
    await sb.stop();
  }
});

test('past the free failures an address gets 429 with Retry-After until its delay is over; a success clears nothing', async () => {
  const { lines, logger } = captureLog();
  const sb = await startSanbox({ ports: { logger, throttle: { freeFailures: 2, baseDelayMs: 500, maxDelayMs: 2000, refusalHoldMs: 0 } } });
  try {
    const url = `${FREENAS}/portal/`;
    const get = (password: string) => sb.request('GET', url, { auth: false, headers: { authorization: basic('admin', password) } });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    assert.equal((await get('x1')).status, 401);
    assert.equal((await get('x2')).status, 401);
    const refused = await get('x3');
    assert.equal(refused.status, 429, 'the third guess right away is refused, not checked');
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.deepEqual(refused.body, { error_message: 'Too many failed authentication attempts from this address; retry later.' });
    assert.equal((await get(TEST_ADMIN_PASSWORD)).status, 429, 'a right password not yet known is refused the same way');
    await sleep(550);
    assert.equal((await get(TEST_ADMIN_PASSWORD)).status, 200, 'after the delay the right password is checked');
    assert.equal((await get('x3')).status, 401, 'the success did not push the guesser back');
    assert.equal((await get('x4')).status, 429, 'nor did it clear the count: the third failure set a longer delay');
    await sleep(1050);
    assert.equal((await get('x4')).status, 401);
    assert.equal((await get(TEST_ADMIN_PASSWORD)).status, 200, 'credentials already verified are never throttled');
    const warned = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'repeated authentication failures');
    assert.deepEqual(
      warned.map((w) => [w.failures, w.delayMs]),
      [
        [2, 500],
        [3, 1000],
        [4, 2000],
      ],
    );
    assert.equal(warned[0].source, '127.0.0.1');
  } finally {
    await sb.stop();
  }
});

test('a full password-check queue answers 503 with Retry-After at once; checks already queued still finish', async () => {
  const sb = await startSanbox({ ports: { maxQueuedPasswordChecks: 2, throttle: { freeFailures: 1e9, refusalHoldMs: 0 } } });
  try {
    const url = `${FREENAS}/portal/`;
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => sb.request('GET', url, { auth: false, headers: { authorization: basic('admin', `guess-${i}`) } })),
    );
    const statuses = answers.map((a) => a.status);
    const busy = answers.filter((a) => a.status === 503);
    assert.ok(busy.length >= 10, `statuses ${statuses}`);
    assert.ok(
      statuses.every((s) => s === 401 || s === 503),
      `statuses ${statuses}`,
    );
    assert.ok(statuses.filter((s) => s === 401).length >= 2, 'the queued checks ran');
    for (const b of busy) {
      assert.equal(b.headers.get('retry-after'), '1');
      assert.deepEqual(b.body, { error_message: 'Too many authentication checks are waiting; retry later.' });
    }
    assert.equal((await sb.api('GET', url)).status, 200, 'once the queue drains the right password works');
  } finally {
    await sb.stop();
  }
});

test('first start without a password: generated, shown once, stored only as a hash, copied to a 0600 file', async () => {
  const dataDir = tempDir('sanbox-auth-');
  const announced: string[] = [];
  const { lines, logger } = captureLog();
  const sb = await startSanbox({
    dataDir,
    env: { SANBOX_ADMIN_PASSWORD: '' },
    ports: {
      // The HTTPS certificate's announcement is not this test's business.
      announce: (t) => void (t.includes('password') && announced.push(t)),
      logger,
    },
  });
  try {
    assert.equal(announced.length, 1);
    const file = path.join(dataDir, PASSWORD_FILE);
    const password = /password for API user "admin": (\S+)/.exec(announced[0]!)![1]!;
    assert.ok(announced[0]!.includes(file));
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.readFileSync(file, 'utf8'), `admin:${password}\n`);
    assert.ok(password.length >= 20);

    const res = await sb.request('GET', `${FREENAS}/portal/`, { auth: false, headers: { authorization: basic('admin', password) } });
    assert.equal(res.status, 200);

    await sb.sanbox.close();
    for (const name of fs.readdirSync(dataDir).filter((n) => n.startsWith('sanbox.db'))) {
      assert.ok(!fs.readFileSync(path.join(dataDir, name)).includes(password), `${name} holds no clear password`);
    }
    assert.ok(!lines.join('').includes(password), 'the log never shows it');

    await sb.start();
    assert.equal(announced.length, 1, 'not shown again on the next start');
    const again = await sb.request('GET', `${FREENAS}/portal/`, { auth: false, headers: { authorization: basic('admin', password) } });
    assert.equal(again.status, 200);
  } finally {
    await sb.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('one log line per request, and no password, API key or CHAP secret in any line', async () => {
  const { lines, logger } = captureLog();
  const sb = await startSanbox({ ports: { logger } });
  try {
    lines.length = 0;
    await sb.api('POST', `${FREENAS}/authcredential/`, {
      iscsi_target_auth_tag: 1,
      iscsi_target_auth_user: 'user',
      iscsi_target_auth_secret: 'chapsecret',
      iscsi_target_auth_peeruser: 'peer',
      iscsi_target_auth_peersecret: 'peerchapsecret',
    });
    await sb.api('PUT', `${FREENAS}/authcredential/1/`, { iscsi_target_auth_secret: 'otherchapsecret' });
    await sb.api('POST', `${FREENAS}/authcredential/`, {
      iscsi_target_auth_user: 'x',
      iscsi_target_auth_secret: 'badsecret99',
      iscsi_target_auth_peersecret: 'badsecret99',
      iscsi_target_auth_peeruser: 'y',
    });
    await sb.request('GET', `${FREENAS}/authcredential/`, { auth: false, headers: { 'x-api-key': TEST_ADMIN_PASSWORD } });
    await sb.request('GET', `${FREENAS}/authcredential/`, { auth: false, headers: { authorization: basic('admin', 'guessed-password') } });
    const text = lines.join('');
    for (const secret of [
      'chapsecret',
      'otherchapsecret',
      'peerchapsecret',
      'badsecret99',
      TEST_ADMIN_PASSWORD,
      'guessed-password',
      basic('admin', TEST_ADMIN_PASSWORD).slice(6),
    ]) {
      assert.ok(!text.includes(secret), `no log line contains ${secret}`);
    }
    const requests = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
    assert.equal(requests.length, 5);
    assert.deepEqual(
      requests.map((r) => r.statusCode),
      [201, 200, 400, 200, 401],
    );
    const warnings = lines.map((l) => JSON.parse(l)).filter((l) => l.level === 40);
    assert.ok(
      warnings.some((w) => w.field === 'secret' && w.length === 10),
      'a short CHAP secret is a warning',
    );
  } finally {
    await sb.stop();
  }
});

test('secrets are returned by GET: clients expect them', async () => {
  const sb = await startSanbox();
  try {
    await sb.api('POST', `${FREENAS}/authcredential/`, { iscsi_target_auth_user: 'u', iscsi_target_auth_secret: 'abcdefghijklm' });
    const res = await sb.api('GET', `${FREENAS}/authcredential/1/`);
    assert.equal(res.body.iscsi_target_auth_secret, 'abcdefghijklm');
  } finally {
    await sb.stop();
  }
});

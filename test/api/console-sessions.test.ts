/** The console's session map alone: expiry (idle and absolute), the cap, the CSRF rule, the cookie. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyRequest } from 'fastify';
import { ConsoleSessions, cookie, sessionCookie } from '../../src/api/console/sessions.js';

const admin = { kind: 'admin', user: 'admin' } as const;

function request(method: string, headers: Record<string, string>): FastifyRequest {
  return { method, headers } as unknown as FastifyRequest;
}

function sessions(clock: { t: number }, keyAlive = () => true) {
  return new ConsoleSessions({
    idleMs: 1000,
    maxAgeMs: 5000,
    max: 2,
    now: () => clock.t,
    verifyKey: () => (keyAlive() ? { id: 1, name: 'k', tenant: null, createdAt: '' } : null) as never,
  });
}

test('a session ends after idleMs unused, and maxAgeMs after login even when used', () => {
  const clock = { t: 0 };
  const map = sessions(clock);
  const s = map.open(admin, null);
  const r = request('GET', { cookie: `other=1; sanbox_console=${s.id}` });
  clock.t = 900;
  assert.equal(map.find(r)?.id, s.id);
  clock.t = 1800; // 900 since last use
  assert.equal(map.find(r)?.id, s.id);
  clock.t = 2801;
  assert.equal(map.find(r), null, 'idle too long');

  const u = map.open(admin, null);
  const ru = request('GET', { cookie: `sanbox_console=${u.id}` });
  for (clock.t = 2801; clock.t < 2801 + 5000; clock.t += 800) assert.ok(map.find(ru));
  clock.t = 2801 + 5001;
  assert.equal(map.find(ru), null, 'older than maxAgeMs');
});

test('opening past the cap ends the least recently used session', () => {
  const clock = { t: 0 };
  const map = sessions(clock);
  const a = map.open(admin, null);
  clock.t = 1;
  const b = map.open(admin, null);
  clock.t = 2;
  map.find(request('GET', { cookie: `sanbox_console=${a.id}` }));
  map.open(admin, null);
  assert.equal(map.size, 2);
  assert.equal(map.find(request('GET', { cookie: `sanbox_console=${b.id}` })), null);
  assert.ok(map.find(request('GET', { cookie: `sanbox_console=${a.id}` })));
});

test('a change counts only with the CSRF header; a read without it', () => {
  const map = sessions({ t: 0 });
  const s = map.open(admin, null);
  const c = `sanbox_console=${s.id}`;
  assert.deepEqual(map.principalFor(request('GET', { cookie: c })), admin);
  assert.equal(map.principalFor(request('POST', { cookie: c })), null);
  assert.equal(map.principalFor(request('PUT', { cookie: c, 'x-csrf-token': `${s.csrf}x` })), null);
  assert.deepEqual(map.principalFor(request('DELETE', { cookie: c, 'x-csrf-token': s.csrf })), admin);
  assert.equal(map.principalFor(request('GET', {})), null);
});

test('a session opened with an API key ends when the key is revoked', () => {
  let alive = true;
  const map = sessions({ t: 0 }, () => alive);
  const s = map.open({ kind: 'key', keyId: 1, name: 'k', tenant: null }, 'sbx_1_secret');
  const r = request('GET', { cookie: `sanbox_console=${s.id}` });
  assert.ok(map.find(r));
  alive = false;
  assert.equal(map.find(r), null);
  assert.equal(map.size, 0);
});

test('the cookie: HttpOnly, SameSite=Strict, Path=/, Secure only over HTTPS; clearing it', () => {
  const s = sessions({ t: 0 }).open(admin, null);
  assert.equal(sessionCookie(s, false, 3600_000), `sanbox_console=${s.id}; Max-Age=3600; Path=/; HttpOnly; SameSite=Strict`);
  assert.match(sessionCookie(s, true, 3600_000), /; Secure$/);
  assert.equal(sessionCookie(null, false, 0), 'sanbox_console=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict');
  assert.equal(cookie('a=1; sanbox_console=xyz ; b=2', 'sanbox_console'), 'xyz');
  assert.equal(cookie('sanbox_consolex=1', 'sanbox_console'), null);
  assert.equal(cookie(undefined, 'sanbox_console'), null);
});

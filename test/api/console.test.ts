/**
 * The web console's server side: login (admin password or API key) to a session cookie,
 * the cookie as a credential for the API only with the CSRF header on changes, logout,
 * and the event stream.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { FREENAS, startSanbox, type TestSanbox } from '../support/sanbox.js';

let sb: TestSanbox;

before(async () => {
  sb = await startSanbox();
});
after(async () => {
  await sb.stop();
});

async function login(body: unknown): Promise<{ status: number; cookie: string; csrf: string; setCookie: string; body: { user?: string; csrf?: string } }> {
  const res = await sb.request('POST', '/ui/session', { body, auth: false });
  const setCookie = res.headers.get('set-cookie') ?? '';
  return { status: res.status, cookie: setCookie.split(';')[0]!, csrf: res.body?.csrf, setCookie, body: res.body };
}

test('the admin logs in: an HttpOnly SameSite=Strict random cookie and a CSRF token; a wrong password is 401', async () => {
  const ok = await login({ user: sb.auth.user, password: sb.auth.password });
  assert.equal(ok.status, 201);
  assert.equal(ok.body.user, sb.auth.user);
  assert.match(ok.setCookie, /^sanbox_console=[A-Za-z0-9_-]{43}; /);
  assert.match(ok.setCookie, /HttpOnly/);
  assert.match(ok.setCookie, /SameSite=Strict/);
  assert.doesNotMatch(ok.setCookie, /Secure/, 'plain HTTP: no Secure flag');
  assert.match(ok.csrf, /^[A-Za-z0-9_-]{43}$/);
  const again = await login({ user: sb.auth.user, password: sb.auth.password });
  assert.notEqual(again.cookie, ok.cookie);
  const wrong = await login({ user: sb.auth.user, password: 'nope' });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.setCookie, '');
  const nothing = await login({});
  assert.equal(nothing.status, 400);
});

test('over HTTPS the cookie is Secure', async () => {
  const setCookie = await new Promise<string>((resolve, reject) => {
    // The test sanbox's certificate is self-signed.
    const req = https.request(
      `${sb.httpsUrl}/ui/session`,
      { method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json' } },
      (r) => {
        r.resume();
        resolve(String(r.headers['set-cookie'] ?? ''));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ user: sb.auth.user, password: sb.auth.password }));
  });
  assert.match(setCookie, /; Secure/);
});

test('the cookie reads the API; a change needs the CSRF header too; without either it is 401', async () => {
  const s = await login({ user: sb.auth.user, password: sb.auth.password });
  const read = await sb.request('GET', `${FREENAS}/portal/`, { auth: false, headers: { cookie: s.cookie } });
  assert.equal(read.status, 200, read.text);
  const status = await sb.request('GET', '/api/status', { auth: false, headers: { cookie: s.cookie } });
  assert.equal(status.status, 200);

  const body = { iscsi_target_portal_ips: ['127.0.0.1:3261'] };
  const noCsrf = await sb.request('POST', `${FREENAS}/portal/`, { auth: false, body, headers: { cookie: s.cookie } });
  assert.equal(noCsrf.status, 401);
  const badCsrf = await sb.request('POST', `${FREENAS}/portal/`, { auth: false, body, headers: { cookie: s.cookie, 'x-csrf-token': 'x'.repeat(43) } });
  assert.equal(badCsrf.status, 401);
  assert.equal(badCsrf.headers.get('www-authenticate'), 'Bearer realm="sanbox"', 'no Basic dialog for the page');
  const made = await sb.request('POST', `${FREENAS}/portal/`, { auth: false, body, headers: { cookie: s.cookie, 'x-csrf-token': s.csrf } });
  assert.equal(made.status, 201, made.text);
  const del = await sb.request('DELETE', `${FREENAS}/portal/${made.body.id}/`, { auth: false, headers: { cookie: s.cookie, 'x-csrf-token': s.csrf } });
  assert.equal(del.status, 204);

  const forged = await sb.request('GET', `${FREENAS}/portal/`, { auth: false, headers: { cookie: 'sanbox_console=forged' } });
  assert.equal(forged.status, 401);
});

test('the cookie is no credential on dialects that do not take it (ONTAP)', async () => {
  const s = await login({ user: sb.auth.user, password: sb.auth.password });
  const res = await sb.request('GET', '/api/protocols/san/iscsi/services', { auth: false, headers: { cookie: s.cookie } });
  assert.equal(res.status, 401);
});

test('logout ends the session; the cookie then reads nothing', async () => {
  const s = await login({ user: sb.auth.user, password: sb.auth.password });
  const me = await sb.request('GET', '/ui/session', { auth: false, headers: { cookie: s.cookie } });
  assert.equal(me.status, 200);
  assert.equal(me.body.csrf, s.csrf);
  const noCsrf = await sb.request('DELETE', '/ui/session', { auth: false, headers: { cookie: s.cookie } });
  assert.equal(noCsrf.status, 401, 'logout is a change: CSRF header needed');
  const out = await sb.request('DELETE', '/ui/session', { auth: false, headers: { cookie: s.cookie, 'x-csrf-token': s.csrf } });
  assert.equal(out.status, 204);
  assert.match(out.headers.get('set-cookie') ?? '', /sanbox_console=; Max-Age=0/);
  const after = await sb.request('GET', `${FREENAS}/portal/`, { auth: false, headers: { cookie: s.cookie } });
  assert.equal(after.status, 401);
});

test('an API key logs in; revoking the key ends its session', async () => {
  const made = await sb.api('POST', '/api/keys', { name: 'console' });
  assert.equal(made.status, 201);
  const s = await login({ key: made.body.key });
  assert.equal(s.status, 201);
  assert.equal(s.body.user, 'key console');
  assert.equal((await sb.request('GET', '/api/status', { auth: false, headers: { cookie: s.cookie } })).status, 200);
  assert.equal((await sb.api('DELETE', `/api/keys/${made.body.id}`)).status, 204);
  assert.equal((await sb.request('GET', '/api/status', { auth: false, headers: { cookie: s.cookie } })).status, 401);
  assert.equal((await login({ key: made.body.key })).status, 401);
});

test('GET /ui/events streams snapshots with sessions, listeners and pools; it needs a session', async () => {
  const refused = await sb.request('GET', '/ui/events', { auth: false });
  assert.equal(refused.status, 401);
  const basic = await sb.request('GET', '/ui/events', {});
  assert.equal(basic.status, 401, 'the stream takes the console session only');
  const s = await login({ user: sb.auth.user, password: sb.auth.password });
  const controller = new AbortController();
  const res = await fetch(`${sb.baseUrl}/ui/events`, { headers: { cookie: s.cookie }, signal: controller.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const reader = res.body!.getReader();
  let text = '';
  while (!text.includes('data: ')) text += new TextDecoder().decode((await reader.read()).value);
  while (!/data: .*\n\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
  const snapshot = JSON.parse(/data: (.*)\n\n/.exec(text)![1]!);
  assert.ok(Array.isArray(snapshot.sessions));
  assert.ok(Array.isArray(snapshot.listeners));
  const pool = snapshot.pools.find((p: { name: string }) => p.name === 'default');
  assert.ok(pool, JSON.stringify(snapshot.pools));
  assert.equal(typeof pool.capacityBytes, 'number');
  assert.equal(pool.threshold, 1);
  controller.abort();
});

test('closing sanbox ends an open event stream instead of waiting for it', async () => {
  const own = await startSanbox();
  try {
    const login = await own.request('POST', '/ui/session', { body: { user: own.auth.user, password: own.auth.password }, auth: false });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const res = await fetch(`${own.baseUrl}/ui/events`, { headers: { cookie } });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    await reader.read();
    const started = Date.now();
    await own.sanbox.close();
    assert.ok(Date.now() - started < 3000, `close took ${Date.now() - started} ms`);
    for (;;) if ((await reader.read()).done) break;
  } finally {
    await own.stop();
  }
});

test('/ui/ is served without credentials (the login page) and assets outside the bundle are not', async () => {
  const page = await fetch(`${sb.baseUrl}/ui/`);
  assert.equal(page.status, 200, 'npm run build builds the console (build:ui)');
  assert.match(await page.text(), /<script type="module" src="\/ui\/assets\/app.js">/);
  // The first load, as a browser fetches it compressed: under the 300 KB.
  let total = 0;
  for (const file of ['/ui/', '/ui/assets/app.js', '/ui/assets/app.css']) {
    const res = await fetch(`${sb.baseUrl}${file}`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(res.status, 200, file);
    assert.equal(res.headers.get('content-encoding'), 'gzip', file);
    total += Number(res.headers.get('content-length'));
  }
  assert.ok(total > 0 && total < 300 * 1024, `first load ${total} bytes compressed`);
  const outside = await fetch(`${sb.baseUrl}/ui/assets/..%2Fsrc%2Fmain.js`);
  assert.equal(outside.status, 404);
});

test('a browser at the root is sent to the console; an Ironic client asking for JSON gets the version document', async () => {
  const browser = await sb.request('GET', '/', { auth: false, headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
  assert.equal(browser.status, 302);
  assert.equal(browser.headers.get('location'), '/ui/');
  const client = await sb.request('GET', '/', { auth: false, headers: { accept: 'application/json' } });
  assert.equal(client.status, 200);
  assert.equal(client.body.name, 'OpenStack Ironic API');
});

/**
 * API clients that misbehave: hundreds of connections held open idle, headers sent a byte
 * at a time (slowloris), a body that trickles, bodies over the limit. Each is ended within
 * its bound (SANBOX_API_HEADERS_TIMEOUT / _REQUEST_TIMEOUT / _KEEPALIVE_TIMEOUT, 2/4/2 s
 * here) with a clear answer (408, 413 in the dialect's own error shape), memory and
 * descriptors come back, and a well-behaved client is answered quickly all along.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { type ApiResponse, startSanbox, type TestSanbox } from '../support/sanbox.js';
import { drip, healthyClient, percentile, rawConnect, statusOf, type RawClient } from './support/net-http.js';

const HEADERS_S = 2;
const REQUEST_S = 4;
const KEEPALIVE_S = 2;
/**
 * Past a bound: Node checks its timeouts each second (listenApi's connectionsCheckingInterval),
 * and a second more for an event loop shared with the test's clients on a busy machine.
 */
const SLACK_MS = 2500;
/** A healthy client's p99 while the abuse goes on, in the same process as its server. */
const HEALTHY_P99_MS = 1000;
const MiB = 1024 * 1024;

let sb: TestSanbox;
let port: number;

before(async () => {
  sb = await startSanbox({
    env: {
      SANBOX_API_HEADERS_TIMEOUT: String(HEADERS_S),
      SANBOX_API_REQUEST_TIMEOUT: String(REQUEST_S),
      SANBOX_API_KEEPALIVE_TIMEOUT: String(KEEPALIVE_S),
    },
  });
  port = Number(new URL(sb.baseUrl).port);
});
after(async () => {
  await sb.stop();
});

const fds = () => fs.readdirSync('/proc/self/fd').length;
const mib = (n: number) => (n / MiB).toFixed(1);

test('an over-limit body is a 413 in each dialect own error shape, and changes nothing', async () => {
  const big = JSON.stringify({ pad: 'x'.repeat(1024 * 1024 + 1) });
  const cases: Array<{ path: string; shape: (body: ApiResponse['body']) => boolean }> = [
    { path: '/api/v1.0/services/iscsi/extent/', shape: (b) => Array.isArray(b.__all__) },
    { path: '/v1/pool/share/create', shape: (b) => typeof b.scode === 'number' && b.scode !== 0 && b.data === null },
    { path: '/api/storage/luns', shape: (b) => typeof b.error?.code === 'string' && typeof b.error?.message === 'string' },
    { path: '/v9/storage/iscsi-targets', shape: (b) => typeof b.errorCode === 'number' && typeof b.errorMsg === 'string' },
    { path: '/v1/volume/connectors', shape: (b) => JSON.parse(b.error_message).faultcode === 'Client' },
    { path: '/api/keys', shape: (b) => typeof b.error_message === 'string' || typeof b.error === 'object' },
  ];
  const before = (await sb.api('GET', '/api/v1.0/services/iscsi/extent/')).body.length;
  for (const c of cases) {
    const r = await sb.request('POST', c.path, { raw: big, headers: { 'x-openstack-ironic-api-version': '1.32' } });
    assert.equal(r.status, 413, `${c.path}: ${r.status} ${r.text.slice(0, 200)}`);
    assert.ok(c.shape(r.body), `${c.path}: not the dialect's shape: ${r.text}`);
    assert.match(r.text, /too large/i);
  }
  // Chunked, no Content-Length: refused once past the limit, without reading it all.
  const chunked = await fetch(`${sb.baseUrl}/api/v1.0/services/iscsi/extent/`, {
    method: 'POST',
    headers: { ...sb.authHeaders, 'content-type': 'application/json' },
    body: new ReadableStream({
      start(controller) {
        for (let i = 0; i < 64; i++) controller.enqueue(new TextEncoder().encode(' '.repeat(64 * 1024)));
        controller.close();
      },
    }),
    duplex: 'half',
  } as RequestInit);
  assert.equal(chunked.status, 413);
  const refusal: ApiResponse['body'] = await chunked.json();
  assert.ok(Array.isArray(refusal.__all__));
  assert.equal((await sb.api('GET', '/api/v1.0/services/iscsi/extent/')).body.length, before);
});

test('slowloris: 100 clients dripping headers are ended at the headers timeout; others are answered meanwhile', async () => {
  const fds0 = fds();
  const rss0 = process.memoryUsage().rss;
  const healthy = healthyClient(port, '/api/status', sb.authHeaders, 50);
  const slow: RawClient[] = [];
  const stops: Array<() => void> = [];
  for (let i = 0; i < 100; i++) {
    const c = await rawConnect(port);
    slow.push(c);
    stops.push(drip(c, `GET /api/status HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(500)}\r\n\r\n`, 250));
  }
  const t0 = Date.now();
  await Promise.all(slow.map((c) => c.closed));
  for (const stop of stops) stop();
  await healthy.stop();
  const held = slow.map((c) => c.closedAt! - c.openedAt);
  const p99 = percentile(healthy.latencies, 99);
  console.log(
    `# slowloris: 100 clients held ${Math.min(...held)}-${Math.max(...held)} ms (headers timeout ${HEADERS_S} s); ` +
      `healthy client: ${healthy.latencies.length} answers, p50 ${percentile(healthy.latencies, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms; ` +
      `fds ${fds0} -> ${fds()}, RSS ${mib(rss0)} -> ${mib(process.memoryUsage().rss)} MiB`,
  );
  assert.ok(Date.now() - t0 < HEADERS_S * 1000 + SLACK_MS);
  assert.ok(Math.max(...held) < HEADERS_S * 1000 + SLACK_MS, `a slow client was held ${Math.max(...held)} ms`);
  for (const c of slow) assert.equal(statusOf(c), 408, `answer: ${c.answer.slice(0, 60)}`);
  assert.deepEqual(healthy.failures, []);
  assert.ok(p99 < HEALTHY_P99_MS, `healthy p99 ${p99} ms`);
  assert.ok(fds() - fds0 <= 4, `descriptors: ${fds0} -> ${fds()}`);
});

test('500 idle connections are closed at the headers timeout; memory and descriptors come back; others answered', async () => {
  const fds0 = fds();
  const rss0 = process.memoryUsage().rss;
  const healthy = healthyClient(port, '/api/v1.0/services/iscsi/globalconfiguration/', sb.authHeaders, 50);
  const idle: RawClient[] = [];
  for (let i = 0; i < 500; i++) idle.push(await rawConnect(port));
  const open = fds() - fds0;
  const rssOpen = process.memoryUsage().rss;
  await Promise.all(idle.map((c) => c.closed));
  await healthy.stop();
  await new Promise((r) => setTimeout(r, 100));
  const held = idle.map((c) => c.closedAt! - c.openedAt);
  console.log(
    `# 500 idle connections: +${open} fds while open, held ${Math.min(...held)}-${Math.max(...held)} ms; RSS ${mib(rss0)} -> ${mib(rssOpen)} (open) -> ${mib(process.memoryUsage().rss)} MiB; ` +
      `fds after ${fds()}; healthy p99 ${percentile(healthy.latencies, 99).toFixed(1)} ms over ${healthy.latencies.length} answers`,
  );
  assert.ok(Math.max(...held) < HEADERS_S * 1000 + SLACK_MS, `an idle connection was held ${Math.max(...held)} ms`);
  assert.ok(rssOpen - rss0 < 64 * MiB, `500 idle connections took ${mib(rssOpen - rss0)} MiB`);
  assert.ok(fds() - fds0 <= 4, `descriptors: ${fds0} -> ${fds()}`);
  assert.deepEqual(healthy.failures, []);
  assert.ok(percentile(healthy.latencies, 99) < HEALTHY_P99_MS, `healthy p99 ${percentile(healthy.latencies, 99)} ms`);
});

test('a connection to the HTTPS listener that never starts its TLS handshake is closed at the headers timeout', async () => {
  const c = await rawConnect(Number(new URL(sb.httpsUrl!).port));
  await c.closed;
  const held = c.closedAt! - c.openedAt;
  console.log(`# an HTTPS connection without a handshake: closed after ${held} ms`);
  assert.ok(held < HEADERS_S * 1000 + SLACK_MS, `held ${held} ms`);
});

test('a body that trickles is ended at the request timeout with 408', async () => {
  const c = await rawConnect(port);
  const auth = sb.authHeaders.authorization;
  c.socket.write(
    `POST /api/v1.0/services/iscsi/authorizedinitiator/ HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`,
  );
  const stop = drip(c, `{"iscsi_target_initiator_initiators": "ALL", "pad": "${' '.repeat(900)}"}`, 100);
  await c.closed;
  stop();
  const held = c.closedAt! - c.openedAt;
  console.log(`# a trickling body: ended after ${held} ms (request timeout ${REQUEST_S} s) with ${statusOf(c)}`);
  assert.ok(held >= REQUEST_S * 1000 - 500 && held < REQUEST_S * 1000 + SLACK_MS, `held ${held} ms`);
  assert.equal(statusOf(c), 408);
});

test('an idle keep-alive connection is closed at the keep-alive timeout', async () => {
  const c = await rawConnect(port);
  c.socket.write(`GET /api/status HTTP/1.1\r\nHost: x\r\nAuthorization: ${sb.authHeaders.authorization}\r\n\r\n`);
  await c.closed;
  const held = c.closedAt! - c.openedAt;
  console.log(`# an idle keep-alive connection: closed ${held} ms after its request (keep-alive timeout ${KEEPALIVE_S} s)`);
  assert.equal(statusOf(c), 200);
  assert.ok(held >= KEEPALIVE_S * 1000 - 200 && held < KEEPALIVE_S * 1000 + SLACK_MS, `held ${held} ms`);
});

test('a long answer outlives the request timeout: the console event stream stays open past it', async () => {
  const login = await sb.request('POST', '/ui/session', { body: { user: sb.auth.user, password: sb.auth.password }, auth: false });
  assert.equal(login.status, 201, login.text);
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const c = await rawConnect(port);
  c.socket.write(`GET /ui/events HTTP/1.1\r\nHost: x\r\nCookie: ${cookie}\r\n\r\n`);
  await new Promise((r) => setTimeout(r, REQUEST_S * 1000 + 1200));
  assert.equal(c.closedAt, null, 'the stream was cut');
  assert.equal(statusOf(c), 200);
  assert.match(c.answer, /text\/event-stream/);
  c.socket.destroy();
});

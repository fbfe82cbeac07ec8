/**
 * GET /metrics against a running sanbox: a known workload (writes, reads, a unit attention,
 * an accepted login, refusals for an initiator not allowed and for a bad CHAP secret)
 * moves the right series by the right amount; the route takes the API's credentials.
 * Also /api/sessions and DELETE /api/sessions/{tsih}.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { IscsiInitiator, LoginFailedError } from '../../src/initiator/client.js';
import { type TestSanbox, startSanbox } from '../support/sanbox.js';
import { freePort } from './peers.js';
import { type Provisioned, basename, post, provisionTarget, withSession } from './provision.js';

let sb: TestSanbox;
let t: Provisioned;
let chapIqn: string;
let onlyIqn: string;
const INITIATOR = 'iqn.2026-12.test:metrics';

before(async () => {
  sb = await startSanbox();
  t = await provisionTarget(sb, { port: await freePort(), size: '16MB' });
  await post(sb, 'authcredential', { iscsi_target_auth_tag: 1, iscsi_target_auth_user: 'metrics-user', iscsi_target_auth_secret: 'metrics-secret-1234' });
  await post(sb, 'target', {
    iscsi_target_name: 'chap',
    iscsi_target_portalgroup: t.portalId,
    iscsi_target_initiatorgroup: t.initiatorGroupId,
    iscsi_target_authtype: 'CHAP',
    iscsi_target_authgroup: 1,
  });
  const only = await post(sb, 'authorizedinitiator', {
    iscsi_target_initiator_initiators: 'iqn.2026-12.test:only-this-one',
    iscsi_target_initiator_auth_network: 'ALL',
  });
  await post(sb, 'target', { iscsi_target_name: 'only', iscsi_target_portalgroup: t.portalId, iscsi_target_initiatorgroup: only.id });
  const base = await basename(sb);
  chapIqn = `${base}:chap`;
  onlyIqn = `${base}:only`;
});
after(async () => {
  await sb.stop();
});

interface Listed {
  initiatorName: string;
  initiatorAddress: string;
  target: string;
  type: string;
  portal: string;
  tsih: number;
  parameters: Record<string, string>;
  commands: number;
  bytesIn: number;
  io: { writes: number; others: number; bytesIn: number; errorsBySenseKey: Record<string, number> };
}

type Series = Array<{ name: string; labels: Record<string, string>; value: number }>;

/** The text format's samples (comments skipped). */
function parse(text: string): Series {
  const out: Series = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, '$1');
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The sum of the samples named `name` whose labels include `labels`. */
function value(series: Series, name: string, labels: Record<string, string> = {}): number {
  return series.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}

async function scrape(): Promise<Series> {
  const res = await fetch(`${sb.baseUrl}/metrics`, { headers: sb.authHeaders });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return parse(await res.text());
}

async function refusedLogin(o: { targetName: string; initiatorName: string; chap?: { user: string; secret: string } }, status: number): Promise<void> {
  const ini = await IscsiInitiator.connect('127.0.0.1', t.port);
  try {
    await assert.rejects(ini.login(o), (e: unknown) => e instanceof LoginFailedError && e.status === status);
  } finally {
    ini.socket.destroy();
  }
}

test('a known workload moves the LU, initiator and portal series by exactly its size', async () => {
  const before = await scrape();
  const lu = { target: t.iqn, lun: '0' };
  const portal = { portal: `127.0.0.1:${t.port}` };
  const WRITES = 8;
  const READS = 5;
  await withSession(t, INITIATOR, [0], async (ini) => {
    for (let i = 0; i < WRITES; i++) assert.equal((await ini.write10(0, i * 4, Buffer.alloc(4 * 512, i + 1))).status, 0);
    for (let i = 0; i < READS; i++) assert.equal((await ini.read10(0, i * 8, 8)).status, 0);
    const during = await scrape();
    assert.equal(value(during, 'sanbox_sessions', { type: 'Normal', target: t.iqn }), 1, 'one live session');
  });
  await refusedLogin({ targetName: onlyIqn, initiatorName: INITIATOR }, 0x0202);
  await refusedLogin({ targetName: chapIqn, initiatorName: INITIATOR, chap: { user: 'metrics-user', secret: 'not-the-secret-at-all' } }, 0x0201);
  // The session's end reaches the server a moment after the socket closes.
  for (let i = 0; i < 50 && value(await scrape(), 'sanbox_sessions', { target: t.iqn }) !== 0; i++) await new Promise((r) => setTimeout(r, 20));
  const after = await scrape();
  const delta = (name: string, labels: Record<string, string> = {}) => value(after, name, labels) - value(before, name, labels);

  assert.equal(delta('sanbox_lu_commands_total', { ...lu, kind: 'write' }), WRITES);
  assert.equal(delta('sanbox_lu_commands_total', { ...lu, kind: 'read' }), READS);
  // withSession's TEST UNIT READY, answered with the new nexus's UNIT ATTENTION.
  assert.equal(delta('sanbox_lu_commands_total', { ...lu, kind: 'other' }), 1);
  assert.equal(delta('sanbox_lu_errors_total', { ...lu, sense_key: 'unit_attention' }), 1);
  assert.equal(delta('sanbox_lu_written_bytes_total', lu), WRITES * 4 * 512);
  assert.equal(delta('sanbox_lu_read_bytes_total', lu), READS * 8 * 512);
  assert.equal(delta('sanbox_lu_latency_seconds_count', { ...lu, op: 'write' }), WRITES);
  assert.equal(delta('sanbox_lu_latency_seconds_count', { ...lu, op: 'read' }), READS);
  assert.equal(delta('sanbox_lu_latency_seconds_bucket', { ...lu, op: 'read', le: '+Inf' }), READS);
  assert.ok(delta('sanbox_lu_latency_seconds_sum', { ...lu, op: 'write' }) > 0);
  const tenants = new Set(after.filter((x) => x.name === 'sanbox_lu_commands_total' && x.labels.target === t.iqn).map((x) => x.labels.tenant));
  assert.equal(tenants.size, 1);
  assert.notEqual([...tenants][0], '', 'the LU carries its tenant');

  const who = { initiator: INITIATOR, target: t.iqn };
  assert.equal(delta('sanbox_initiator_commands_total', { ...who, kind: 'write' }), WRITES, 'an ended session still counts for its initiator');
  assert.equal(delta('sanbox_initiator_commands_total', { ...who, kind: 'read' }), READS);
  assert.equal(delta('sanbox_initiator_written_bytes_total', who), WRITES * 4 * 512);

  assert.equal(delta('sanbox_logins_accepted_total', portal), 1);
  assert.equal(delta('sanbox_logins_refused_total', { ...portal, reason: 'initiator_not_allowed' }), 1);
  assert.equal(delta('sanbox_logins_refused_total', { ...portal, reason: 'bad_chap' }), 1);
  assert.equal(delta('sanbox_logins_refused_total', { ...portal, reason: 'target_not_found' }), 0);
  assert.equal(value(after, 'sanbox_sessions', { target: t.iqn }), 0);
});

test('the pools, the API timings and the process are on /metrics', async () => {
  const s = await scrape();
  const pool = { pool: 'default' };
  assert.ok(value(s, 'sanbox_pool_capacity_bytes', pool) > 0);
  assert.ok(s.some((x) => x.name === 'sanbox_pool_used_bytes' && x.labels.pool === 'default'));
  assert.equal(value(s, 'sanbox_pool_allocated_bytes', pool), 16 * 1024 * 1024);
  assert.ok(value(s, 'sanbox_api_request_duration_seconds_count', { dialect: 'freenas', method: 'POST', status: '201' }) >= 6);
  assert.ok(value(s, 'sanbox_api_request_duration_seconds_count', { dialect: 'sanbox', method: 'GET', status: '200' }) >= 1);
  assert.ok(value(s, 'process_cpu_user_seconds_total') > 0);
  assert.ok(s.some((x) => x.name === 'nodejs_heap_size_used_bytes'));
});

test('/metrics takes the API credentials: none is 401, Basic and a Bearer API key work', async () => {
  const none = await fetch(`${sb.baseUrl}/metrics`);
  assert.equal(none.status, 401);
  await none.text();
  const basic = await fetch(`${sb.baseUrl}/metrics`, {
    headers: { authorization: `Basic ${Buffer.from(`${sb.auth.user}:${sb.auth.password}`).toString('base64')}` },
  });
  assert.equal(basic.status, 200);
  await basic.text();
  const wrong = await fetch(`${sb.baseUrl}/metrics`, { headers: { authorization: `Basic ${Buffer.from(`${sb.auth.user}:nope`).toString('base64')}` } });
  assert.equal(wrong.status, 401);
  await wrong.text();
  const key = (await sb.api('POST', '/api/keys', { name: 'prometheus' })).body.key as string;
  const bearer = await fetch(`${sb.baseUrl}/metrics`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(bearer.status, 200);
  assert.match(await bearer.text(), /sanbox_lu_commands_total/);
  const apiKey = await fetch(`${sb.baseUrl}/metrics`, { headers: { 'x-api-key': key } });
  assert.equal(apiKey.status, 200);
  await apiKey.text();
});

test('/api/sessions lists the live session with its counters; DELETE ends it at once, then 404', async () => {
  const name = 'iqn.2026-12.test:sessions';
  await withSession(t, name, [0], async (ini) => {
    assert.equal((await ini.write10(0, 0, Buffer.alloc(512, 7))).status, 0);
    const list = await sb.api('GET', '/api/sessions');
    assert.equal(list.status, 200);
    const s = (list.body as Listed[]).find((x) => x.initiatorName === name);
    assert.ok(s, 'the session is listed');
    assert.equal(s.target, t.iqn);
    assert.equal(s.type, 'Normal');
    assert.equal(s.portal, `127.0.0.1:${t.port}`);
    assert.match(s.initiatorAddress, /127\.0\.0\.1/);
    assert.ok(s.tsih > 0);
    assert.equal(s.parameters.HeaderDigest, 'None');
    assert.ok(s.parameters.MaxBurstLength);
    assert.equal(s.commands, 2);
    assert.equal(s.io.writes, 1);
    assert.equal(s.io.others, 1);
    assert.equal(s.io.bytesIn, 512);
    assert.equal(s.io.errorsBySenseKey.unit_attention, 1);
    assert.ok(s.bytesIn > 512);

    const closed = new Promise<void>((resolve) => ini.socket.once('close', () => resolve()));
    const del = await sb.request('DELETE', `/api/sessions/${s.tsih}`);
    assert.equal(del.status, 204);
    await closed;
    const again = await sb.api('GET', '/api/sessions');
    assert.ok(!(again.body as Array<{ initiatorName: string }>).some((x) => x.initiatorName === name), 'gone from the list');
    const missing = await sb.request('DELETE', `/api/sessions/${s.tsih}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'entity.not-found');
    const bad = await sb.request('DELETE', '/api/sessions/not-a-number');
    assert.equal(bad.status, 404);
  });
});

/**
 * Connections cut or stalled at a chosen byte by a proxy between the initiator and
 * sanbox's portal: inside a write's Data-Out, inside a login, inside a SendTargets
 * answer. sanbox must end the session at once (GET /api/sessions, /api/status's logins
 * under way), give back what it held, and take the next login as if nothing happened.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { IscsiInitiator } from '../../src/initiator/client.js';
import { FREENAS, startSanbox, type TestSanbox } from '../support/sanbox.js';
import { freePort, iscsiLs, iscsiUrl, run } from '../e2e/peers.js';
import { provisionTarget, type Provisioned } from '../e2e/provision.js';
import { FaultProxy } from './support/net-proxy.js';
import { NO_DIGESTS, drainAttentions, isid, loginAs, outcome, sessionsGone } from './support/net-scsi.js';

const LOGIN_RESPONSE = 0x23;
const LOGIN_REQUEST = 0x03;
const TEXT_RESPONSE = 0x24;
const DATA_OUT = 0x05;
/** A cut connection's session must be gone from the API within this. */
const GONE_MS = 2000;

let sb: TestSanbox;
let t: Provisioned;
let proxy: FaultProxy;

before(async () => {
  sb = await startSanbox({ env: { SANBOX_ISCSI_LOGIN_TIMEOUT: '2' } });
  t = await provisionTarget(sb, { port: await freePort(), size: '16MB' });
  const g = await sb.api('PUT', `${FREENAS}/globalconfiguration/`, { iscsi_iotimeout: 2 });
  assert.equal(g.status, 200, g.text);
  proxy = await FaultProxy.start(t.port);
});
after(async () => {
  await proxy.close();
  await sb.stop();
});

/** A write of `blocks` blocks filled with `byte` at `lba`, through the proxy. */
function writeThrough(ini: IscsiInitiator, lba: number, blocks: number, byte: number) {
  return ini.write10(0, lba, Buffer.alloc(blocks * 512, byte));
}

async function readByte(ini: IscsiInitiator, lba: number): Promise<number> {
  const r = await ini.read10(0, lba, 1);
  assert.equal(outcome(r), 'good');
  return r.data[0]!;
}

test('a write cut inside its Data-Out ends the session; a new one sees a unit attention and the old data', async () => {
  const name = 'iqn.2026-01.test:cut-write';
  const direct = await loginAs(t.port, t.iqn, name, 1);
  await drainAttentions(direct);
  assert.equal(outcome(await direct.write10(0, 0, Buffer.alloc(512, 0xaa))), 'good');
  direct.socket.destroy();
  await sessionsGone(sb, name, GONE_MS);

  // InitialR2T and no immediate data: every byte of the write goes in Data-Out PDUs.
  proxy.arm({ dir: 'up', opcode: DATA_OUT, nth: 1, at: 1000, action: 'cut' });
  const ini = await loginAs(proxy.port, t.iqn, name, 1, { InitialR2T: 'Yes', ImmediateData: 'No' });
  await drainAttentions(ini);
  await assert.rejects(writeThrough(ini, 100, 256, 0xbb), /closed|ECONNRESET/);
  const tookMs = await sessionsGone(sb, name, GONE_MS);
  const status = await sb.api('GET', '/api/status');
  assert.equal(status.body.load.ioBytes, 0, 'the half-received write gave its buffers back');
  console.log(`# write cut in Data-Out: session gone from /api/sessions after ${tookMs} ms`);

  const again = await loginAs(t.port, t.iqn, name, 1);
  assert.deepEqual(await drainAttentions(again), ['06/29/07'], 'the lost nexus is reported as I_T NEXUS LOSS OCCURRED');
  assert.equal(await readByte(again, 0), 0xaa);
  assert.equal(outcome(await again.write10(0, 100, Buffer.alloc(256 * 512, 0xcc))), 'good');
  assert.equal(await readByte(again, 355), 0xcc);
  again.socket.destroy();
});

test('a write stalled inside its Data-Out is dropped at iscsi_iotimeout', async () => {
  const name = 'iqn.2026-01.test:stall-write';
  proxy.arm({ dir: 'up', opcode: DATA_OUT, nth: 1, at: 1000, action: 'stall' });
  const ini = await loginAs(proxy.port, t.iqn, name, 2, { InitialR2T: 'Yes', ImmediateData: 'No' });
  await drainAttentions(ini);
  const t0 = Date.now();
  const write = writeThrough(ini, 0, 256, 0xdd).then(
    () => 'answered',
    () => 'closed',
  );
  const tookMs = await sessionsGone(sb, name, 2000 + 3000);
  console.log(`# write stalled in Data-Out: dropped after ${Date.now() - t0} ms (iscsi_iotimeout 2 s), gone from /api/sessions at ${tookMs} ms`);
  assert.ok(Date.now() - t0 >= 1500, 'not before the timeout');
  assert.equal(await write, 'closed');
  const fresh = await loginAs(t.port, t.iqn, name, 2);
  assert.deepEqual(await drainAttentions(fresh), ['06/29/07']);
  fresh.socket.destroy();
});

for (const c of [
  { what: 'the first Login Response', fault: { dir: 'down', opcode: LOGIN_RESPONSE, nth: 1, at: 20 } },
  { what: 'the second Login Request (operational stage)', fault: { dir: 'up', opcode: LOGIN_REQUEST, nth: 2, at: 60 } },
  { what: 'the last Login Response', fault: { dir: 'down', opcode: LOGIN_RESPONSE, nth: 2, at: 60 } },
] as const) {
  test(`a login cut inside ${c.what} leaves no session and no login under way`, async () => {
    const name = `iqn.2026-01.test:cut-login-${c.fault.dir}-${c.fault.nth}`;
    proxy.arm({ ...c.fault, action: 'cut' });
    const ini = await IscsiInitiator.connect('127.0.0.1', proxy.port);
    ini.requestTimeoutMs = 5000;
    await assert.rejects(ini.login({ initiatorName: name, targetName: t.iqn, isid: isid(3), ...NO_DIGESTS }));
    const tookMs = await sessionsGone(sb, name, GONE_MS);
    console.log(`# login cut inside ${c.what}: gone after ${tookMs} ms`);
    const fresh = await loginAs(t.port, t.iqn, name, 3);
    await drainAttentions(fresh);
    fresh.socket.destroy();
  });
}

test('a login stalled halfway through its first PDU is dropped at the login deadline', async () => {
  const name = 'iqn.2026-01.test:stall-login';
  proxy.arm({ dir: 'up', opcode: LOGIN_REQUEST, nth: 1, at: 30, action: 'stall' });
  const ini = await IscsiInitiator.connect('127.0.0.1', proxy.port);
  const t0 = Date.now();
  const login = ini.login({ initiatorName: name, targetName: t.iqn, isid: isid(4), ...NO_DIGESTS }).then(
    () => 'logged in',
    () => 'failed',
  );
  await ini.whenClosed();
  const ms = Date.now() - t0;
  console.log(`# login stalled after 30 bytes: dropped after ${ms} ms (deadline 2 s)`);
  assert.ok(ms >= 1500 && ms < 4000, `dropped after ${ms} ms`);
  assert.equal(await login, 'failed');
  await sessionsGone(sb, name, GONE_MS);
});

test('a SendTargets answer cut halfway fails iscsi-ls; the discovery session ends and the next one lists the target', async () => {
  proxy.arm({ dir: 'down', opcode: TEXT_RESPONSE, nth: 1, at: 60, action: 'cut' });
  // libiscsi then reconnects to an empty address forever (its own bug): bounded by a timeout.
  const cut = await run('iscsi-ls', ['-s', iscsiUrl(proxy.port)], { timeoutMs: 3000 });
  assert.doesNotMatch(cut.stdout, /Target:/, 'iscsi-ls listed targets from a cut answer');
  assert.equal(proxy.faults > 0, true);
  // libiscsi names itself iqn.2007-10.com.github:sahlberg:libiscsi:iscsi-ls
  const tookMs = await sessionsGone(sb, 'iqn.2007-10.com.github:sahlberg:libiscsi:iscsi-ls', GONE_MS);
  console.log(`# SendTargets cut after 60 bytes: discovery session gone after ${tookMs} ms`);
  const ls = await iscsiLs(t.port);
  assert.equal(ls.raw.code, 0, ls.raw.stderr);
  assert.ok(ls.targets.has(t.iqn), ls.raw.stdout);
});

test('a SendTargets answer cut for the project initiator: the next discovery gets the whole list', async () => {
  const name = 'iqn.2026-01.test:cut-discovery';
  proxy.arm({ dir: 'down', opcode: TEXT_RESPONSE, nth: 1, at: 49, action: 'cut' });
  const ini = await IscsiInitiator.connect('127.0.0.1', proxy.port);
  ini.requestTimeoutMs = 5000;
  await ini.login({ initiatorName: name, isid: isid(5), ...NO_DIGESTS });
  await assert.rejects(ini.sendTargets());
  await sessionsGone(sb, name, GONE_MS);
  const fresh = await IscsiInitiator.connect('127.0.0.1', t.port);
  await fresh.login({ initiatorName: name, isid: isid(5), ...NO_DIGESTS });
  const list = await fresh.sendTargets();
  assert.deepEqual(
    list.map((x) => x.name),
    [t.iqn],
  );
  fresh.socket.destroy();
});

/**
 * The project's initiator against the project's target: CHAP (one-way and mutual), digests,
 * SendTargets, I/O helpers, and its error types.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { IscsiInitiator, LoginFailedError } from '../../src/initiator/client.js';
import { TestCatalog, globals, memoryLu, startTarget, type Running } from '../iscsi/harness.js';

const ONE_WAY = 'iqn.2026-11.test.sanbox:chap';
const MUTUAL = 'iqn.2026-11.test.sanbox:mutual';
const INI = 'iqn.2026-11.test.sanbox:client';
const cred = { user: 'client', secret: 'client-secret-1', peerUser: 'target', peerSecret: 'target-secret-2' };
let run: Running;

before(async () => {
  const catalog = new TestCatalog(globals());
  catalog.add({ name: ONE_WAY, auth: { method: 'CHAP', credentials: [cred] }, luns: new Map([[0, await memoryLu(1 << 20)]]) });
  catalog.add({ name: MUTUAL, auth: { method: 'CHAP Mutual', credentials: [cred] }, luns: new Map([[0, await memoryLu(1 << 20)]]) });
  run = await startTarget(catalog);
});
after(async () => {
  await run.stop();
});

async function ready(c: IscsiInitiator): Promise<void> {
  for (let i = 0; i < 4 && (await c.scsi(0, Buffer.alloc(6))).status !== 0; i++);
}

test('CHAP one-way: login, I/O, logout', async () => {
  const c = await IscsiInitiator.connect('127.0.0.1', run.port);
  const r = await c.login({ initiatorName: INI, targetName: ONE_WAY, chap: { user: 'client', secret: 'client-secret-1', offer: [5] } });
  assert.ok(r.tsih > 0);
  assert.equal(r.targetKeys.AuthMethod, 'CHAP');
  assert.equal(r.targetKeys.CHAP_A, '5');
  await ready(c);
  const data = randomBytes(4096);
  assert.equal((await c.write10(0, 8, data)).status, 0);
  assert.ok((await c.read10(0, 8, 8)).data.equals(data));
  assert.equal(await c.logout(), 0);
});

test('CHAP mutual: the target proves itself; a wrong target secret is noticed', async () => {
  const c = await IscsiInitiator.connect('127.0.0.1', run.port);
  await c.login({
    initiatorName: INI,
    targetName: MUTUAL,
    chap: { user: 'client', secret: 'client-secret-1', targetUser: 'target', targetSecret: 'target-secret-2' },
  });
  await c.logout();
  const bad = await IscsiInitiator.connect('127.0.0.1', run.port);
  await assert.rejects(
    bad.login({ initiatorName: INI, targetName: MUTUAL, chap: { user: 'client', secret: 'client-secret-1', targetSecret: 'not-the-secret' } }),
    /mutual CHAP/,
  );
  bad.close();
});

test('CHAP failures: wrong secret 0x0201, mutual target without mutual initiator 0x0201, no CHAP 0x0201', async () => {
  for (const chap of [
    { user: 'client', secret: 'wrong-secret-000' },
    { user: 'nobody', secret: 'client-secret-1' },
  ]) {
    const c = await IscsiInitiator.connect('127.0.0.1', run.port);
    await assert.rejects(c.login({ initiatorName: INI, targetName: ONE_WAY, chap }), (e: unknown) => e instanceof LoginFailedError && e.status === 0x0201);
    await c.whenClosed();
  }
  const m = await IscsiInitiator.connect('127.0.0.1', run.port);
  await assert.rejects(
    m.login({ initiatorName: INI, targetName: MUTUAL, chap: { user: 'client', secret: 'client-secret-1' } }),
    (e: unknown) => e instanceof LoginFailedError && e.status === 0x0201,
  );
  const n = await IscsiInitiator.connect('127.0.0.1', run.port);
  await assert.rejects(n.login({ initiatorName: INI, targetName: ONE_WAY }), (e: unknown) => e instanceof LoginFailedError && e.status === 0x0201);
});

test('digests negotiated by the client apply to both directions', async () => {
  const c = await IscsiInitiator.connect('127.0.0.1', run.port);
  await c.login({ initiatorName: INI, targetName: ONE_WAY, chap: { user: 'client', secret: 'client-secret-1' }, headerDigest: 'CRC32C', dataDigest: 'CRC32C' });
  assert.equal(c.neg.headerDigest, true);
  assert.equal(c.neg.dataDigest, true);
  await ready(c);
  const data = randomBytes(64 * 1024);
  assert.equal((await c.write10(0, 0, data)).status, 0);
  assert.ok((await c.read10(0, 0, 128)).data.equals(data));
  const info = run.server.sessions().find((s) => s.tsih === c.tsih)!;
  assert.equal(info.parameters.HeaderDigest, 'CRC32C');
  await c.logout();
});

test('connect to a closed port fails; commands on a closed connection reject', async () => {
  await assert.rejects(IscsiInitiator.connect('127.0.0.1', 1));
  const c = await IscsiInitiator.connect('127.0.0.1', run.port);
  c.close();
  await c.whenClosed();
  await assert.rejects(c.read10(0, 0, 1));
});

test('discovery CHAP from TargetGlobals.discoveryAuth', async () => {
  const g = run.catalog.g;
  run.catalog.g = { ...g, discoveryAuth: { method: 'CHAP', credentials: [cred] } };
  try {
    const no = await IscsiInitiator.connect('127.0.0.1', run.port);
    await assert.rejects(no.login({ initiatorName: INI }), (e: unknown) => e instanceof LoginFailedError && e.status === 0x0201);
    const yes = await IscsiInitiator.connect('127.0.0.1', run.port);
    await yes.login({ initiatorName: INI, chap: { user: 'client', secret: 'client-secret-1' } });
    assert.deepEqual(
      (await yes.sendTargets()).map((t) => t.name),
      [ONE_WAY, MUTUAL],
    );
    await yes.logout();
  } finally {
    run.catalog.g = g;
  }
});

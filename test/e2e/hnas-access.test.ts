/**
 * An HNAS target's settings, live, seen by real initiators: its logical unit at LUN 3,
 * CHAP required and lifted by `enableAuthentication` (the CHAP user is the alias),
 * `accessConfig` admitting, refusing and write-protecting by address, and `regenerateGUN`
 * ending the session and changing what discovery shows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IscsiInitiator, LoginFailedError } from '../../src/initiator/client.js';
import { type TestSanbox, startSanbox } from '../support/sanbox.js';
import { freePort, run } from './peers.js';
import { senseOf } from './provision.js';

const EVS_ADDRESS = '127.0.0.4';
const SECRET = 'hnas-secret-12';
const MiB = 1024 * 1024;

async function call(sb: TestSanbox, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await sb.request(method, `/v9/storage${path}`, { body });
  return { status: r.status, body: r.body };
}

async function patchTarget(sb: TestSanbox, id: string, body: Record<string, unknown>): Promise<any> {
  const r = await call(sb, 'PATCH', `/iscsi-targets/${id}`, body);
  assert.equal(r.status, 303, JSON.stringify(r.body));
  return r.body.iscsiTarget;
}

/** The login's status (0x0202 refused, 0x0201 authentication failed), or null when it logs in. */
async function loginStatus(port: number, targetName: string, chap?: { user: string; secret: string }): Promise<number | null> {
  const ini = await IscsiInitiator.connect(EVS_ADDRESS, port);
  try {
    await ini.login({ initiatorName: 'iqn.2026-01.org.example:hnas-host', targetName, ...(chap ? { chap } : {}) });
    return null;
  } catch (err) {
    if (err instanceof LoginFailedError) return err.status;
    throw err;
  } finally {
    ini.socket.destroy();
  }
}

test('an HNAS target: LUN 3, CHAP by enableAuthentication, accessConfig by address (ro is DATA PROTECT), regenerateGUN', { timeout: 300_000 }, async () => {
  const port = await freePort(EVS_ADDRESS);
  const sb = await startSanbox({ env: { SANBOX_PORTAL_PORT: String(port) } });
  try {
    const evs = await call(sb, 'POST', '/virtual-servers', { name: 'evs2', ipAddresses: [EVS_ADDRESS] });
    assert.equal(evs.status, 201, JSON.stringify(evs.body));
    const server = evs.body.virtualServer.virtualServerId;
    const lu = await call(sb, 'POST', '/iscsi-logical-units', { name: 'lu1', virtualServerId: server, size: 16 * MiB });
    assert.equal(lu.status, 201, JSON.stringify(lu.body));
    const made = await call(sb, 'POST', '/iscsi-targets', { alias: 't1', virtualServerId: server, comment: 'e2e' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const id = made.body.iscsiTarget.objectId as string;
    const added = await call(sb, 'POST', `/iscsi-targets/${id}/iscsi-logical-units`, {
      logicalUnit: 3,
      logicalUnitObjectId: lu.body.iscsiLogicalUnit.objectId,
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    let iqn = made.body.iscsiTarget.globalUniqueName as string;

    // LUN 3, as iscsi-readcapacity16 sees it.
    const cap = await run('iscsi-readcapacity16', [`iscsi://${EVS_ADDRESS}:${port}/${iqn}/3`]);
    assert.equal(cap.code, 0, cap.stderr);
    assert.match(cap.stdout, new RegExp(`Total size:${16 * MiB}\\b`));

    // CHAP required: without it refused, with the alias and the secret admitted; then lifted.
    await patchTarget(sb, id, { enableAuthentication: true, secret: SECRET });
    assert.equal(await loginStatus(port, iqn), 0x0201);
    assert.equal(await loginStatus(port, iqn, { user: 't1', secret: 'wrong-secret-1' }), 0x0201);
    assert.equal(await loginStatus(port, iqn, { user: 't1', secret: SECRET }), null);
    const inq = await run('iscsi-inq', [`iscsi://t1%${SECRET}@${EVS_ADDRESS}:${port}/${iqn}/3`]);
    assert.equal(inq.code, 0, inq.stderr);
    await patchTarget(sb, id, { enableAuthentication: false });
    assert.equal(await loginStatus(port, iqn), null);

    // accessConfig: 127.0.0.1 (where the initiator connects from) refused, then read-only.
    await patchTarget(sb, id, { accessConfig: '*, 127.0.0.1(noaccess)' });
    assert.equal(await loginStatus(port, iqn), 0x0202);
    await patchTarget(sb, id, { accessConfig: '10.0.0.0/8' });
    assert.equal(await loginStatus(port, iqn), 0x0202, 'no entry admits 127.0.0.1');
    await patchTarget(sb, id, { accessConfig: '127.0.0.1(ro);10.0.0.0/8(rw)' });
    const ini = await IscsiInitiator.connect(EVS_ADDRESS, port);
    try {
      await ini.login({ initiatorName: 'iqn.2026-01.org.example:hnas-host', targetName: iqn });
      await ini.scsi(3, Buffer.alloc(6)); // past the POWER ON unit attention
      const read = await ini.read10(3, 0, 1);
      assert.equal(read.status, 0);
      const write = await ini.write10(3, 0, Buffer.alloc(512, 0xab));
      assert.equal(senseOf(write), '07/27/00', 'DATA PROTECT, WRITE PROTECTED');
    } finally {
      ini.socket.destroy();
    }
    await patchTarget(sb, id, { accessConfig: '' });

    // regenerateGUN: the live session ends, discovery shows the new name and not the old.
    const live = await IscsiInitiator.connect(EVS_ADDRESS, port);
    try {
      await live.login({ initiatorName: 'iqn.2026-01.org.example:hnas-host', targetName: iqn });
      const closed = new Promise<void>((resolve) => live.socket.once('close', () => resolve()));
      const renamed = await patchTarget(sb, id, { regenerateGUN: true });
      assert.notEqual(renamed.globalUniqueName, iqn);
      await closed;
      const before = iqn;
      iqn = renamed.globalUniqueName;
      const ls = await run('iscsi-ls', [`iscsi://${EVS_ADDRESS}:${port}`]);
      assert.equal(ls.code, 0, ls.stderr);
      assert.ok(ls.stdout.includes(`Target:${iqn} `), ls.stdout);
      assert.ok(!ls.stdout.includes(`Target:${before} `), ls.stdout);
    } finally {
      live.socket.destroy();
    }
    assert.equal(await loginStatus(port, iqn), null);
  } finally {
    await sb.stop();
  }
});

/**
 * Reservations across a cut connection, by SPC-4's rules: a persistent reservation and its
 * registrations outlive the I_T nexus (5.13: only PR OUT, a hard reset with APTPL off or a
 * power loss end them; nexus loss is none of these); an SPC-2 RESERVE is released by it
 * (SPC-2 5.5.1). A PERSISTENT RESERVE OUT cut before its parameter list arrived did nothing.
 * The initiator port that lost its nexus is told I_T NEXUS LOSS OCCURRED when it returns.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSanbox, type TestSanbox } from '../support/sanbox.js';
import { freePort } from '../e2e/peers.js';
import { provisionTarget } from '../e2e/provision.js';
import { FaultProxy } from './support/net-proxy.js';
import {
  PR_REGISTER,
  PR_RESERVE,
  PR_WRITE_EXCLUSIVE,
  RELEASE6,
  RESERVE6,
  drainAttentions,
  loginAs,
  outcome,
  persistentOut,
  prOut,
  readKeys,
  readReservation,
  sessionsGone,
  writeBlock,
} from './support/net-scsi.js';

const SCSI_COMMAND = 0x01;
const PR_OUT = 0x5f;
const A = 'iqn.2026-01.test:holder';
const B = 'iqn.2026-01.test:other';
const KEY_A = 0xa1n;

let sb: TestSanbox;
let n = 0;

before(async () => {
  sb = await startSanbox();
});
after(async () => {
  await sb.stop();
});

/** A fresh target (its own LU, no reservations) and a proxy to its portal. */
async function fresh(): Promise<{ iqn: string; port: number; proxy: FaultProxy }> {
  const t = await provisionTarget(sb, { port: await freePort(), name: `pr${n++}`, size: '4MB' });
  return { iqn: t.iqn, port: t.port, proxy: await FaultProxy.start(t.port) };
}

test('a persistent reservation and its registration survive the holder connection being cut', async () => {
  const { iqn, port, proxy } = await fresh();
  try {
    const a = await loginAs(proxy.port, iqn, A, 1);
    await drainAttentions(a);
    assert.equal(await persistentOut(a, PR_REGISTER, 0n, KEY_A), 'good');
    assert.equal(await persistentOut(a, PR_RESERVE, KEY_A, 0n, PR_WRITE_EXCLUSIVE), 'good');
    proxy.cutAll();
    await sessionsGone(sb, A, 2000);

    const b = await loginAs(port, iqn, B, 2);
    await drainAttentions(b);
    assert.deepEqual(await readKeys(b), [KEY_A], 'the registration is kept, once');
    assert.deepEqual(await readReservation(b), { key: KEY_A, type: PR_WRITE_EXCLUSIVE });
    assert.equal(await writeBlock(b, 0, 0xbb), 'conflict', 'Write Exclusive still holds');

    // The holder's initiator port (same name, same ISID) comes back: still the holder.
    const back = await loginAs(port, iqn, A, 1);
    assert.deepEqual(await drainAttentions(back), ['06/29/07']);
    assert.equal(await writeBlock(back, 0, 0xaa), 'good');
    // Released by PR OUT only: then B may write.
    assert.equal(await persistentOut(back, 2 /* RELEASE */, KEY_A, 0n, PR_WRITE_EXCLUSIVE), 'good');
    assert.equal(await writeBlock(b, 0, 0xbb), 'good');
    back.socket.destroy();
    b.socket.destroy();
  } finally {
    await proxy.close();
  }
});

test('a PERSISTENT RESERVE OUT cut inside its parameter list registers nothing', async () => {
  const { iqn, port, proxy } = await fresh();
  try {
    // Immediate data: the 24-byte parameter list rides in the SCSI Command PDU; cut 10 bytes into it.
    proxy.arm({ dir: 'up', opcode: SCSI_COMMAND, match: (bhs) => bhs[32] === PR_OUT, at: 48 + 10, action: 'cut' });
    const a = await loginAs(proxy.port, iqn, A, 1);
    await drainAttentions(a);
    const { cdb, data } = prOut(PR_REGISTER, 0n, KEY_A);
    await assert.rejects(a.scsi(0, cdb, { dataOut: data }));
    await sessionsGone(sb, A, 2000);

    const b = await loginAs(port, iqn, B, 2);
    await drainAttentions(b);
    assert.deepEqual(await readKeys(b), []);
    // A reservation cut the same way, by a registered holder, is not made either.
    const back = await loginAs(proxy.port, iqn, A, 1);
    await drainAttentions(back);
    assert.equal(await persistentOut(back, PR_REGISTER, 0n, KEY_A), 'good');
    back.socket.destroy();
    await sessionsGone(sb, A, 2000);
    proxy.arm({ dir: 'up', opcode: SCSI_COMMAND, match: (bhs) => bhs[32] === PR_OUT, at: 48 + 4, action: 'cut' });
    const again = await loginAs(proxy.port, iqn, A, 1);
    await drainAttentions(again);
    const res = prOut(PR_RESERVE, KEY_A, 0n, PR_WRITE_EXCLUSIVE);
    await assert.rejects(again.scsi(0, res.cdb, { dataOut: res.data }));
    await sessionsGone(sb, A, 2000);
    assert.equal(await readReservation(b), null);
    assert.deepEqual(await readKeys(b), [KEY_A]);
    assert.equal(await writeBlock(b, 0, 0xbb), 'good');
    b.socket.destroy();
  } finally {
    await proxy.close();
  }
});

test('an SPC-2 RESERVE is released when its connection is cut', async () => {
  const { iqn, port, proxy } = await fresh();
  try {
    const b = await loginAs(port, iqn, B, 2);
    await drainAttentions(b);

    const a = await loginAs(proxy.port, iqn, A, 1);
    await drainAttentions(a);
    assert.equal(outcome(await a.scsi(0, RESERVE6)), 'good');
    assert.equal(await writeBlock(b, 0, 0xbb), 'conflict');
    proxy.cutAll();
    await sessionsGone(sb, A, 2000);
    assert.equal(await writeBlock(b, 0, 0xbb), 'good', 'nexus loss released the reservation');
    assert.equal(outcome(await b.scsi(0, RESERVE6)), 'good', 'and another may take it');
    assert.equal(outcome(await b.scsi(0, RELEASE6)), 'good');
    b.socket.destroy();
  } finally {
    await proxy.close();
  }
});

/**
 * Issue 9 with real peers: while one hostile session holds its share of the I/O budget
 * (64 READs of 8 MiB whose responses it never reads) and slow-drip logins fill another
 * address's pending-login cap, qemu-img writes and reads back through the same target
 * and libiscsi's iscsi-inq logs in. The attackers are still connected when it is done:
 * nobody waited for them to be dropped.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { IscsiInitiator } from '../../src/initiator/client.js';
import { encodePdu, framePdu } from '../../src/iscsi/pdu/framer.js';
import { serializeLoginRequest } from '../../src/iscsi/pdu/login.js';
import { serializeScsiCommand } from '../../src/iscsi/pdu/scsi.js';
import { serializeText } from '../../src/iscsi/text.js';
import { startSanbox, type TestSanbox } from '../support/sanbox.js';
import { freePort, iscsiUrl, run } from './peers.js';
import { provisionTarget, type Provisioned } from './provision.js';

const MiB = 1024 * 1024;
let sb: TestSanbox;
let t: Provisioned;
let dir: string;

before(async () => {
  sb = await startSanbox({ env: { SANBOX_ISCSI_IO_MEMORY_MB: '64', SANBOX_ISCSI_PENDING_LOGINS_PER_ADDRESS: '8' } });
  t = await provisionTarget(sb, { port: await freePort(), size: '64MB' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-hard-peers-'));
});

after(async () => {
  await sb.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A session that asks for 64 x 8 MiB of reads and reads none of the answers. */
async function budgetHog(): Promise<IscsiInitiator> {
  const c = await IscsiInitiator.connect('127.0.0.1', t.port);
  await c.login({ initiatorName: 'iqn.2026-12.test.sanbox:hog', targetName: t.iqn, isid: Buffer.from('80000000d0d0', 'hex') });
  for (let i = 0; i < 3 && (await c.scsi(0, Buffer.alloc(6))).status !== 0; i++);
  c.socket.pause();
  let cmdSN = c.cmdSN;
  for (let i = 0; i < 64; i++) {
    const cdb = Buffer.alloc(16);
    cdb[0] = 0x28;
    cdb.writeUInt16BE((8 * MiB) / 512, 7);
    const immediate = i >= 32;
    const parts: Buffer[] = [];
    framePdu(
      serializeScsiCommand({
        immediate,
        final: true,
        read: true,
        write: false,
        attribute: 1,
        lun: 0,
        itt: 0x5000 + i,
        expectedLength: 8 * MiB,
        cmdSN,
        expStatSN: c.expStatSN,
        cdb,
      }),
      null,
      false,
      false,
      parts,
    );
    for (const p of parts) c.writeRaw(p);
    if (!immediate) cmdSN = (cmdSN + 1) >>> 0;
  }
  return c;
}

/** Connections from 127.0.0.2 that send a login one byte at a time. */
function dripLogins(n: number): { sockets: net.Socket[]; stop: () => void } {
  const pdu = encodePdu(
    serializeLoginRequest({
      transit: true,
      cont: false,
      csg: 0,
      nsg: 1,
      versionMax: 0,
      versionMin: 0,
      isid: Buffer.from('80000000d1d1', 'hex'),
      tsih: 0,
      itt: 1,
      cid: 0,
      cmdSN: 1,
      expStatSN: 0,
    }),
    serializeText([
      ['InitiatorName', 'iqn.2026-12.test.sanbox:drip'],
      ['TargetName', t.iqn],
    ]),
  );
  const sockets = Array.from({ length: n }, () => {
    const s = net.connect({ host: '127.0.0.1', port: t.port, localAddress: '127.0.0.2' });
    s.on('error', () => {});
    return s;
  });
  let at = 0;
  const timer = setInterval(() => {
    for (const s of sockets) if (!s.destroyed) s.write(pdu.subarray(at, at + 1));
    at = (at + 1) % 40;
  }, 200);
  return {
    sockets,
    stop: () => {
      clearInterval(timer);
      for (const s of sockets) s.destroy();
    },
  };
}

test('qemu-img and iscsi-inq are served while a session hogs its budget share and drips fill a pending-login cap', async () => {
  const hog = await budgetHog();
  const drips = dripLogins(8);
  try {
    await new Promise((r) => setTimeout(r, 500));
    const load = (await sb.api('GET', '/api/status')).body.load;
    assert.ok(load.ioBytes > 0 && load.ioBytes <= 16 * MiB + 8 * MiB, `the hog holds its share only: ${JSON.stringify(load)}`);
    assert.ok(load.loggingIn >= 8, JSON.stringify(load));

    const src = path.join(dir, 'src.raw');
    const back = path.join(dir, 'back.raw');
    fs.writeFileSync(src, crypto.randomBytes(4 * MiB));
    const url = iscsiUrl(t.port, t.iqn, 0);
    const into = await run('qemu-img', ['convert', '-n', '-f', 'raw', '-O', 'raw', src, url], { timeoutMs: 20_000 });
    assert.equal(into.code, 0, into.stderr);
    const out = await run('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', url, back], { timeoutMs: 20_000 });
    assert.equal(out.code, 0, out.stderr);
    assert.ok(
      fs
        .readFileSync(back)
        .subarray(0, 4 * MiB)
        .equals(fs.readFileSync(src)),
      'qemu-img reads back what it wrote',
    );
    const inq = await run('iscsi-inq', [url], { timeoutMs: 10_000 });
    assert.equal(inq.code, 0, inq.stderr);

    const sessions = (await sb.api('GET', '/api/status')).body.sessions as Array<{ initiatorName: string }>;
    assert.ok(
      sessions.some((s) => s.initiatorName.endsWith(':hog')),
      'the hog is still connected: nobody waited for it to be dropped',
    );
    assert.ok(
      drips.sockets.some((s) => !s.destroyed),
      'the drips are still there',
    );
  } finally {
    drips.stop();
    hog.socket.destroy();
  }
});

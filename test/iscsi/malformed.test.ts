/**
 * Hostile input at the port: random bytes, truncated PDUs, oversized data segments,
 * bad opcodes and out-of-window CmdSNs. The process survives, the bad connection gets a
 * Reject or is closed, and a healthy session alongside keeps doing correct I/O.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Opcode, opcodeOf, type Pdu } from '../../src/iscsi/pdu/bhs.js';
import { PduParser, encodePdu } from '../../src/iscsi/pdu/framer.js';
import { parseLoginResponse, serializeLoginRequest } from '../../src/iscsi/pdu/login.js';
import { parseReject } from '../../src/iscsi/pdu/reject.js';
import { serializeScsiCommand } from '../../src/iscsi/pdu/scsi.js';
import { serializeText } from '../../src/iscsi/text.js';
import { HealthySession, TestCatalog, globals, memoryLu, startTarget, type Running } from './harness.js';

const T0 = 'iqn.2026-11.test.sanbox:bad';
const INI = 'iqn.2026-11.test.sanbox:fuzzer';
let run: Running;
let healthy: HealthySession;
const golden = randomBytes(64 * 1024);

before(async () => {
  const catalog = new TestCatalog(globals({ maxRecvDataSegmentLength: 65536 }));
  catalog.add({ name: T0, luns: new Map([[0, await memoryLu(4 << 20)]]) });
  run = await startTarget(catalog);
  healthy = await HealthySession.open(run.port, T0, golden, INI);
});

after(async () => {
  await healthy.close();
  await run.stop();
});

const healthyStillWorks = (): Promise<void> => healthy.stillWorks();

/** Raw socket that records what the target sends back and when it closes. */
function raw(): Promise<{ sock: net.Socket; pdus: Pdu[]; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port: run.port });
    const pdus: Pdu[] = [];
    const parser = new PduParser({ maxDataSegmentLength: 1 << 24, headerDigest: false, dataDigest: false });
    sock.on('data', (c) => {
      try {
        parser.feed(c, (p) => pdus.push({ bhs: Buffer.from(p.bhs), ahs: null, data: Buffer.from(p.data) }));
      } catch {
        /* ignore */
      }
    });
    sock.on('error', () => {});
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    sock.once('connect', () => resolve({ sock, pdus, closed }));
    sock.once('error', reject);
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`timeout: ${what}`)), ms))]);
}

async function loggedInRaw() {
  const r = await raw();
  const bhs = serializeLoginRequest({
    transit: true,
    cont: false,
    csg: 1,
    nsg: 3,
    versionMax: 0,
    versionMin: 0,
    isid: randomBytes(6),
    tsih: 0,
    itt: 1,
    cid: 0,
    cmdSN: 100,
    expStatSN: 0,
  });
  r.sock.write(
    encodePdu(
      bhs,
      serializeText([
        ['InitiatorName', INI],
        ['TargetName', T0],
      ]),
    ),
  );
  await withTimeout(
    (async () => {
      while (r.pdus.length === 0) await new Promise((x) => setTimeout(x, 5));
    })(),
    2000,
    'login',
  );
  assert.equal(parseLoginResponse(r.pdus[0]!).statusClass, 0);
  r.pdus.length = 0;
  return r;
}

test('random bytes before login: the connection is closed (after a login reject at most)', async () => {
  for (let i = 0; i < 20; i++) {
    const r = await raw();
    r.sock.write(randomBytes(1 + Math.floor(Math.random() * 300)));
    r.sock.end();
    await withTimeout(r.closed, 5000, 'close after random bytes');
    for (const p of r.pdus) assert.equal(opcodeOf(p.bhs), Opcode.LoginResponse);
  }
  await healthyStillWorks();
});

test('a non-login PDU during login gets status 0x020b and a close', async () => {
  const r = await raw();
  const cmd = serializeScsiCommand({
    immediate: false,
    final: true,
    read: true,
    write: false,
    attribute: 1,
    lun: 0,
    itt: 5,
    expectedLength: 512,
    cmdSN: 1,
    expStatSN: 0,
    cdb: Buffer.from([0x28]),
  });
  r.sock.write(cmd);
  await withTimeout(r.closed, 5000, 'close');
  assert.equal(r.pdus.length, 1);
  assert.equal((parseLoginResponse(r.pdus[0]!).statusClass << 8) | parseLoginResponse(r.pdus[0]!).statusDetail, 0x020b);
  await healthyStillWorks();
});

test('truncated PDUs and half-open connections do not disturb others', async () => {
  const socks = [];
  for (let n of [1, 20, 47, 48 + 10]) {
    const r = await raw();
    const bhs = serializeLoginRequest({
      transit: true,
      cont: false,
      csg: 1,
      nsg: 3,
      versionMax: 0,
      versionMin: 0,
      isid: randomBytes(6),
      tsih: 0,
      itt: 1,
      cid: 0,
      cmdSN: 1,
      expStatSN: 0,
    });
    const full = encodePdu(
      bhs,
      serializeText([
        ['InitiatorName', INI],
        ['TargetName', T0],
      ]),
    );
    r.sock.write(full.subarray(0, Math.min(n, full.length)));
    socks.push(r);
  }
  await healthyStillWorks();
  for (const r of socks) r.sock.destroy();
});

test('oversized data segment in full feature phase: Reject (protocol error) then close', async () => {
  const r = await loggedInRaw();
  const bhs = serializeScsiCommand({
    immediate: false,
    final: true,
    read: false,
    write: true,
    attribute: 1,
    lun: 0,
    itt: 9,
    expectedLength: 1 << 20,
    cmdSN: 100,
    expStatSN: 1,
    cdb: Buffer.from([0x2a]),
  });
  bhs[5] = 0x10; // DataSegmentLength 1 MiB > 64 KiB
  r.sock.write(bhs);
  await withTimeout(r.closed, 5000, 'close');
  const rej = r.pdus.find((p) => opcodeOf(p.bhs) === Opcode.Reject);
  assert.ok(rej, 'a Reject was sent');
  assert.equal(parseReject(rej).reason, 0x04);
  await healthyStillWorks();
});

test('unknown opcodes and target-only opcodes get Reject "command not supported"; the connection lives', async () => {
  const r = await loggedInRaw();
  for (const op of [0x1c, 0x21, 0x3f]) {
    const bhs = Buffer.alloc(48);
    bhs[0] = op;
    bhs[1] = 0x80;
    r.sock.write(bhs);
  }
  await withTimeout(
    (async () => {
      while (r.pdus.length < 3) await new Promise((x) => setTimeout(x, 5));
    })(),
    2000,
    'rejects',
  );
  assert.deepEqual(
    r.pdus.map((p) => [opcodeOf(p.bhs), parseReject(p).reason]),
    [
      [0x3f, 5],
      [0x3f, 5],
      [0x3f, 5],
    ],
  );
  // The rejected header comes back in the data segment.
  assert.equal(r.pdus[0]!.data[0], 0x1c);
  r.sock.destroy();
  await healthyStillWorks();
});

test('out-of-window CmdSNs are ignored; a flood of them closes the connection', async () => {
  const r = await loggedInRaw();
  for (let i = 0; i < 40; i++) {
    const cmd = serializeScsiCommand({
      immediate: false,
      final: true,
      read: false,
      write: false,
      attribute: 1,
      lun: 0,
      itt: 1000 + i,
      expectedLength: 0,
      cmdSN: 5000 + i * 1000,
      expStatSN: 1,
      cdb: Buffer.alloc(6),
    });
    r.sock.write(cmd);
  }
  await withTimeout(r.closed, 5000, 'close after CmdSN flood');
  assert.equal(r.pdus.filter((p) => opcodeOf(p.bhs) === Opcode.ScsiResponse).length, 0);
  await healthyStillWorks();
});

test('immediate data longer than EDTL, Data-Out for unknown tasks, bad Data-Out offsets', async () => {
  const r = await loggedInRaw();
  const cmd = serializeScsiCommand({
    immediate: false,
    final: true,
    read: false,
    write: true,
    attribute: 1,
    lun: 0,
    itt: 77,
    expectedLength: 512,
    cmdSN: 100,
    expStatSN: 1,
    cdb: Buffer.from([0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0]),
  });
  r.sock.write(encodePdu(cmd, Buffer.alloc(1024)));
  // Data-Out for a task that does not exist: silently dropped.
  const dout = Buffer.alloc(48);
  dout[0] = 0x05;
  dout[1] = 0x80;
  dout.writeUInt32BE(4242, 16);
  dout.writeUInt32BE(0xffffffff, 20);
  r.sock.write(encodePdu(dout, Buffer.alloc(512)));
  await withTimeout(
    (async () => {
      while (r.pdus.length < 1) await new Promise((x) => setTimeout(x, 5));
    })(),
    2000,
    'reject',
  );
  assert.equal(opcodeOf(r.pdus[0]!.bhs), Opcode.Reject);
  r.sock.destroy();
  await healthyStillWorks();
});

test('a random-bytes storm on logged-in connections: process survives, healthy I/O continues', async () => {
  for (let i = 0; i < 10; i++) {
    const r = await loggedInRaw();
    for (let j = 0; j < 5; j++) r.sock.write(randomBytes(48 + Math.floor(Math.random() * 2000)));
    await new Promise((x) => setTimeout(x, 20));
    r.sock.destroy();
  }
  await healthyStillWorks();
  assert.equal(run.server.sessions().filter((s) => s.type === 'Normal').length >= 1, true);
});

test('structured fuzz: well-framed PDUs with random fields in full feature phase', async () => {
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const ops = [0x00, 0x01, 0x02, 0x04, 0x05, 0x06, 0x10, 0x03, 0x1e];
  for (let round = 0; round < 15; round++) {
    const r = await loggedInRaw();
    for (let i = 0; i < 60; i++) {
      const bhs = Buffer.alloc(48);
      for (let j = 0; j < 48; j++) bhs[j] = rnd(256);
      bhs[0] = ops[rnd(ops.length)]! | (rnd(2) ? 0x40 : 0);
      bhs[4] = 0; // no AHS: keep the framing sane
      const dlen = rnd(4) === 0 ? rnd(3000) : 0;
      bhs[5] = 0;
      bhs[6] = (dlen >> 8) & 0xff;
      bhs[7] = dlen & 0xff;
      // Half the time use plausible sequence numbers so commands get past the CmdSN gate.
      if (rnd(2)) bhs.writeUInt32BE(100 + i, 24);
      if (rnd(3) === 0) bhs.writeUInt32BE(rnd(0x10000), 20); // small EDTL / TTT
      const data = Buffer.alloc(dlen);
      for (let j = 0; j < dlen; j++) data[j] = rnd(4) ? 0x41 + rnd(26) : rnd(2) ? 0x3d : 0;
      r.sock.write(encodePdu(bhs, data));
    }
    await new Promise((x) => setTimeout(x, 30));
    r.sock.destroy();
  }
  await healthyStillWorks();
});

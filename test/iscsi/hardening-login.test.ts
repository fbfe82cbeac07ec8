/**
 * Issue 9, the login and text defects a hostile initiator used: interleaved logins past
 * the session and connection limits, slow-drip logins that never ended, unbounded pending
 * logins, text continuations kept after their Reject, and Login Responses longer than a
 * login PDU may be. Each attack runs beside a healthy session that keeps reading back what
 * it wrote.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { IscsiInitiator } from '../../src/initiator/client.js';
import { Opcode, opcodeOf, type Pdu } from '../../src/iscsi/pdu/bhs.js';
import { PduParser, encodePdu, framePdu } from '../../src/iscsi/pdu/framer.js';
import { parseLoginResponse, serializeLoginRequest } from '../../src/iscsi/pdu/login.js';
import { serializeTextRequest } from '../../src/iscsi/pdu/text.js';
import { LoginStatus } from '../../src/iscsi/errors.js';
import { serializeText, type TextPairs } from '../../src/iscsi/text.js';
import { HealthySession, TestCatalog, globals, memoryLu, startTarget, type Running } from './harness.js';

const T0 = 'iqn.2026-12.test.sanbox:hard';
const INI = 'iqn.2026-12.test.sanbox:attacker';
const LIMITS = { loginDeadlineMs: 1500, pendingLoginsPerAddress: 6, pendingLogins: 10, maxConnections: 40 };
let run: Running;
let healthy: HealthySession;
const golden = randomBytes(64 * 1024);

before(async () => {
  const catalog = new TestCatalog(globals({ maxSessions: 16, maxConnections: 4 }));
  catalog.add({ name: T0, luns: new Map([[0, await memoryLu(4 << 20)]]) });
  run = await startTarget(catalog, { limits: LIMITS });
  healthy = await HealthySession.open(run.port, T0, golden);
});

after(async () => {
  await healthy.close();
  await run.stop();
});

const healthyStillWorks = (): Promise<void> => healthy.stillWorks();

/** A raw connection that parses what the target sends and notices when it closes. */
class Raw {
  readonly pdus: Pdu[] = [];
  readonly closed: Promise<void>;
  isClosed = false;
  private waiters: Array<() => void> = [];
  private constructor(readonly sock: net.Socket) {
    const parser = new PduParser({ maxDataSegmentLength: 1 << 24, headerDigest: false, dataDigest: false });
    sock.on('data', (c) => {
      try {
        parser.feed(c, (p) => {
          this.pdus.push({ bhs: Buffer.from(p.bhs), ahs: null, data: Buffer.from(p.data) });
          for (const w of this.waiters.splice(0)) w();
        });
      } catch {
        /* the test reads what parsed */
      }
    });
    sock.on('error', () => {});
    this.closed = new Promise((r) =>
      sock.once('close', () => {
        this.isClosed = true;
        for (const w of this.waiters.splice(0)) w();
        r();
      }),
    );
  }
  static open(localAddress = '127.0.0.1'): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: '127.0.0.1', port: run.port, localAddress });
      sock.once('connect', () => resolve(new Raw(sock)));
      sock.once('error', reject);
    });
  }
  /** Wait until `n` PDUs arrived (or the connection closed). */
  async until(n: number, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (this.pdus.length < n && !this.isClosed && Date.now() < end) {
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
  /** Closed by the target within `ms`? */
  async closesWithin(ms: number): Promise<boolean> {
    return Promise.race([this.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
  }
}

function loginPdu(o: { csg: number; nsg: number; isid: Buffer; tsih?: number; cid?: number; pairs: TextPairs; itt?: number }): Buffer {
  const bhs = serializeLoginRequest({
    transit: true,
    cont: false,
    csg: o.csg,
    nsg: o.nsg,
    versionMax: 0,
    versionMin: 0,
    isid: o.isid,
    tsih: o.tsih ?? 0,
    itt: o.itt ?? 1,
    cid: o.cid ?? 0,
    cmdSN: 1,
    expStatSN: 0,
  });
  return encodePdu(bhs, serializeText(o.pairs));
}

/** The first half of a login: security stage done, the session not yet created. */
async function firstHalf(r: Raw, isid: Buffer, tsih = 0, cid = 0): Promise<number> {
  r.sock.write(
    loginPdu({
      csg: 0,
      nsg: 1,
      isid,
      tsih,
      cid,
      pairs: [
        ['InitiatorName', INI],
        ['TargetName', T0],
        ['SessionType', 'Normal'],
        ['AuthMethod', 'None'],
      ],
    }),
  );
  await r.until(1);
  const resp = parseLoginResponse(r.pdus[0]!);
  return (resp.statusClass << 8) | resp.statusDetail;
}

/** The second half: operational stage to full feature phase. Returns the login status. */
async function secondHalf(r: Raw, isid: Buffer, tsih = 0, cid = 0): Promise<number> {
  r.sock.write(
    loginPdu({
      csg: 1,
      nsg: 3,
      isid,
      tsih,
      cid,
      pairs: [
        ['MaxConnections', '4'],
        ['ErrorRecoveryLevel', '0'],
      ],
    }),
  );
  await r.until(2);
  const resp = parseLoginResponse(r.pdus[1]!);
  return (resp.statusClass << 8) | resp.statusDetail;
}

test('interleaved logins cannot open more sessions than iscsi_maxsesh', async () => {
  // The healthy session holds one of the 16 slots; 6 raw logins at a time fit the pending caps.
  const admitted: Raw[] = [];
  const statuses: number[] = [];
  for (let round = 0; round < 4; round++) {
    const raws = await Promise.all(Array.from({ length: 6 }, () => Raw.open()));
    const isids = raws.map((_, i) => Buffer.from([0x80, 0, 0, round, i, 1]));
    const first = await Promise.all(raws.map((r, i) => firstHalf(r, isids[i]!)));
    // Every login has passed admission before any of them creates its session.
    const second = await Promise.all(raws.map((r, i) => (first[i] === 0 ? secondHalf(r, isids[i]!) : Promise.resolve(first[i]!))));
    for (let i = 0; i < second.length; i++) {
      if (second[i] === 0) admitted.push(raws[i]!);
      else raws[i]!.sock.destroy();
    }
    statuses.push(...second);
  }
  try {
    const sessions = run.server.sessions().filter((s) => s.type === 'Normal').length;
    assert.equal(sessions, 16, `sessions with iscsi_maxsesh 16 (statuses ${statuses.map((s) => s.toString(16)).join(',')})`);
    assert.equal(admitted.length, 15);
    assert.ok(statuses.filter((s) => s === LoginStatus.OutOfResources).length === 9, 'the others were refused with OUT OF RESOURCES');
    await healthyStillWorks();
  } finally {
    for (const r of admitted) r.sock.destroy();
    await Promise.all(admitted.map((r) => r.closed));
  }
});

test('interleaved connection logins cannot go past MaxConnections in one session', async () => {
  const lead = await IscsiInitiator.connect('127.0.0.1', run.port);
  const isid = Buffer.from('80000000c0de', 'hex');
  await lead.login({ initiatorName: INI, targetName: T0, isid });
  const raws = await Promise.all(Array.from({ length: 6 }, () => Raw.open()));
  try {
    const first = await Promise.all(raws.map((r, i) => firstHalf(r, isid, lead.tsih, i + 1)));
    const second = await Promise.all(raws.map((r, i) => (first[i] === 0 ? secondHalf(r, isid, lead.tsih, i + 1) : Promise.resolve(first[i]!))));
    const joined = second.filter((s) => s === 0).length;
    const session = run.server.sessions().find((s) => s.tsih === lead.tsih)!;
    assert.equal(session.connections, 4, `connections in the session with MaxConnections 4 (statuses ${second.map((s) => s.toString(16))})`);
    assert.equal(joined, 3);
    assert.equal(second.filter((s) => s === LoginStatus.TooManyConnections).length, 3);
    await healthyStillWorks();
  } finally {
    for (const r of raws) r.sock.destroy();
    await lead.logout().catch(() => {});
  }
});

test('a login dripping one byte at a time is dropped at the login deadline', async () => {
  const drips = await Promise.all(Array.from({ length: 3 }, () => Raw.open()));
  const pdu = loginPdu({
    csg: 0,
    nsg: 1,
    isid: Buffer.from('80000000d00d', 'hex'),
    pairs: [
      ['InitiatorName', INI],
      ['TargetName', T0],
    ],
  });
  let sent = 0;
  const timer = setInterval(() => {
    for (const d of drips) if (!d.isClosed) d.sock.write(pdu.subarray(sent, sent + 1));
    sent = (sent + 1) % 40; // never a whole header
  }, 100);
  const started = Date.now();
  try {
    await Promise.all(drips.map((d) => d.closed));
    const took = Date.now() - started;
    await new Promise((r) => setTimeout(r, 50)); // the target's side of the close
    assert.ok(took >= LIMITS.loginDeadlineMs - 100, `dropped after ${took} ms, not before the deadline`);
    assert.ok(took < LIMITS.loginDeadlineMs + 2000, `dropped after ${took} ms although bytes kept coming`);
    assert.equal(run.server.load().loggingIn, 0);
    await healthyStillWorks();
  } finally {
    clearInterval(timer);
  }
});

test('connections still logging in are capped per address and in all; the caps free up again', async () => {
  const hold = await Promise.all(Array.from({ length: LIMITS.pendingLoginsPerAddress }, () => Raw.open()));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(run.server.load().loggingIn, LIMITS.pendingLoginsPerAddress);
  const extra = await Raw.open();
  assert.ok(await extra.closesWithin(1000), 'one more from the same address is closed at once');
  assert.equal(extra.pdus.length, 0);
  // Another address still gets in, up to the total cap.
  const others = await Promise.all(Array.from({ length: LIMITS.pendingLogins - LIMITS.pendingLoginsPerAddress }, () => Raw.open('127.0.0.2')));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(run.server.load().loggingIn, LIMITS.pendingLogins);
  const beyond = await Raw.open('127.0.0.3');
  assert.ok(await beyond.closesWithin(1000), 'past the total cap a connection is closed at once');
  await healthyStillWorks();
  for (const r of [...hold, ...others]) r.sock.destroy();
  await Promise.all([...hold, ...others].map((r) => r.closed));
  await new Promise((r) => setTimeout(r, 50));
  // Freed: a whole login works again.
  const ok = await IscsiInitiator.connect('127.0.0.1', run.port);
  await ok.login({ initiatorName: INI, targetName: T0, isid: Buffer.from('80000000f00d', 'hex') });
  await ok.logout();
});

test('the total connection cap holds for logged-in connections too, and frees up again', async () => {
  const catalog = new TestCatalog(globals({ maxSessions: 64 }));
  catalog.add({ name: T0, luns: new Map([[0, await memoryLu(1 << 20)]]) });
  const small = await startTarget(catalog, { limits: { maxConnections: 8 } });
  const logged: IscsiInitiator[] = [];
  try {
    for (let i = 0; i < 8; i++) {
      const c = await IscsiInitiator.connect('127.0.0.1', small.port);
      await c.login({ initiatorName: INI, targetName: T0, isid: Buffer.from([0x80, 1, 0, 0, 0, i]) });
      logged.push(c);
    }
    assert.equal(small.server.load().connections, 8);
    const refused = await new Promise<net.Socket>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: small.port }, () => resolve(s));
      s.on('error', () => {});
    });
    const closed = await Promise.race([
      new Promise<boolean>((r) => refused.once('close', () => r(true))),
      new Promise<boolean>((r) => setTimeout(() => r(false), 1000)),
    ]);
    assert.ok(closed, 'past the connection cap a connection is closed at once');
    const portal = small.server.counters.snapshot([]).portals[0]!;
    assert.deepEqual([portal.accepted, portal.refused.connection_limit], [8, 1], 'the refusal at accept is counted');
    await logged.pop()!.logout();
    await new Promise((r) => setTimeout(r, 50));
    const again = await IscsiInitiator.connect('127.0.0.1', small.port);
    await again.login({ initiatorName: INI, targetName: T0, isid: Buffer.from([0x80, 1, 0, 0, 1, 0]) });
    logged.push(again);
  } finally {
    await Promise.all(logged.map((c) => c.logout().catch(() => {})));
    await small.stop();
  }
});

test('text continuations are bounded before they are kept and forgotten after the Reject', async () => {
  const c = await IscsiInitiator.connect('127.0.0.1', run.port);
  await c.login({ initiatorName: INI, isid: Buffer.from('80000000aa01', 'hex') }); // discovery session
  const payload = Buffer.alloc(256 * 1024 - 8, 'A'); // under the target's 256 KiB MaxRecvDataSegmentLength
  const rssBefore = process.memoryUsage().rss;
  const count = 2048;
  const replies = countReplies(c, count);
  for (let i = 0; i < count; i++) {
    const bhs = serializeTextRequest({
      immediate: true,
      final: false,
      cont: true,
      lun: 0,
      itt: 0x1000 + i,
      ttt: 0xffffffff,
      cmdSN: c.cmdSN,
      expStatSN: c.expStatSN,
    });
    // The same payload buffer every time: what grows is the target's memory, not the sender's.
    const parts: Buffer[] = [];
    framePdu(bhs, payload, false, false, parts);
    for (const part of parts) c.writeRaw(part);
    if (i % 64 === 63) await new Promise((r) => setImmediate(r));
  }
  const got = await replies;
  const grown = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
  console.log(`RSS growth after ${count} continued Text Requests of 256 KiB: ${grown.toFixed(0)} MiB; ${got.rejects} Rejects`);
  assert.ok(got.rejects >= count / 2, `continuations past 64 KiB are rejected (${got.rejects})`);
  assert.ok(grown < 160, `RSS grew ${grown.toFixed(0)} MiB (512 MiB were sent)`);
  // Nothing of the rejected requests is left: a fresh SendTargets is answered on its own.
  const targets = await c.sendTargets();
  assert.ok(targets.some((t) => t.name === T0));
  await c.logout();
  await healthyStillWorks();
});

/** Count the answers (Text Responses and Rejects) to raw immediate requests on `c`'s socket. */
function countReplies(c: IscsiInitiator, n: number): Promise<{ rejects: number; texts: number }> {
  return new Promise((resolve) => {
    const parser = new PduParser({ maxDataSegmentLength: 1 << 24, headerDigest: false, dataDigest: false });
    const got = { rejects: 0, texts: 0 };
    const onData = (chunk: Buffer) =>
      parser.feed(chunk, (p) => {
        const op = opcodeOf(p.bhs);
        if (op === Opcode.Reject) got.rejects++;
        else if (op === Opcode.TextResponse) got.texts++;
        if (got.rejects + got.texts >= n) {
          c.socket.off('data', onData);
          resolve(got);
        }
      });
    c.socket.on('data', onData);
  });
}

test('a Login Response longer than a login PDU is sent in pieces with the C bit', async () => {
  // 118 unknown vendor keys of the longest legal name: ~8 KB asked, ~9 KB of NotUnderstood answered.
  const keys: Record<string, string> = {};
  for (let i = 0; i < 118; i++) keys[`X-${String(i).padStart(3, '0')}${'k'.repeat(58)}`] = '1';
  const c = await IscsiInitiator.connect('127.0.0.1', run.port);
  await c.login({ initiatorName: INI, targetName: T0, isid: Buffer.from('80000000aa02', 'hex'), keys });
  try {
    assert.ok(c.loginResponsePieces > 1, `pieces ${c.loginResponsePieces}`);
    assert.ok(c.largestLoginResponse <= 8192, `largest Login Response data segment ${c.largestLoginResponse} bytes`);
    const data = randomBytes(4096);
    for (let i = 0; i < 3 && (await c.scsi(0, Buffer.alloc(6))).status !== 0; i++);
    assert.equal((await c.write10(0, 1024, data)).status, 0);
    assert.ok((await c.read10(0, 1024, 8)).data.equals(data));
  } finally {
    await c.logout();
  }
  await healthyStillWorks();
});

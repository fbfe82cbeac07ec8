/**
 * End-to-end tests of the target with the project's own initiator over real TCP.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { PduParser, encodePdu } from '../../src/iscsi/pdu/framer.js';
import { serializeLoginRequest } from '../../src/iscsi/pdu/login.js';
import { serializeText } from '../../src/iscsi/text.js';
import { IscsiInitiator, LoginFailedError } from '../../src/initiator/client.js';
import { ScsiStatus } from '../../src/scsi/types.js';
import { ScriptedLu, TestCatalog, globals, memoryLu, startTarget, type Running } from './harness.js';

const T0 = 'iqn.2026-11.test.sanbox:t0';
const T1 = 'iqn.2026-11.test.sanbox:t1';
const HIDDEN = 'iqn.2026-11.test.sanbox:hidden';
const INI = 'iqn.2026-11.test.sanbox:initiator';

let run: Running;
/** The same targets, read with 'data' events. */
let dataEvents: Running;
let catalog: TestCatalog;
const slow = new ScriptedLu((cmd) => ({ status: ScsiStatus.Good, data: Buffer.from([cmd.cdb[1]!]) }), 0);

before(async () => {
  catalog = new TestCatalog(globals({ maxSessions: 8 }));
  catalog.add({
    name: T0,
    alias: 'zero',
    luns: new Map([
      [0, await memoryLu(8 << 20)],
      [300, await memoryLu(1 << 20, 512, 'SER300')],
    ]),
  });
  catalog.add({ name: T1, luns: new Map([[0, slow]]), queueDepth: 8 });
  catalog.add({ name: HIDDEN, luns: new Map(), admits: (ini) => ini !== INI });
  run = await startTarget(catalog);
  dataEvents = await startTarget(catalog, { readInPlace: false });
});
after(async () => {
  await run.stop();
  await dataEvents.stop();
});

async function session(target = T0, o: Partial<Parameters<IscsiInitiator['login']>[0]> = {}): Promise<IscsiInitiator> {
  const c = await IscsiInitiator.connect('127.0.0.1', run.port);
  await c.login({ initiatorName: INI, targetName: target, ...o });
  if (target === T0) await clearUnitAttentions(c);
  return c;
}

/** A new I_T nexus first sees POWER ON / RESET unit attentions: consume them. */
async function clearUnitAttentions(c: IscsiInitiator): Promise<void> {
  for (const lun of [0, 300]) {
    for (let i = 0; i < 4; i++) {
      const r = await c.scsi(lun, Buffer.alloc(6), {});
      if (r.status === 0) break;
    }
  }
}

test('discovery: SendTargets=All lists the admitted targets with portal and tag', async () => {
  const c = await IscsiInitiator.connect('127.0.0.1', run.port);
  await c.login({ initiatorName: INI });
  const targets = await c.sendTargets('All');
  assert.deepEqual(targets, [
    { name: T0, addresses: [`127.0.0.1:${run.port},1`] },
    { name: T1, addresses: [`127.0.0.1:${run.port},1`] },
  ]);
  const info = run.server.sessions().find((s) => s.type === 'Discovery');
  assert.ok(info);
  assert.equal(info.target, null);
  assert.equal(info.initiatorName, INI);
  assert.equal(info.portal, `127.0.0.1:${run.port}`);
  assert.equal(await c.logout(), 0);
  assert.equal(run.server.sessions().filter((s) => s.type === 'Discovery').length, 0);
});

test('discovery: SCSI commands in a discovery session are rejected', async () => {
  const c = await IscsiInitiator.connect('127.0.0.1', run.port);
  await c.login({ initiatorName: INI });
  await assert.rejects(c.inquiry(0), (e: Error) => e.name === 'RejectedError');
  c.close();
});

test('login to an unknown target answers 0x0203, a refused initiator 0x0202', async () => {
  for (const [name, status] of [
    ['iqn.2026-11.test.sanbox:none', 0x0203],
    [HIDDEN, 0x0202],
  ] as const) {
    const c = await IscsiInitiator.connect('127.0.0.1', run.port);
    await assert.rejects(c.login({ initiatorName: INI, targetName: name }), (e: unknown) => e instanceof LoginFailedError && e.status === status);
    await c.whenClosed();
  }
});

test('normal session: negotiated parameters, status info, write then read back', async () => {
  const c = await session(T0, { keys: { MaxBurstLength: '65536', FirstBurstLength: '16384' } });
  const info = run.server.sessions().find((s) => s.tsih === c.tsih)!;
  assert.equal(info.type, 'Normal');
  assert.equal(info.target, T0);
  assert.equal(info.parameters.MaxBurstLength, '65536');
  assert.equal(info.parameters.FirstBurstLength, '16384');
  assert.equal(info.isid, c.isid.toString('hex'));
  const data = randomBytes(200 * 1024);
  const w = await c.write10(0, 100, data);
  assert.equal(w.status, 0);
  const r = await c.read10(0, 100, 400);
  assert.equal(r.status, 0);
  assert.ok(r.data.equals(data));
  assert.ok(r.dataInPdus >= 1);
  const after = run.server.sessions().find((s) => s.tsih === c.tsih)!;
  assert.ok(after.commands >= 2);
  assert.ok(after.bytesIn > data.length && after.bytesOut > data.length);
  assert.equal(await c.logout(), 0);
});

const variants: Array<{ name: string; keys: Record<string, string>; headerDigest?: 'CRC32C'; dataDigest?: 'CRC32C' }> = [
  { name: 'immediate data only, R2T for the rest', keys: { InitialR2T: 'Yes', ImmediateData: 'Yes' } },
  { name: 'no immediate data, all by R2T, small bursts', keys: { InitialR2T: 'Yes', ImmediateData: 'No', MaxBurstLength: '4096', MaxOutstandingR2T: '3' } },
  { name: 'unsolicited Data-Out (InitialR2T=No) plus immediate', keys: { InitialR2T: 'No', ImmediateData: 'Yes', FirstBurstLength: '8192' } },
  { name: 'unsolicited Data-Out without immediate data', keys: { InitialR2T: 'No', ImmediateData: 'No', FirstBurstLength: '65536' } },
  { name: 'CRC32C header and data digests', keys: {}, headerDigest: 'CRC32C' as const, dataDigest: 'CRC32C' as const },
  { name: 'small segments both ways', keys: { MaxRecvDataSegmentLength: '512' } },
];
/** The connections of a target: which way each reads (white-box, for the two read paths). */
function readModes(r: Running): boolean[] {
  return [...(r.server as unknown as { connections: Set<{ readsInPlace: boolean }> }).connections].map((c) => c.readsInPlace);
}

for (const inPlace of [true, false]) {
  for (const variant of variants) {
    test(`write/read paths (${inPlace ? 'reading in place' : "'data' events"}): ${variant.name}`, async () => {
      const target = inPlace ? run : dataEvents;
      const c = await IscsiInitiator.connect('127.0.0.1', target.port);
      await c.login({
        initiatorName: INI,
        targetName: T0,
        keys: variant.keys,
        ...(variant.headerDigest ? { headerDigest: variant.headerDigest, dataDigest: variant.dataDigest } : {}),
      });
      await clearUnitAttentions(c);
      assert.deepEqual(readModes(target), [inPlace]);
      if (variant.keys.MaxRecvDataSegmentLength) c.myMaxRecv = 512;
      for (const size of [512, 4096, 8192 + 512, 100 * 1024, 1024 * 1024]) {
        const data = randomBytes(size);
        const lba = 2048 + size / 512;
        assert.equal((await c.write10(0, lba, data)).status, 0);
        const r = await c.read10(0, lba, size / 512);
        assert.equal(r.status, 0);
        assert.ok(r.data.equals(data), `size ${size}`);
      }
      await c.logout();
    });
  }
}

test('concurrent commands complete out of order with correct data; window bounded by queue depth', async () => {
  const c = await session(T0);
  const writes = [];
  const blobs = new Map<number, Buffer>();
  for (let i = 0; i < 64; i++) {
    const b = randomBytes(4096);
    blobs.set(i, b);
    writes.push(c.write10(0, 4096 + i * 8, b));
  }
  for (const w of await Promise.all(writes)) assert.equal(w.status, 0);
  const reads = await Promise.all([...blobs.keys()].map((i) => c.read10(0, 4096 + i * 8, 8)));
  for (const [i, r] of reads.entries()) assert.ok(r.data.equals(blobs.get(i)!), `block ${i}`);
  assert.ok(((c.maxCmdSN - c.expCmdSN) | 0) < 32);
  await c.logout();
});

test('responses complete out of order when the LU finishes them out of order', async () => {
  slow.answer = async (cmd) => {
    await new Promise((r) => setTimeout(r, cmd.cdb[1] === 1 ? 60 : 5));
    return { status: ScsiStatus.Good, data: Buffer.from([cmd.cdb[1]!]) };
  };
  const c = await session(T1);
  const order: number[] = [];
  const p1 = c.scsi(0, Buffer.from([0xc0, 1, 0, 0, 0, 0]), { readLength: 1 }).then((r) => order.push(r.data[0]!));
  const p2 = c.scsi(0, Buffer.from([0xc0, 2, 0, 0, 0, 0]), { readLength: 1 }).then((r) => order.push(r.data[0]!));
  await Promise.all([p1, p2]);
  assert.deepEqual(order, [2, 1]);
  // Queue depth 8: the window never exceeds it.
  assert.ok(((c.maxCmdSN - c.expCmdSN + 1) | 0) <= 8);
  await c.logout();
});

test('residuals: underflow and overflow are reported on Data-In', async () => {
  const c = await session(T0);
  // INQUIRY allocation 255 but standard data is shorter: underflow.
  const under = await c.scsi(0, Buffer.from([0x12, 0, 0, 0, 255, 0]), { readLength: 255 });
  assert.equal(under.status, 0);
  assert.equal(under.underflow, true);
  assert.equal(under.residual, 255 - under.data.length);
  // READ(10) of 2 blocks with an EDTL of one block: overflow of 512.
  const over = await c.scsi(0, Buffer.from([0x28, 0, 0, 0, 0, 0, 0, 0, 2, 0]), { readLength: 512 });
  assert.equal(over.overflow, true);
  assert.equal(over.residual, 512);
  assert.equal(over.data.length, 512);
  await c.logout();
});

test('LUNs: REPORT LUNS from any LUN, flat addressing above 255; missing LUN gets 05/25/00; INQUIRY PQ=3', async () => {
  const c = await session(T0);
  assert.deepEqual(await c.reportLuns(), [0, 300]);
  const cdb = Buffer.alloc(12);
  cdb[0] = 0xa0;
  cdb.writeUInt32BE(64, 6);
  const viaMissing = await c.scsi(77, cdb, { readLength: 64 });
  assert.equal(viaMissing.status, 0);
  assert.equal(viaMissing.data.subarray(16, 24).toString('hex'), '412c000000000000');
  const rc = await c.readCapacity10(300);
  assert.equal(rc.lastLba, (1 << 20) / 512 - 1);
  const tur = await c.scsi(5, Buffer.alloc(6), {});
  assert.equal(tur.status, ScsiStatus.CheckCondition);
  assert.ok(tur.sense);
  assert.equal(tur.sense[2]! & 0x0f, 0x05);
  assert.equal(tur.sense[12], 0x25);
  const inq = await c.inquiry(5);
  assert.equal(inq.status, 0);
  assert.equal(inq.data[0], 0x7f);
  await c.logout();
});

test('NOP-Out is answered with its ping data; immediate and non-immediate', async () => {
  const c = await session(T0);
  assert.deepEqual(await c.nop(Buffer.from('ping!')), Buffer.from('ping!'));
  assert.deepEqual(await c.nop(null, true), Buffer.alloc(0));
  await c.logout();
});

test('task management: ABORT TASK, ABORT TASK SET, LUN RESET, WARM RESET; unknown function not supported', async () => {
  slow.answer = async () => {
    await new Promise((r) => setTimeout(r, 100));
    return { status: ScsiStatus.Good, data: Buffer.from([1]) };
  };
  const c = await session(T1);
  const itt = c.peekItt();
  const cmdSN = c.cmdSN;
  let answered = false;
  void c.scsi(0, Buffer.from([0xc0, 9, 0, 0, 0, 0]), { readLength: 1 }).then(
    () => (answered = true),
    () => {},
  );
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(await c.tmf(1, 0, itt, cmdSN), 0); // function complete
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(answered, false, 'an aborted task gets no response');
  assert.equal(await c.tmf(1, 0, 0xabcdef, (c.cmdSN - 100) >>> 0), 1); // task does not exist
  assert.equal(await c.tmf(2, 0), 0);
  assert.equal(await c.tmf(5, 0), 0);
  assert.ok(slow.resets >= 1);
  assert.equal(await c.tmf(5, 42), 2); // LUN does not exist
  assert.equal(await c.tmf(6, 0), 0);
  assert.equal(await c.tmf(3, 0), 5); // CLEAR ACA: function not supported
  assert.equal(await c.tmf(8, 0), 4); // TASK REASSIGN at ERL 0
  assert.equal(await c.tmf(14, 0), 5);
  // The session still works afterwards.
  slow.answer = (cmd) => ({ status: ScsiStatus.Good, data: Buffer.from([cmd.cdb[1]!]) });
  assert.equal((await c.scsi(0, Buffer.from([0xc0, 4, 0, 0, 0, 0]), { readLength: 1 })).data[0], 4);
  await c.logout();
});

test('session reinstatement: same ISID logs in again, the old session is closed', async () => {
  const isid = Buffer.from('80aabbcc0001', 'hex');
  const a = await session(T0, { isid });
  const tsihA = a.tsih;
  const b = await session(T0, { isid });
  await a.whenClosed();
  assert.notEqual(b.tsih, tsihA);
  assert.equal(run.server.sessions().filter((s) => s.isid === '80aabbcc0001').length, 1);
  assert.equal((await b.read10(0, 0, 1)).status, 0);
  await b.logout();
});

test('multiple connections per session (MC/S): second connection joins by TSIH; logout closes both', async () => {
  const isid = Buffer.from('80aabbcc0002', 'hex');
  const a = await session(T0, { isid, keys: { MaxConnections: '2' } });
  const b = await IscsiInitiator.connect('127.0.0.1', run.port);
  b.cmdSN = a.cmdSN;
  await b.login({ initiatorName: INI, targetName: T0, isid, tsih: a.tsih, cid: 1 });
  assert.equal(b.tsih, a.tsih);
  assert.equal(run.server.sessions().find((s) => s.tsih === a.tsih)!.connections, 2);
  // A third connection exceeds MaxConnections=2.
  const c3 = await IscsiInitiator.connect('127.0.0.1', run.port);
  await assert.rejects(
    c3.login({ initiatorName: INI, targetName: T0, isid, tsih: a.tsih, cid: 2 }),
    (e: unknown) => e instanceof LoginFailedError && e.status === 0x0206,
  );
  // Commands on either connection share one CmdSN space.
  const data = randomBytes(4096);
  const w = await a.write10(0, 10, data);
  assert.equal(w.status, 0);
  b.cmdSN = a.cmdSN;
  const r = await b.read10(0, 10, 8);
  assert.ok(r.data.equals(data));
  a.cmdSN = b.cmdSN;
  // Joining a session that does not exist: 0x020a.
  const c4 = await IscsiInitiator.connect('127.0.0.1', run.port);
  await assert.rejects(
    c4.login({ initiatorName: INI, targetName: T0, isid, tsih: 999, cid: 3 }),
    (e: unknown) => e instanceof LoginFailedError && e.status === 0x020a,
  );
  assert.equal(await a.logout(0), 0);
  await b.whenClosed();
  assert.equal(run.server.sessions().filter((s) => s.tsih === a.tsih).length, 0);
});

test('logout of one connection (reason 1) keeps the session', async () => {
  const isid = Buffer.from('80aabbcc0003', 'hex');
  const a = await session(T0, { isid, keys: { MaxConnections: '2' } });
  const b = await IscsiInitiator.connect('127.0.0.1', run.port);
  await b.login({ initiatorName: INI, targetName: T0, isid, tsih: a.tsih, cid: 1 });
  assert.equal(await b.logout(1), 0);
  assert.equal(run.server.sessions().find((s) => s.tsih === a.tsih)!.connections, 1);
  assert.equal((await a.read10(0, 0, 1)).status, 0);
  await a.logout();
});

test('maxSessions: the next login gets "out of resources" (0x0302)', async () => {
  const held: IscsiInitiator[] = [];
  const g = catalog.g;
  catalog.g = { ...g, maxSessions: run.server.sessions().length + 2 };
  try {
    for (let i = 0; i < 2; i++) held.push(await session(T0, { isid: Buffer.from([0x80, 0, 0, 0, 0x10, i]) }));
    const c = await IscsiInitiator.connect('127.0.0.1', run.port);
    await assert.rejects(
      c.login({ initiatorName: INI, targetName: T0, isid: Buffer.from([0x80, 0, 0, 0, 0x10, 9]) }),
      (e: unknown) => e instanceof LoginFailedError && e.status === 0x0302,
    );
  } finally {
    catalog.g = g;
    for (const h of held) await h.logout();
  }
});

test('dropSessions closes matching sessions only', async () => {
  const a = await session(T0, { isid: Buffer.from('80aabbcc0004', 'hex') });
  const b = await session(T1, { isid: Buffer.from('80aabbcc0005', 'hex') });
  assert.equal(
    run.server.dropSessions((s) => s.targetName === T1, 'target deleted'),
    1,
  );
  await b.whenClosed();
  assert.equal((await a.read10(0, 0, 1)).status, 0);
  await a.logout();
});

test('NOP-In keepalive: answered pings keep the connection, silence drops it after ioTimeout', async () => {
  const g = catalog.g;
  catalog.g = { ...g, nopInInterval: 1, ioTimeout: 1 };
  try {
    const ok = await session(T0, { isid: Buffer.from('80aabbcc0006', 'hex') });
    const mute = await session(T0, { isid: Buffer.from('80aabbcc0007', 'hex') });
    mute.answerPings = false;
    await mute.whenClosed();
    assert.ok(ok.pingsAnswered >= 1);
    assert.equal(ok.isClosed, false);
    await ok.logout();
  } finally {
    catalog.g = g;
  }
});

test('Text request with unknown keys gets NotUnderstood', async () => {
  const c = await session(T0);
  assert.deepEqual(await c.text([['X-com.example.What', '1']]), [['X-com.example.What', 'NotUnderstood']]);
  assert.deepEqual(await c.text([['SendTargets', '']]), [
    ['TargetName', T0],
    ['TargetAddress', `127.0.0.1:${run.port},1`],
  ]);
  await c.logout();
});

test('long SendTargets answers are continued with the C bit and a target transfer tag', async () => {
  const names: string[] = [];
  for (let i = 0; i < 40; i++) {
    const n = `iqn.2026-11.test.sanbox:many-${String(i).padStart(3, '0')}-${'x'.repeat(60)}`;
    names.push(n);
    catalog.add({ name: n, luns: new Map() });
  }
  try {
    const c = await IscsiInitiator.connect('127.0.0.1', run.port);
    c.myMaxRecv = 512;
    await c.login({ initiatorName: INI, keys: { MaxRecvDataSegmentLength: '512' } });
    const targets = await c.sendTargets('All');
    for (const n of names)
      assert.ok(
        targets.some((t) => t.name === n && t.addresses.length === 1),
        n,
      );
    await c.logout();
  } finally {
    for (const n of names) catalog.nodes.delete(n);
  }
});

test('a LUN added after login is seen by the running session (REPORT LUNS and I/O)', async () => {
  const c = await session(T0);
  const old = catalog.nodes.get(T0)!;
  const extra = await memoryLu(1 << 20, 512, 'SER9');
  // The data plane publishes a new TargetNode with the LUN added; the session is kept.
  catalog.add({ name: T0, alias: old.alias, luns: new Map([...old.luns, [9, extra]]) });
  try {
    assert.deepEqual(await c.reportLuns(), [0, 9, 300]);
    for (let i = 0; i < 4 && (await c.scsi(9, Buffer.alloc(6))).status !== 0; i++);
    assert.equal((await c.readCapacity10(9)).lastLba, (1 << 20) / 512 - 1);
  } finally {
    catalog.nodes.set(T0, old);
    await c.logout();
  }
});

test('MC/S: a command arriving ahead of ExpCmdSN on another connection waits for its turn', async () => {
  const isid = Buffer.from('80aabbcc0010', 'hex');
  const a = await session(T0, { isid, keys: { MaxConnections: '2' } });
  const b = await IscsiInitiator.connect('127.0.0.1', run.port);
  await b.login({ initiatorName: INI, targetName: T0, isid, tsih: a.tsih, cid: 1 });
  b.maxCmdSN = a.maxCmdSN;
  const n = a.cmdSN;
  b.cmdSN = (n + 1) >>> 0;
  let bDone = false;
  const pb = b.read10(0, 0, 1).then((r) => {
    bDone = true;
    return r;
  });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(bDone, false, 'CmdSN n+1 is held until n arrives');
  const ra = await a.read10(0, 0, 1);
  const rb = await pb;
  assert.equal(ra.status, 0);
  assert.equal(rb.status, 0);
  a.cmdSN = b.cmdSN;
  await a.logout(0);
});

test('close(): every connection ends, the call resolves, sessions are gone', async () => {
  const cat = new TestCatalog(globals());
  cat.add({ name: T0, luns: new Map([[0, await memoryLu(1 << 20)]]) });
  const own = await startTarget(cat);
  const c = await IscsiInitiator.connect('127.0.0.1', own.port);
  await c.login({ initiatorName: INI, targetName: T0 });
  const t0 = Date.now();
  await own.server.close();
  assert.ok(Date.now() - t0 < 1500);
  await c.whenClosed();
  assert.deepEqual(own.server.sessions(), []);
  await new Promise<void>((r) => own.listener.close(() => r()));
});

test('a target removed during login: the final login response says 0x0204', async () => {
  const name = 'iqn.2026-11.test.sanbox:short-lived';
  catalog.add({ name, luns: new Map() });
  const sock = net.connect({ host: '127.0.0.1', port: run.port });
  await new Promise((r) => sock.once('connect', r));
  const parser = new PduParser({ maxDataSegmentLength: 1 << 20, headerDigest: false, dataDigest: false });
  const answers: Buffer[] = [];
  sock.on('data', (c) => parser.feed(c, (p) => answers.push(Buffer.from(p.bhs))));
  const isid = Buffer.from('80aabbcc0020', 'hex');
  const login = (csg: number, nsg: number, keys: Array<[string, string]>) =>
    sock.write(
      encodePdu(
        serializeLoginRequest({ transit: true, cont: false, csg, nsg, versionMax: 0, versionMin: 0, isid, tsih: 0, itt: 1, cid: 0, cmdSN: 1, expStatSN: 0 }),
        serializeText(keys),
      ),
    );
  const next = async (n: number) => {
    while (answers.length < n) await new Promise((r) => setTimeout(r, 5));
    return answers[n - 1]!;
  };
  login(0, 1, [
    ['InitiatorName', INI],
    ['TargetName', name],
    ['AuthMethod', 'None'],
  ]);
  assert.equal((await next(1)).readUInt16BE(36), 0);
  catalog.nodes.delete(name);
  login(1, 3, [['MaxRecvDataSegmentLength', '8192']]);
  assert.equal((await next(2)).readUInt16BE(36), 0x0204);
  sock.destroy();
});

test('immediate commands bypass the window but are bounded by the queue depth (Reject 0x06 beyond)', async () => {
  slow.answer = async () => {
    await new Promise((r) => setTimeout(r, 80));
    return { status: ScsiStatus.Good, data: Buffer.from([1]) };
  };
  const c = await session(T1, { isid: Buffer.from('80aabbcc0030', 'hex') });
  const results = await Promise.allSettled(Array.from({ length: 12 }, () => c.scsi(0, Buffer.from([0xc0, 0, 0, 0, 0, 0]), { readLength: 1, immediate: true })));
  const ok = results.filter((r) => r.status === 'fulfilled').length;
  const rejected = results.filter((r) => r.status === 'rejected' && (r.reason as { reason?: number }).reason === 0x06).length;
  assert.equal(ok, 8);
  assert.equal(rejected, 4);
  slow.answer = (cmd) => ({ status: ScsiStatus.Good, data: Buffer.from([cmd.cdb[1]!]) });
  await c.logout();
});

test('service switched off: every login, discovery included, gets SERVICE UNAVAILABLE (0x0301); dropAll ends sessions', async () => {
  const live = await session(T0, { isid: Buffer.from('80aabbcc0030', 'hex') });
  const g = catalog.g;
  catalog.g = { ...g, serviceAvailable: false };
  try {
    assert.ok(run.server.dropAll('the iSCSI service was switched off') >= 1);
    await live.whenClosed();
    for (const targetName of [T0, undefined]) {
      const c = await IscsiInitiator.connect('127.0.0.1', run.port);
      await assert.rejects(
        c.login({ initiatorName: INI, ...(targetName ? { targetName } : {}) }),
        (e: unknown) => e instanceof LoginFailedError && e.status === 0x0301,
      );
      c.socket.destroy();
    }
  } finally {
    catalog.g = g;
  }
  const again = await session(T0, { isid: Buffer.from('80aabbcc0031', 'hex') });
  await again.logout();
});

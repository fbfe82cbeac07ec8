/**
 * Issue 9, defects 1 and 2: memory an initiator could make the target hold. Writes whose
 * last R2T is never answered, reads and NOP-Out echoes whose responses are never read.
 * The target runs in this process with a 64 MiB I/O budget and ioTimeout 2 s; each attack
 * sends ~500 MiB or more, and RSS may grow by the budget plus slack only. A healthy session
 * beside it reads back what it wrote, and the attacker is dropped for stalling.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { IscsiInitiator } from '../../src/initiator/client.js';
import { Opcode, opcodeOf } from '../../src/iscsi/pdu/bhs.js';
import { PduParser, framePdu } from '../../src/iscsi/pdu/framer.js';
import { serializeNopOut } from '../../src/iscsi/pdu/nop.js';
import { parseR2T, serializeDataOut, serializeScsiCommand } from '../../src/iscsi/pdu/scsi.js';
import { TestCatalog, globals, memoryLu, startTarget, type Running } from './harness.js';

const T0 = 'iqn.2026-12.test.sanbox:mem';
const MiB = 1024 * 1024;
const BUDGET = 64 * MiB;
/** What RSS may grow by beyond the budget: the connection send bound, parser chunks, GC lag. */
const SLACK = 64 * MiB;
const BIG = 8 * MiB; // the LU's maximum transfer
let run: Running;
let healthy: IscsiInitiator;
const golden = randomBytes(256 * 1024);

before(async () => {
  const catalog = new TestCatalog(globals({ ioTimeout: 2, maxSessions: 16 }));
  catalog.add({ name: T0, luns: new Map([[0, await memoryLu(64 * MiB)]]) });
  run = await startTarget(catalog, { limits: { ioBufferBytes: BUDGET } });
  healthy = await IscsiInitiator.connect('127.0.0.1', run.port);
  await healthy.login({ initiatorName: 'iqn.2026-12.test.sanbox:healthy', targetName: T0, isid: Buffer.from('80000000beef', 'hex') });
  for (let i = 0; i < 3 && (await healthy.scsi(0, Buffer.alloc(6))).status !== 0; i++);
});

after(async () => {
  await healthy.logout();
  await run.stop();
});

/** The healthy session writes fresh data at `lba` and reads it back (waiting its turn in the budget if it must). */
async function healthyRoundTrip(lba: number): Promise<void> {
  const data = randomBytes(golden.length);
  const w = await healthy.write10(0, lba, data);
  assert.equal(w.status, 0, `healthy write: status ${w.status}, sense ${w.sense?.toString('hex')}`);
  const r = await healthy.read10(0, lba, data.length / 512);
  assert.equal(r.status, 0);
  assert.ok(r.data.equals(data), 'the healthy session reads back what it wrote');
}

async function attacker(isid: number): Promise<IscsiInitiator> {
  const c = await IscsiInitiator.connect('127.0.0.1', run.port);
  await c.login({ initiatorName: 'iqn.2026-12.test.sanbox:attacker', targetName: T0, isid: Buffer.from([0x80, 0, 0, 0, 0xa0, isid]) });
  for (let i = 0; i < 3 && (await c.scsi(0, Buffer.alloc(6))).status !== 0; i++);
  return c;
}

function cdb10(op: number, lba: number, blocks: number): Buffer {
  const cdb = Buffer.alloc(16);
  cdb[0] = op;
  cdb.writeUInt32BE(lba, 2);
  cdb.writeUInt16BE(blocks, 7);
  return cdb;
}

/** Send one PDU whose data is a shared buffer, without copying it (the sender's memory stays flat). */
function sendPdu(c: IscsiInitiator, bhs: Buffer, data: Buffer | null): void {
  const parts: Buffer[] = [];
  framePdu(bhs, data, false, false, parts);
  for (const p of parts) c.writeRaw(p);
}

/** 32 windowed + 32 immediate commands of `op` with 8 MiB each. */
function flood(c: IscsiInitiator, op: number, write: boolean): void {
  const blocks = BIG / 512;
  let cmdSN = c.cmdSN;
  for (let i = 0; i < 64; i++) {
    const immediate = i >= 32;
    const bhs = serializeScsiCommand({
      immediate,
      final: true,
      read: !write,
      write,
      attribute: 1,
      lun: 0,
      itt: 0x7000 + i,
      expectedLength: BIG,
      cmdSN,
      expStatSN: c.expStatSN,
      cdb: cdb10(op, 0, blocks),
    });
    sendPdu(c, bhs, null);
    if (!immediate) cmdSN = (cmdSN + 1) >>> 0;
  }
}

function rssGrowth(since: number): number {
  return process.memoryUsage().rss - since;
}

function attackerConnected(): boolean {
  return run.server.sessions().some((s) => s.initiatorName.endsWith(':attacker'));
}

/** Wait until the target has closed the attacker's connection (its paused socket would never notice). */
async function droppedByTarget(c: IscsiInitiator): Promise<void> {
  const mine = (): number => run.server.sessions().filter((s) => s.initiatorName.endsWith(':attacker')).length;
  for (let i = 0; i < 100 && mine() > 0; i++) await settle(100);
  assert.equal(mine(), 0, 'the attacker was dropped');
  c.socket.destroy();
}

async function settle(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

test('writes whose last R2T is never answered hold no more than the I/O budget', async () => {
  const c = await attacker(1);
  const rss0 = process.memoryUsage().rss;
  const chunk = Buffer.alloc(256 * 1024, 0x5a);
  let r2ts = 0;
  let answered = 0;
  const parser = new PduParser({ maxDataSegmentLength: 1 << 24, headerDigest: false, dataDigest: false });
  c.socket.on('data', (buf: Buffer) =>
    parser.feed(buf, (p) => {
      if (opcodeOf(p.bhs) !== Opcode.R2T) return;
      r2ts++;
      const r = parseR2T(p);
      if (r.bufferOffset + r.desiredLength >= BIG) return; // the last burst never comes
      for (let off = 0; off < r.desiredLength; off += chunk.length) {
        const n = Math.min(chunk.length, r.desiredLength - off);
        const bhs = serializeDataOut({
          final: off + n >= r.desiredLength,
          lun: 0,
          itt: r.itt,
          ttt: r.ttt,
          expStatSN: 0,
          dataSN: off / chunk.length,
          bufferOffset: r.bufferOffset + off,
        });
        sendPdu(c, bhs, n === chunk.length ? chunk : chunk.subarray(0, n));
        answered += n;
      }
    }),
  );
  flood(c, 0x2a, true);
  // Let the attacker send everything it is asked for.
  let last = -1;
  while (last !== answered) {
    last = answered;
    await settle(300);
  }
  const grown = rssGrowth(rss0);
  const held = run.server.budget.inUse;
  console.log(
    `writes: ${(answered / MiB).toFixed(0)} MiB of Data-Out sent for 64 x 8 MiB writes, ${r2ts} R2Ts; RSS +${(grown / MiB).toFixed(0)} MiB; budget holds ${(held / MiB).toFixed(0)} MiB, ${run.server.budget.waiting} waiting`,
  );
  assert.ok(held <= run.server.budget.share + BIG, `budget holds ${held}: one session's share, not the whole budget`);
  assert.ok(grown < BUDGET + SLACK, `RSS grew ${(grown / MiB).toFixed(0)} MiB`);
  // The attacker holds its session's share only: the healthy session is served while the
  // attacker is still connected (then the stalled attacker is dropped after ioTimeout).
  await healthyRoundTrip(0x8000);
  assert.ok(attackerConnected(), 'the healthy session did not wait for the attacker to be dropped');
  await c.whenClosed();
  await settle(50);
  assert.equal(run.server.budget.inUse, 0, 'everything the attacker held is given back');
});

test('reads whose responses are never read hold no more than the I/O budget', async () => {
  const c = await attacker(2);
  const rss0 = process.memoryUsage().rss;
  c.socket.pause(); // read nothing the target sends
  flood(c, 0x28, false);
  await settle(1500);
  const grown = rssGrowth(rss0);
  console.log(
    `reads: 64 x 8 MiB asked, none read; RSS +${(grown / MiB).toFixed(0)} MiB; budget holds ${(run.server.budget.inUse / MiB).toFixed(0)} MiB, ${run.server.budget.waiting} waiting`,
  );
  assert.ok(run.server.budget.inUse <= BUDGET + BIG);
  assert.ok(grown < BUDGET + SLACK, `RSS grew ${(grown / MiB).toFixed(0)} MiB`);
  await healthyRoundTrip(0x9000);
  assert.ok(attackerConnected(), 'the healthy session did not wait for the attacker to be dropped');
  await droppedByTarget(c); // it stopped reading its responses
  await settle(50);
  assert.equal(run.server.budget.inUse, 0);
});

test('NOP-Out echoes that are never read stop the connection being read', async () => {
  const c = await attacker(3);
  const rss0 = process.memoryUsage().rss;
  c.socket.pause();
  const payload = Buffer.alloc(256 * 1024, 0x33);
  for (let i = 0; i < 4096; i++) {
    sendPdu(c, serializeNopOut({ immediate: true, lun: 0, itt: 0x9000 + i, ttt: 0xffffffff, cmdSN: c.cmdSN, expStatSN: c.expStatSN }), payload);
  }
  await settle(1500);
  const grown = rssGrowth(rss0);
  console.log(`NOP-Out: 4096 x 256 KiB sent (1 GiB), none read; RSS +${(grown / MiB).toFixed(0)} MiB`);
  assert.ok(grown < SLACK, `RSS grew ${(grown / MiB).toFixed(0)} MiB`);
  await healthyRoundTrip(0xa000);
  await droppedByTarget(c);
});

test('a write whose CDB is out of range is answered at once, with nothing buffered for it', async () => {
  const c = await attacker(4);
  try {
    const lastLba = (await c.readCapacity10(0)).lastLba;
    const before = run.server.budget.inUse;
    // 8 MiB asked past the end, no Data-Out sent at all: the answer cannot wait for data.
    const bhs = serializeScsiCommand({
      immediate: false,
      final: true,
      read: false,
      write: true,
      attribute: 1,
      lun: 0,
      itt: 0x6001,
      expectedLength: BIG,
      cmdSN: c.cmdSN,
      expStatSN: c.expStatSN,
      cdb: cdb10(0x2a, lastLba, BIG / 512),
    });
    const answer = new Promise<Buffer>((resolve) => {
      const parser = new PduParser({ maxDataSegmentLength: 1 << 24, headerDigest: false, dataDigest: false });
      c.socket.on('data', (buf: Buffer) =>
        parser.feed(buf, (p) => {
          if (opcodeOf(p.bhs) === Opcode.ScsiResponse && p.bhs.readUInt32BE(16) === 0x6001) resolve(Buffer.from(p.data));
        }),
      );
    });
    sendPdu(c, bhs, null);
    const sense = await answer;
    assert.equal(sense[2 + 2]! & 0x0f, 0x05, 'ILLEGAL REQUEST');
    assert.equal(sense[2 + 12], 0x21, 'LOGICAL BLOCK ADDRESS OUT OF RANGE');
    assert.equal(run.server.budget.inUse, before);
  } finally {
    c.socket.destroy();
  }
  await healthyRoundTrip(0xb000);
});

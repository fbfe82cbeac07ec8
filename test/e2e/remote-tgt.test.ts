/**
 * Debian's tgt as the external array under RemoteLun and RangeBackstore: the capacity is
 * the backing file's, bytes written through a range land at its offset in tgt's file and
 * nowhere else, CHAP both ways, UNMAP or zeros, and tgtd restarting under a connected LUN:
 * I/O issued during the outage completes after it; an outage past the bound is EIO.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RangeBackstore } from '../../src/backstore/range.js';
import type { TransportHealth } from '../../src/backstore/transport.js';
import { RemoteLoginError } from '../../src/initiator/remote-errors.js';
import { RemoteLun, type RemoteLunOptions } from '../../src/initiator/remote-lun.js';
import { TgtArray } from './tgt-array.js';
import { fileBytes } from './peers.js';

const MiB = 1024 * 1024;
const PLAIN = 'iqn.2026-11.test.sanbox:array-plain';
const CHAP = 'iqn.2026-11.test.sanbox:array-chap';
const ACCOUNT = { user: 'sanbox-pool', secret: 'array-secret-0042' };
const INI = 'iqn.2026-11.test.sanbox:pool-initiator';
const PLAIN_SIZE = 72 * MiB;
const THIN_SIZE = 16 * MiB;

let work: string;
let array: TgtArray;
let plainImage: string;
let thinImage: string;

function image(file: string, size: number): string {
  fs.writeFileSync(file, '');
  fs.truncateSync(file, size);
  return file;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-remote-'));
  plainImage = image(path.join(work, 'plain.img'), PLAIN_SIZE);
  thinImage = image(path.join(work, 'thin.img'), THIN_SIZE);
  array = await TgtArray.start(work, [
    { iqn: PLAIN, image: plainImage },
    { iqn: CHAP, image: thinImage, chap: ACCOUNT, thin: true },
  ]);
});
after(async () => {
  await array.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

function options(over: Partial<RemoteLunOptions> = {}): RemoteLunOptions {
  return { address: '127.0.0.1', port: array.port, targetName: PLAIN, lun: array.lun, initiatorName: INI, backoffFirstMs: 100, backoffMaxMs: 500, ...over };
}

test("the capacity read from tgt is its backing file's size", async () => {
  const r = await RemoteLun.open(options());
  try {
    assert.equal(r.blockSize, 512);
    assert.equal(r.sizeBytes, fs.statSync(plainImage).size);
    assert.equal(await r.capacity(), PLAIN_SIZE);
    assert.deepEqual(r.health(), { ...r.health(), state: 'connected', lastError: null });
  } finally {
    await r.close();
  }
});

test("two ranges: bytes land at each range's offset in tgt's file, and B never touches A", async () => {
  const r = await RemoteLun.open(options());
  const a = new RangeBackstore(r, 4 * MiB, 16 * MiB);
  const b = new RangeBackstore(r, 20 * MiB, 16 * MiB);
  try {
    const writes: Array<[number, number]> = [
      [0, 4096],
      [512, 512],
      [5 * MiB + 1536, 3 * MiB + 512],
      [16 * MiB - 64 * 1024, 64 * 1024],
    ];
    for (const [off, len] of writes) {
      const data = randomBytes(len);
      await a.write(data, off, false);
      assert.ok(fileBytes(plainImage, 4 * MiB + off, len).equals(data), `A at ${off}+${len} in the file`);
      const back = Buffer.alloc(len);
      await a.read(back, off);
      assert.ok(back.equals(data), `A at ${off}+${len} read back`);
    }
    const aBefore = sha(fileBytes(plainImage, 4 * MiB, 16 * MiB));
    // B from its first to its last byte, in one go and at its edges.
    const whole = randomBytes(16 * MiB);
    await b.write(whole, 0, true);
    await b.write(randomBytes(512), 0, false);
    await b.write(randomBytes(4096), 16 * MiB - 4096, false);
    await b.flush();
    assert.equal(sha(fileBytes(plainImage, 4 * MiB, 16 * MiB)), aBefore, 'range A unchanged by writes to B');
    const bBack = Buffer.alloc(16 * MiB);
    await b.read(bBack, 0);
    assert.ok(bBack.equals(fileBytes(plainImage, 20 * MiB, 16 * MiB)));
    // Out of range: refused, nothing written.
    const fileBefore = sha(fileBytes(plainImage, 0, PLAIN_SIZE));
    await assert.rejects(b.write(randomBytes(1024), 16 * MiB - 512, false), { code: 'ERANGE' });
    await assert.rejects(a.read(Buffer.alloc(512), 16 * MiB), { code: 'ERANGE' });
    await assert.rejects(a.write(randomBytes(512), -512, false), { code: 'ERANGE' });
    assert.equal(sha(fileBytes(plainImage, 0, PLAIN_SIZE)), fileBefore);
    assert.throws(() => new RangeBackstore(r, 64 * MiB, 16 * MiB), /ends past the medium/);
    // tgt's plain file LUN has no UNMAP: a discard writes zeros, over exactly the range asked.
    await a.discard(8 * MiB, MiB);
    assert.ok(fileBytes(plainImage, 12 * MiB, MiB).every((x) => x === 0));
    assert.equal(sha(fileBytes(plainImage, 20 * MiB, 16 * MiB)), sha(bBack), "B unchanged by A's discard");
  } finally {
    await a.close();
    await b.close();
    await r.close();
  }
});

test("CHAP: tgt's incoming account logs in, and UNMAP on its thin LUN punches holes; a wrong secret is a clear EACCES", async () => {
  const r = await RemoteLun.open(options({ targetName: CHAP, chap: ACCOUNT }));
  try {
    assert.equal(r.sizeBytes, THIN_SIZE);
    const range = new RangeBackstore(r, 2 * MiB, 8 * MiB);
    await range.write(randomBytes(4 * MiB), 0, false);
    await range.flush();
    const allocated = fs.statSync(thinImage).blocks;
    assert.equal(await r.discard(2 * MiB, 4 * MiB), true);
    await range.discard(0, 4 * MiB);
    assert.ok(fs.statSync(thinImage).blocks < allocated, "the holes are punched in tgt's file");
    assert.ok(fileBytes(thinImage, 2 * MiB, 4 * MiB).every((x) => x === 0));
  } finally {
    await r.close();
  }
  for (const chap of [{ user: ACCOUNT.user, secret: 'not-the-secret-00' }, undefined]) {
    const err = await RemoteLun.open(options({ targetName: CHAP, ...(chap ? { chap } : {}) })).catch((e: unknown) => e);
    assert.ok(err instanceof RemoteLoginError, String(err));
    assert.equal(err.code, 'EACCES');
    assert.equal(err.status, 0x0201);
    assert.match(err.message, /array-chap LUN 1 at 127\.0\.0\.1:\d+: authentication failed/);
    assert.doesNotMatch(err.message, /not-the-secret/);
  }
});

test('tgtd restarts under a connected LUN: reconnecting, connected, and I/O issued meanwhile completes with the right bytes', async () => {
  const r = await RemoteLun.open(options({ unreachableAfterMs: 30_000 }));
  const seen: TransportHealth['state'][] = [];
  r.onHealthChange((h) => seen.push(h.state));
  const range = new RangeBackstore(r, 40 * MiB, 16 * MiB);
  try {
    const before = randomBytes(MiB);
    await range.write(before, 0, false);
    await array.stop();
    for (let i = 0; i < 100 && r.health().state === 'connected'; i++) await sleep(20);
    assert.equal(r.health().state, 'reconnecting');
    const during = randomBytes(2 * MiB + 4096);
    const writing = range.write(during, 3 * MiB, false);
    const read = Buffer.alloc(before.length);
    const reading = range.read(read, 0);
    await sleep(700);
    await array.start();
    await Promise.all([writing, reading]);
    assert.equal(r.health().state, 'connected');
    assert.deepEqual(seen, ['reconnecting', 'connected']);
    assert.ok(read.equals(before), 'the read issued during the outage got the bytes from before it');
    assert.ok(fileBytes(plainImage, 43 * MiB, during.length).equals(during), "the write issued during the outage is in tgt's file");
    assert.ok(r.health().lastError, "the outage's cause is kept");
  } finally {
    await r.close();
  }
});

test('tgt gone longer than the bound: I/O fails with EIO and health is unreachable; back when tgt is', async () => {
  const r = await RemoteLun.open(options({ unreachableAfterMs: 1500 }));
  const range = new RangeBackstore(r, 60 * MiB, 4 * MiB);
  try {
    await array.stop();
    const t0 = Date.now();
    const err = await range.write(randomBytes(4096), 0, false).catch((e: NodeJS.ErrnoException) => e);
    assert.ok(err instanceof Error, 'the write failed');
    assert.equal((err as NodeJS.ErrnoException).code, 'EIO');
    const waited = Date.now() - t0;
    assert.ok(waited >= 1000 && waited < 6000, `failed after ${waited} ms`);
    assert.equal(r.health().state, 'unreachable');
    assert.equal(range.health().state, 'unreachable');
    await assert.rejects(range.read(Buffer.alloc(512), 0), { code: 'EIO' });
  } finally {
    await array.start();
  }
  try {
    for (let i = 0; i < 200 && r.health().state !== 'connected'; i++) await sleep(25);
    assert.equal(r.health().state, 'connected');
    const data = randomBytes(8192);
    await range.write(data, 0, false);
    assert.ok(fileBytes(plainImage, 60 * MiB, data.length).equals(data));
  } finally {
    await r.close();
  }
});

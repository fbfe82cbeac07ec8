/**
 * The whole path with real peers at both ends: qemu-img (libiscsi) writes to sanbox's own
 * target, whose LU is a RangeBackstore over a RemoteLun logged in to tgt; the bytes land
 * at the range's offset in tgt's backing file, nothing around it changes, and qemu-img
 * reads them back through sanbox.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RangeBackstore } from '../../src/backstore/range.js';
import { RemoteLun } from '../../src/initiator/remote-lun.js';
import { createLogicalUnit } from '../../src/scsi/logical-unit.js';
import type { LogicalUnit } from '../../src/scsi/types.js';
import { TestCatalog, globals, startTarget, type Running } from '../iscsi/harness.js';
import { iscsiUrl, run } from './peers.js';
import { TgtArray } from './tgt-array.js';

const MiB = 1024 * 1024;
const ARRAY_IQN = 'iqn.2026-11.test.sanbox:array-qemu';
const SANBOX_IQN = 'iqn.2026-11.test.sanbox:over-tgt';
const OFFSET = 24 * MiB;
const SIZE = 64 * MiB;

let work: string;
let arrayImage: string;
let array: TgtArray;
let remote: RemoteLun;
let target: Running;

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-remote-qemu-'));
  arrayImage = path.join(work, 'array.img');
  fs.writeFileSync(arrayImage, '');
  fs.truncateSync(arrayImage, OFFSET + SIZE + 8 * MiB);
  array = await TgtArray.start(work, [{ iqn: ARRAY_IQN, image: arrayImage }]);
  remote = await RemoteLun.open({
    address: '127.0.0.1',
    port: array.port,
    targetName: ARRAY_IQN,
    lun: array.lun,
    initiatorName: 'iqn.2026-11.test.sanbox:pool',
  });
  const lu: LogicalUnit = createLogicalUnit({
    serial: 'RANGE0001',
    naa: '6001405a1b2c3d50',
    vendor: 'SANBOX',
    product: 'REMOTE RANGE',
    revision: '0001',
    blockSize: 512,
    readOnly: false,
    rotationRate: 0,
    thin: false,
    backstore: new RangeBackstore(remote, OFFSET, SIZE),
  });
  const catalog = new TestCatalog(globals());
  catalog.add({ name: SANBOX_IQN, luns: new Map([[0, lu]]) });
  target = await startTarget(catalog);
});
after(async () => {
  await target?.stop();
  await remote?.close();
  await array?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

function sha(file: string, offset = 0, length = fs.statSync(file).size): string {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(length);
    fs.readSync(fd, b, 0, length, offset);
    return createHash('sha256').update(b).digest('hex');
  } finally {
    fs.closeSync(fd);
  }
}

test("qemu-img writes a file through sanbox into a range of tgt's LUN and reads it back", async () => {
  const src = path.join(work, 'random.img');
  fs.writeFileSync(src, randomBytes(SIZE));
  const zeros = sha(arrayImage, 0, OFFSET);
  const url = iscsiUrl(target.port, SANBOX_IQN, 0);

  const into = await run('qemu-img', ['convert', '-n', '-f', 'raw', '-O', 'raw', src, url], { timeoutMs: 180_000 });
  assert.equal(into.code, 0, into.stderr);
  assert.equal(sha(arrayImage, OFFSET, SIZE), sha(src), "the bytes are at the range's offset in tgt's file");
  assert.equal(sha(arrayImage, 0, OFFSET), zeros, 'nothing before the range changed');
  assert.equal(sha(arrayImage, OFFSET + SIZE, 8 * MiB), sha(arrayImage, 0, 8 * MiB), 'nothing after it either');

  const back = path.join(work, 'back.img');
  const out = await run('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', url, back], { timeoutMs: 180_000 });
  assert.equal(out.code, 0, out.stderr);
  assert.equal(fs.statSync(back).size, SIZE);
  assert.equal(sha(back), sha(src));
});

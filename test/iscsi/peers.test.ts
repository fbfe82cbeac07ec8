/**
 * Real initiators against the target: libiscsi's utilities and test suite, and QEMU's
 * iscsi:// block driver. Only 127.0.0.0/8 traffic.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestCatalog, globals, memoryLu, startTarget, type Running } from './harness.js';

const run$ = promisify(execFile);
const DISK = 'iqn.2026-11.test.sanbox:peers-disk';
const MULTI = 'iqn.2026-11.test.sanbox:peers-multi';
const DIGEST = 'iqn.2026-11.test.sanbox:peers-digest';
const CHAP = 'iqn.2026-11.test.sanbox:peers-chap';
const SIZE = 32 << 20;

let run: Running;
let dir: string;

before(async () => {
  const catalog = new TestCatalog(globals({ maxRecvDataSegmentLength: 262144 }));
  catalog.add({ name: DISK, alias: 'peers', luns: new Map([[0, await memoryLu(SIZE)]]) });
  catalog.add({
    name: MULTI,
    luns: new Map([
      [0, await memoryLu(1 << 20)],
      [7, await memoryLu(2 << 20)],
      [260, await memoryLu(3 << 20)],
    ]),
  });
  // iscsi-ls logs into every target it discovers with its defaults (no digests, no CHAP):
  // hide the special ones from it through the initiator-group check.
  const notLs = (ini: string) => !ini.endsWith(':iscsi-ls');
  catalog.add({ name: DIGEST, digest: 'CRC32C', admits: notLs, luns: new Map([[0, await memoryLu(4 << 20)]]) });
  catalog.add({
    name: CHAP,
    admits: notLs,
    auth: { method: 'CHAP', credentials: [{ user: 'peeruser', secret: 'peersecret1234', peerUser: '', peerSecret: '' }] },
    luns: new Map([[0, await memoryLu(1 << 20)]]),
  });
  run = await startTarget(catalog);
  dir = await mkdtemp(join(tmpdir(), 'sanbox-peers-'));
});

after(async () => {
  await run.stop();
  await rm(dir, { recursive: true, force: true });
});

const url = (target: string, lun: number, auth = '') => `iscsi://${auth}127.0.0.1:${run.port}/${target}/${lun}`;

test('iscsi-ls -s: discovery lists every target, LUN and size', async () => {
  const { stdout } = await run$('iscsi-ls', ['-s', `iscsi://127.0.0.1:${run.port}/`], { timeout: 20000 });
  assert.match(stdout, new RegExp(`Target:${DISK} Portal:127\\.0\\.0\\.1:${run.port},1`));
  assert.match(stdout, /Lun:0\s+Type:DIRECT_ACCESS \(Size:31M\)/);
  assert.match(stdout, new RegExp(`Target:${MULTI} `));
  // LUN 260 is reported flat (0x4104); libiscsi prints the raw 16 bits.
  assert.match(stdout, /Lun:16644\s+Type:DIRECT_ACCESS/);
  assert.doesNotMatch(stdout, new RegExp(DIGEST));
  assert.match(stdout, /Lun:7\s+Type:DIRECT_ACCESS/);
});

test('iscsi-inq and iscsi-readcapacity16', async () => {
  const inq = await run$('iscsi-inq', [url(DISK, 0)], { timeout: 20000 });
  assert.match(inq.stdout, /Peripheral Device Type:DIRECT_ACCESS/);
  assert.match(inq.stdout, /Vendor:SANBOX/);
  const rc = await run$('iscsi-readcapacity16', [url(MULTI, 260)], { timeout: 20000 });
  assert.match(rc.stdout, new RegExp(`Total size:${3 << 20}`));
});

test('libiscsi with CRC32C header digests against a digest-only target', async () => {
  const inq = await run$('iscsi-inq', [`${url(DIGEST, 0)}?header_digest=crc32c`], { timeout: 20000 });
  assert.match(inq.stdout, /DIRECT_ACCESS/);
});

test('libiscsi with CHAP: right secret logs in, wrong secret is refused', async () => {
  const ok = await run$('iscsi-inq', [url(CHAP, 0, 'peeruser%peersecret1234@')], { timeout: 20000 });
  assert.match(ok.stdout, /DIRECT_ACCESS/);
  await assert.rejects(run$('iscsi-inq', [url(CHAP, 0, 'peeruser%wrongsecret999@')], { timeout: 20000 }));
  await assert.rejects(run$('iscsi-inq', [url(CHAP, 0)], { timeout: 20000 }));
});

test('qemu-img convert writes 32 MiB over iscsi:// and reads back the same bytes', async () => {
  const src = join(dir, 'src.raw');
  const back = join(dir, 'back.raw');
  const data = randomBytes(SIZE);
  await writeFile(src, data);
  await run$('qemu-img', ['convert', '-n', '-f', 'raw', '-O', 'raw', src, url(DISK, 0)], { timeout: 60000 });
  await run$('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', url(DISK, 0), back], { timeout: 60000 });
  assert.ok((await readFile(back)).equals(data));
});

test('qemu-img bench: concurrent 4 KiB reads and writes at depth 32 complete', async () => {
  for (const write of [false, true]) {
    const args = ['bench', '-t', 'none', '-f', 'raw', '-c', '4000', '-d', '32', '-s', '4096', ...(write ? ['-w'] : []), url(DISK, 0)];
    const { stdout } = await run$('qemu-img', args, { timeout: 60000 });
    assert.match(stdout, /Run completed/);
  }
});

test('iscsi-test-cu: every iSCSI protocol suite (CmdSN, DataSN, residuals, TMF) passes', async () => {
  const tests = ['iSCSI.*'];
  for (const t of tests) {
    const { stdout } = await run$('iscsi-test-cu', ['--dataloss', '-t', t, url(DISK, 0)], { timeout: 120000 });
    const m = /tests\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/.exec(stdout);
    assert.ok(m, `no summary for ${t}:\n${stdout.slice(-2000)}`);
    assert.equal(Number(m[4]), 0, `${t} failures:\n${stdout.slice(-3000)}`);
    assert.ok(Number(m[3]) >= 1, `${t} ran nothing`);
  }
});

test('qemu-img with header-digest=crc32c against a digest-only target: write and read back', async () => {
  const opts = `driver=iscsi,transport=tcp,portal=127.0.0.1:${run.port},target=${DIGEST},lun=0,header-digest=crc32c`;
  const src = join(dir, 'digest-src.raw');
  const back = join(dir, 'digest-back.raw');
  const data = randomBytes(4 << 20);
  await writeFile(src, data);
  await run$('qemu-img', ['convert', '-n', '-f', 'raw', '--target-image-opts', src, opts], { timeout: 60000 });
  await run$('qemu-img', ['convert', '--image-opts', opts, '-O', 'raw', back], { timeout: 60000 });
  assert.ok((await readFile(back)).equals(data));
});

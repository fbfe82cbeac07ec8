/** Backstores on real files: sparse images, positioned I/O, FUA, discard, allocation map. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync, openSync, closeSync, existsSync, readFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { openBackstore } from '../../src/backstore/open.js';
import { nativeFs, nativeLoadError, tuneMallocForIo } from '../../src/backstore/native.js';
import type { FdBackstore } from '../../src/backstore/file.js';
import { MediumEndError } from '../../src/backstore/backstore.js';

const MiB = 1024 * 1024;

/** A sparse image of `size` bytes, as the API creates one (the backstore never does). */
function image(path: string, size: number): string {
  writeFileSync(path, '', { mode: 0o600 });
  truncateSync(path, size);
  return path;
}

function tmp(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'sanbox-bs-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('file: a missing image or pool directory is not created: ENOENT, nothing on disk', async () => {
  const { dir, done } = tmp();
  try {
    const path = join(dir, 'new.img');
    await assert.rejects(openBackstore({ kind: 'file', path, sizeBytes: 64 * MiB }), { code: 'ENOENT' });
    assert.equal(existsSync(path), false);
    const unmounted = join(dir, 'pool', 'disk.img');
    await assert.rejects(openBackstore({ kind: 'file', path: unmounted, sizeBytes: 64 * MiB }), { code: 'ENOENT' });
    assert.equal(existsSync(join(dir, 'pool')), false);
    const bs = await openBackstore({ kind: 'file', path: image(path, 64 * MiB), sizeBytes: 64 * MiB });
    assert.equal(bs.sizeBytes, 64 * MiB);
    assert.ok(statSync(path).blocks < 64, 'sparse');
    await bs.close();
  } finally {
    done();
  }
});

test('file: positioned write/read, FUA, flush, holes read as zeros', async () => {
  const { dir, done } = tmp();
  try {
    const path = image(join(dir, 'a.img'), 8 * MiB);
    const bs = await openBackstore({ kind: 'file', path, sizeBytes: 8 * MiB });
    const data = Buffer.alloc(8192);
    for (let i = 0; i < data.length; i++) data[i] = i & 0xff;
    await bs.write(data, 4096, false);
    await bs.write(data.subarray(0, 512), 1 * MiB, true);
    await bs.flush();
    const back = Buffer.alloc(8192);
    await bs.read(back, 4096);
    assert.deepEqual(back, data);
    const hole = Buffer.alloc(4096, 0xff);
    await bs.read(hole, 4 * MiB);
    assert.deepEqual(hole, Buffer.alloc(4096));
    assert.deepEqual(readFileSync(path).subarray(MiB, MiB + 512), data.subarray(0, 512));
    await bs.close();
    await assert.rejects(bs.read(Buffer.alloc(512), 0), { code: 'EBADF' });
  } finally {
    done();
  }
});

test('file: the medium size wins; a read past the real end (truncated under it) rejects with where the file ends', async () => {
  const { dir, done } = tmp();
  try {
    const path = join(dir, 'short.img');
    writeFileSync(path, Buffer.alloc(1000, 1));
    const bs = await openBackstore({ kind: 'file', path, sizeBytes: 8 * MiB });
    assert.equal(bs.sizeBytes, 1000);
    const b = Buffer.alloc(2048, 0xff);
    await assert.rejects(bs.read(b, 0), (e: MediumEndError) => e instanceof MediumEndError && e.code === 'EIO' && e.endOffset === 1000);
    await assert.rejects(bs.read(Buffer.alloc(512), 4096), (e: MediumEndError) => e instanceof MediumEndError && e.endOffset === 4096);
    truncateSync(path, 2 * MiB);
    assert.equal(await bs.refreshSize(), 2 * MiB);
    await bs.read(b, 0);
    assert.deepEqual(b.subarray(0, 1000), Buffer.alloc(1000, 1));
    assert.deepEqual(b.subarray(1000), Buffer.alloc(1048), 'a hole reads as zeros');
    await bs.close();
  } finally {
    done();
  }
});

test('file: read-only backstore refuses writes with an errno code', async () => {
  const { dir, done } = tmp();
  try {
    const path = join(dir, 'ro.img');
    writeFileSync(path, Buffer.alloc(4096));
    const bs = await openBackstore({ kind: 'file', path, sizeBytes: 4096, readOnly: true });
    await assert.rejects(bs.write(Buffer.alloc(512), 0, false), (e: NodeJS.ErrnoException) => e.code === 'EBADF');
    await bs.close();
    await assert.rejects(openBackstore({ kind: 'file', path: join(dir, 'missing.img'), sizeBytes: 4096, readOnly: true }), { code: 'ENOENT' });
    await assert.rejects(openBackstore({ kind: 'block', path, sizeBytes: 4096 }), { code: 'ENOTBLK' });
  } finally {
    done();
  }
});

test('file: discard punches a hole; mapped() reports data and holes', async () => {
  const { dir, done } = tmp();
  try {
    const path = image(join(dir, 'thin.img'), 16 * MiB);
    const bs = await openBackstore({ kind: 'file', path, sizeBytes: 16 * MiB });
    await bs.write(Buffer.alloc(4 * MiB, 7), 0, false);
    assert.deepEqual(await bs.mapped(0, 16 * MiB), [
      { offset: 0, length: 4 * MiB, mapped: true },
      { offset: 4 * MiB, length: 12 * MiB, mapped: false },
    ]);
    const used = statSync(path).blocks;
    await bs.discard(1 * MiB, 2 * MiB);
    assert.ok(statSync(path).blocks <= used - (2 * MiB) / 512, 'space returned');
    assert.deepEqual(await bs.mapped(0, 16 * MiB), [
      { offset: 0, length: 1 * MiB, mapped: true },
      { offset: 1 * MiB, length: 2 * MiB, mapped: false },
      { offset: 3 * MiB, length: 1 * MiB, mapped: true },
      { offset: 4 * MiB, length: 12 * MiB, mapped: false },
    ]);
    const b = Buffer.alloc(MiB, 1);
    await bs.read(b, 1 * MiB);
    assert.deepEqual(b, Buffer.alloc(MiB));
    // a partial block discard still zeroes the bytes
    await bs.discard(512, 512);
    const p = Buffer.alloc(1536);
    await bs.read(p, 0);
    assert.deepEqual(p.subarray(512, 1024), Buffer.alloc(512));
    assert.deepEqual(p.subarray(0, 512), Buffer.alloc(512, 7));
    assert.deepEqual(p.subarray(1024), Buffer.alloc(512, 7));
    await bs.close();
  } finally {
    done();
  }
});

test('native addon: punchHole, seekData/seekHole, seekEnd, errno codes', () => {
  const n = nativeFs();
  assert.ok(n, nativeLoadError() ?? '');
  const { dir, done } = tmp();
  try {
    const path = join(dir, 'n.img');
    writeFileSync(path, Buffer.alloc(0));
    truncateSync(path, 8 * MiB);
    const fd = openSync(path, 'r+');
    try {
      assert.equal(n.seekData(fd, 0), -1, 'all hole');
      writeFileSync(path, Buffer.alloc(MiB, 1), { flag: 'r+' });
      assert.equal(n.seekData(fd, 0), 0);
      assert.equal(n.seekHole(fd, 0), MiB);
      assert.equal(n.seekEnd(fd), 8 * MiB);
      n.punchHole(fd, 0, MiB);
      assert.equal(n.seekData(fd, 0), -1);
      assert.throws(() => n.punchHole(-1, 0, 4096), { code: 'EBADF' });
      assert.throws(() => (n.punchHole as unknown as (a: string) => void)('x'), TypeError);
    } finally {
      closeSync(fd);
    }
  } finally {
    done();
  }
});

test('memory backstore: sparse chunks, discard, mapped', async () => {
  const bs = await openBackstore({ kind: 'memory', sizeBytes: 4 * MiB });
  const d = Buffer.alloc(3000, 9);
  await bs.write(d, MiB - 1000, false);
  const b = Buffer.alloc(3000);
  await bs.read(b, MiB - 1000);
  assert.deepEqual(b, d);
  assert.deepEqual(await bs.mapped(0, 4 * MiB), [
    { offset: 0, length: 2 * MiB, mapped: true },
    { offset: 2 * MiB, length: 2 * MiB, mapped: false },
  ]);
  await bs.discard(0, 2 * MiB);
  assert.deepEqual(await bs.mapped(0, 4 * MiB), [{ offset: 0, length: 4 * MiB, mapped: false }]);
  await bs.close();
});

test('null backstore: zeros in, writes vanish', async () => {
  const bs = await openBackstore({ kind: 'null', sizeBytes: 4 * MiB });
  await bs.write(Buffer.alloc(512, 1), 0, true);
  const b = Buffer.alloc(512, 5);
  await bs.read(b, 0);
  assert.deepEqual(b, Buffer.alloc(512));
  assert.equal(bs.sizeBytes, 4 * MiB);
  await bs.close();
});

test('block device backstore over a loop device (skipped without losetup/root)', async (t) => {
  const { dir, done } = tmp();
  let loop = '';
  try {
    const img = join(dir, 'loop.img');
    writeFileSync(img, Buffer.alloc(0));
    truncateSync(img, 8 * MiB);
    try {
      loop = execFileSync('losetup', ['--find', '--show', img], { stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim();
    } catch {
      t.skip('no loop devices here');
      return;
    }
    if (!existsSync(loop)) {
      t.skip('loop device node missing');
      return;
    }
    const bs = await openBackstore({ kind: 'block', path: loop, sizeBytes: 0 });
    assert.equal(bs.sizeBytes, 8 * MiB);
    const d = Buffer.alloc(4096, 3);
    await bs.write(d, 4096, true);
    const b = Buffer.alloc(4096);
    await bs.read(b, 4096);
    assert.deepEqual(b, d);
    await bs.flush();
    await bs.close();
  } finally {
    if (loop) execFileSync('losetup', ['-d', loop]);
    done();
  }
});

test('native addon: punchHoleAsync runs off the event loop and rejects with errno codes', async () => {
  const n = nativeFs()!;
  const { dir, done } = tmp();
  try {
    const path = join(dir, 'a.img');
    writeFileSync(path, Buffer.alloc(4 * MiB, 1));
    const fd = openSync(path, 'r+');
    try {
      await n.punchHoleAsync(fd, MiB, 2 * MiB);
      assert.equal(n.seekHole(fd, 0), MiB);
      assert.equal(n.seekData(fd, MiB), 3 * MiB);
      await n.punchHoleAsync(fd, 0, 0);
      await assert.rejects(n.punchHoleAsync(-1, 0, 4096), { code: 'EBADF' });
    } finally {
      closeSync(fd);
    }
  } finally {
    done();
  }
});

test('file: close() waits for I/O in flight before the descriptors go away', async () => {
  const { dir, done } = tmp();
  try {
    const path = image(join(dir, 'c.img'), 64 * MiB);
    const bs = await openBackstore({ kind: 'file', path, sizeBytes: 64 * MiB });
    const data = Buffer.alloc(MiB, 0x5a);
    const writes = Array.from({ length: 32 }, (_, i) => bs.write(data, i * MiB, false));
    const closing = bs.close();
    await Promise.all(writes);
    await closing;
    const back = readFileSync(path);
    for (let i = 0; i < 32; i++) assert.equal(back[i * MiB + 1234], 0x5a);
    await assert.rejects(bs.write(data, 0, false), { code: 'EBADF' });
  } finally {
    done();
  }
});

test('file: without the addon, discard zeroes only chunks that hold data (holes stay holes)', async () => {
  const { dir, done } = tmp();
  try {
    const path = image(join(dir, 'noaddon.img'), 64 * MiB);
    const bs = (await openBackstore({ kind: 'file', path, sizeBytes: 64 * MiB })) as FdBackstore;
    bs.native = null;
    await bs.write(Buffer.alloc(MiB, 3), 10 * MiB, false);
    const before = statSync(path).blocks;
    await bs.discard(0, 64 * MiB);
    assert.ok(statSync(path).blocks <= before, 'no new allocation');
    const b = Buffer.alloc(MiB, 1);
    await bs.read(b, 10 * MiB);
    assert.deepEqual(b, Buffer.alloc(MiB));
    assert.deepEqual(await bs.mapped(0, 64 * MiB), [{ offset: 0, length: 64 * MiB, mapped: true }]);
    await bs.close();
  } finally {
    done();
  }
});

test('native: malloc tuning and trim are available with the addon (idle RSS after large I/O)', () => {
  const n = nativeFs();
  assert.ok(n, nativeLoadError() ?? 'addon missing');
  assert.equal(typeof n.tuneMalloc, 'function', 'addon predates tuneMalloc: rebuild with `npx node-gyp rebuild`');
  assert.equal(tuneMallocForIo(0), true);
  assert.equal(typeof n.trimMalloc!(), 'boolean');
});

test('native: preadNowait reads page-cache hits on the caller, short at the end, and the file backstore agrees with the pool path', async () => {
  const n = nativeFs();
  assert.ok(n?.preadNowait, 'addon predates preadNowait: rebuild with `npx node-gyp rebuild`');
  const dir = mkdtempSync(join(tmpdir(), 'sanbox-nowait-'));
  try {
    const path = join(dir, 'img');
    const data = Buffer.alloc(64 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    writeFileSync(path, data); // just written: in the page cache
    const fd = openSync(path, 'r');
    try {
      const b = Buffer.alloc(4096);
      const got = n.preadNowait(fd, b, 8192);
      assert.ok(got === 4096 || got === -1 || got === -2, `hit, miss or unsupported: ${got}`);
      if (got === 4096) assert.ok(b.equals(data.subarray(8192, 12288)));
      if (got >= 0) assert.equal(n.preadNowait(fd, b, data.length - 1024), 1024, 'short at the end of the file');
    } finally {
      closeSync(fd);
    }
    truncateSync(path, 128 * 1024); // a hole after the data
    const bs = (await openBackstore({ kind: 'file', path, sizeBytes: 128 * 1024 })) as FdBackstore;
    try {
      const whole = Buffer.alloc(128 * 1024, 0xee);
      await bs.read(whole, 0);
      assert.ok(whole.subarray(0, data.length).equals(data));
      assert.ok(whole.subarray(data.length).equals(Buffer.alloc(64 * 1024)), 'the hole reads as zeros');
      const mid = Buffer.alloc(8192);
      await bs.read(mid, 60 * 1024); // spans data and hole
      assert.ok(mid.subarray(0, 4096).equals(data.subarray(60 * 1024)));
      assert.ok(mid.subarray(4096).equals(Buffer.alloc(4096)));
    } finally {
      await bs.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

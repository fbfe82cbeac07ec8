/**
 * Writes copied through a mapping of the image (backstore/mapped-image.ts): bytes land in
 * the file exactly as pwrite would put them, and every case the mapping cannot take (pages
 * not cached, past the file's end, a full file system, a file truncated or grown under it)
 * ends the way the descriptor path ends it, with the real errno and the process alive.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, openSync, readSync, closeSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBackstore } from '../../src/backstore/open.js';
import type { FdBackstore } from '../../src/backstore/file.js';

const KiB = 1024;
const MiB = 1024 * KiB;

function tmp(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'sanbox-map-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An image of `size` bytes written through once, so its pages are in the page cache. */
function cachedImage(path: string, size: number, fill = 0x11): string {
  writeFileSync(path, Buffer.alloc(size, fill));
  return path;
}

async function open(path: string, size: number, mapped = true): Promise<FdBackstore> {
  return (await openBackstore({ kind: 'file', path, sizeBytes: size }, undefined, undefined, { mappedFiles: mapped })) as FdBackstore;
}

function pread(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(length);
    assert.equal(readSync(fd, b, 0, length, offset), length);
    return b;
  } finally {
    closeSync(fd);
  }
}

/** RssFile of this process, in bytes: the mapped image pages it has resident. */
function rssFile(): number {
  const m = /^RssFile:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(m![1]) * KiB;
}

test('mapped writes: random 4 KiB and 128 KiB writes read back through another descriptor, byte for byte', async () => {
  const { dir, done } = tmp();
  try {
    const path = cachedImage(join(dir, 'a.img'), 16 * MiB);
    const bs = await open(path, 16 * MiB);
    assert.equal(bs.memoryMapped, true, 'a writable file image is mapped');
    const shadow = Buffer.alloc(16 * MiB, 0x11);
    for (let i = 0; i < 2000; i++) {
      const len = i % 10 === 0 ? 128 * KiB : 4 * KiB;
      const at = crypto.randomInt(0, (16 * MiB - len) / 512) * 512; // unaligned to pages too
      const data = crypto.randomBytes(len);
      await bs.write(data, at, false);
      data.copy(shadow, at);
    }
    await bs.write(Buffer.alloc(4096, 0x77), 5 * MiB, true); // FUA: the O_DSYNC descriptor, same page cache
    Buffer.alloc(4096, 0x77).copy(shadow, 5 * MiB);
    await bs.flush();
    assert.ok(readFileSync(path).equals(shadow), 'the file holds every write');
    const back = Buffer.alloc(16 * MiB);
    await bs.read(back, 0);
    assert.ok(back.equals(shadow), 'and the backstore reads them back');
    await bs.close();
  } finally {
    done();
  }
});

test('mapped writes: off (SANBOX_MAPPED_IO=false) and read-only images use the descriptor only', async () => {
  const { dir, done } = tmp();
  try {
    const path = cachedImage(join(dir, 'b.img'), 1 * MiB);
    const off = await open(path, 1 * MiB, false);
    assert.equal(off.memoryMapped, false);
    await off.write(Buffer.alloc(4096, 3), 4096, false);
    await off.close();
    assert.ok(pread(path, 4096, 4096).equals(Buffer.alloc(4096, 3)));
    const ro = (await openBackstore({ kind: 'file', path, sizeBytes: 1 * MiB, readOnly: true })) as FdBackstore;
    assert.equal(ro.memoryMapped, false);
    await ro.close();
  } finally {
    done();
  }
});

test('mapped writes: holes (pages not cached) take pwrite and stay sparse elsewhere', async () => {
  const { dir, done } = tmp();
  try {
    const path = join(dir, 'sparse.img');
    writeFileSync(path, '');
    truncateSync(path, 64 * MiB);
    const bs = await open(path, 64 * MiB);
    const data = crypto.randomBytes(8 * KiB);
    await bs.write(data, 32 * MiB, false); // not in the page cache: pwrite
    await bs.write(data.subarray(0, 4096), 32 * MiB + 8 * KiB, false);
    await bs.write(data, 32 * MiB, false); // cached now: through the mapping
    await bs.flush();
    assert.ok(pread(path, 32 * MiB, 8 * KiB).equals(data));
    assert.ok(statSync(path).blocks * 512 < 1 * MiB, 'only what was written is allocated');
    await bs.close();
  } finally {
    done();
  }
});

test('mapped writes: an image truncated under it: a write past the new end grows the file as pwrite does, the last partial page included', async () => {
  const { dir, done } = tmp();
  try {
    const path = cachedImage(join(dir, 't.img'), 1 * MiB);
    const bs = await open(path, 1 * MiB);
    await bs.write(Buffer.alloc(4096, 1), 48 * KiB, false);
    truncateSync(path, 50 * KiB + 256); // ends inside the page at 48 KiB, which stays cached and mapped
    const data = Buffer.alloc(4096, 0x5a);
    await bs.write(data, 48 * KiB, false);
    assert.equal(statSync(path).size, 52 * KiB, 'the write reached past the new end and grew the file');
    assert.ok(pread(path, 48 * KiB, 4096).equals(data), 'nothing vanished into the mapping past the end');
    await bs.write(data, 512 * KiB, false); // whole pages past the end: gone from the page cache
    assert.ok(pread(path, 512 * KiB, 4096).equals(data));
    await bs.close();
  } finally {
    done();
  }
});

test('mapped writes: an image grown under it is mapped to its new size at refreshSize', async () => {
  const { dir, done } = tmp();
  try {
    const path = cachedImage(join(dir, 'g.img'), 1 * MiB);
    const bs = await open(path, 1 * MiB);
    writeFileSync(path, Buffer.alloc(1 * MiB, 0x22), { flag: 'a' }); // 2 MiB, cached
    assert.equal(await bs.refreshSize(), 2 * MiB);
    const data = crypto.randomBytes(64 * KiB);
    await bs.write(data, 1 * MiB + 4096, false);
    assert.ok(pread(path, 1 * MiB + 4096, data.length).equals(data));
    await bs.close();
  } finally {
    done();
  }
});

test('mapped writes: resident mapped pages stay within the budget (RSS does not grow with the image)', async () => {
  const { dir, done } = tmp();
  try {
    const size = 128 * MiB;
    const path = cachedImage(join(dir, 'r.img'), size);
    const bs = await open(path, size);
    const before = rssFile();
    const chunk = Buffer.alloc(128 * KiB, 0x44);
    for (let at = 0; at < size; at += chunk.length) await bs.write(chunk, at, false);
    const grown = rssFile() - before;
    assert.ok(grown <= 40 * MiB, `RssFile grew ${grown / MiB} MiB over a 128 MiB pass`);
    await bs.flush();
    assert.ok(pread(path, size - 4096, 4096).equals(Buffer.alloc(4096, 0x44)), 'zapped pages kept their data');
    await bs.close();
  } finally {
    done();
  }
});

test('mapped writes: a full file system: ENOSPC from the write, as from pwrite, and the process lives on', async () => {
  // ext4 on a loop device: reading a hole puts a zero page in the page cache, so the write
  // goes through the mapping, and the write fault's block reservation fails (SIGBUS).
  const work = mkdtempSync(join(tmpdir(), 'sanbox-mapfull-'));
  const fsImage = join(work, 'fs.img');
  const mnt = join(work, 'mnt');
  mkdirSync(mnt);
  writeFileSync(fsImage, '');
  truncateSync(fsImage, 16 * MiB);
  execFileSync('mkfs.ext4', ['-q', '-F', '-m', '0', fsImage]);
  execFileSync('mount', ['-o', 'loop', fsImage, mnt]);
  try {
    const path = join(mnt, 'thin.img');
    writeFileSync(path, '');
    truncateSync(path, 64 * MiB); // thin: far larger than the file system
    const bs = await open(path, 64 * MiB);
    const page = Buffer.alloc(4096, 0x6b);
    const hole = Buffer.alloc(4096);
    let failure: NodeJS.ErrnoException | null = null;
    let written = 0;
    for (let at = 0; at < 64 * MiB && !failure; at += 4096) {
      await bs.read(hole, at);
      try {
        await bs.write(page, at, false);
        written++;
      } catch (err) {
        failure = err as NodeJS.ErrnoException;
      }
    }
    assert.ok(failure, 'some write ran out of space');
    assert.equal(failure.code, 'ENOSPC');
    assert.ok(written > 256, `${written} pages fit`);
    assert.ok(pread(path, 0, 4096).equals(page), 'what fit was written');
    await bs.close();
  } finally {
    execFileSync('umount', [mnt]);
    rmSync(work, { recursive: true, force: true });
  }
});

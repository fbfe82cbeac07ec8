// Pool figures against the kernel's own: a tmpfs mounted for the test, statvfs (df) and du.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { measureDirectory } from '../../src/backstore/pool-gauge.js';

const BLOCK = 4096;
let mnt: string;

before(() => {
  mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-gauge-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', mnt]);
});

after(() => {
  execFileSync('umount', [mnt]);
  fs.rmdirSync(mnt);
});

function df(dir: string): { capacity: number; free: number } {
  const [, line] = execFileSync('df', ['-B1', '--output=size,avail', dir], { encoding: 'utf8' }).trim().split('\n');
  const [size, avail] = line!.trim().split(/\s+/).map(Number);
  return { capacity: size!, free: avail! };
}

function du(dir: string): number {
  return Number(execFileSync('du', ['-s', '-B1', '-x', dir], { encoding: 'utf8' }).split(/\s/)[0]) - fs.statSync(dir).blocks * 512;
}

test('capacity is statvfs, used is du: a sparse image counts what it holds', () => {
  const pool = path.join(mnt, 'pool');
  fs.mkdirSync(pool);
  fs.writeFileSync(path.join(pool, 'dense.img'), Buffer.alloc(3 * 1024 * 1024, 1));
  const sparse = fs.openSync(path.join(pool, 'sparse.img'), 'w');
  fs.ftruncateSync(sparse, 16 * 1024 * 1024);
  fs.writeSync(sparse, Buffer.alloc(1024 * 1024, 2), 0, 1024 * 1024, 8 * 1024 * 1024);
  fs.closeSync(sparse);
  const f = measureDirectory(pool);
  assert.equal(f.health, 'healthy');
  assert.equal(f.reason, null);
  assert.equal(f.capacityBytes, df(pool).capacity);
  assert.ok(Math.abs(f.freeBytes - df(pool).free) <= BLOCK, `${f.freeBytes} vs ${df(pool).free}`);
  assert.ok(Math.abs(f.usedBytes - du(pool)) <= BLOCK, `${f.usedBytes} vs du ${du(pool)}`);
  assert.ok(Math.abs(f.usedBytes - 4 * 1024 * 1024) <= BLOCK, 'the 16 MiB sparse image counts its 1 MiB');
});

test('a missing or unreadable directory is offline; a full file system is degraded', () => {
  const gone = measureDirectory(path.join(mnt, 'nothing-here'));
  assert.equal(gone.health, 'offline');
  assert.match(gone.reason!, /is missing \(ENOENT\)/);
  assert.equal(gone.capacityBytes, 0);
  const file = path.join(mnt, 'a-file');
  fs.writeFileSync(file, 'x');
  assert.equal(measureDirectory(file).health, 'offline');

  const full = path.join(mnt, 'full');
  fs.mkdirSync(full);
  try {
    // Fill the tmpfs to its last block.
    const fd = fs.openSync(path.join(full, 'filler'), 'w');
    const chunk = Buffer.alloc(1024 * 1024);
    try {
      for (;;) fs.writeSync(fd, chunk);
    } catch (err) {
      assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
    }
    fs.closeSync(fd);
    const f = measureDirectory(full);
    assert.equal(f.health, 'degraded');
    assert.match(f.reason!, /is full/);
    assert.ok(f.freeBytes < 1024 * 1024);
  } finally {
    fs.rmSync(full, { recursive: true });
  }
  assert.equal(measureDirectory(mnt).health, 'healthy', 'healthy again once space is back');
});

test('a read-only file system is degraded, not offline: reads still work', () => {
  const ro = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-ro-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,ro', 'tmpfs', ro]);
  try {
    const f = measureDirectory(ro);
    assert.equal(f.health, 'degraded');
    assert.match(f.reason!, /cannot be written \(EROFS\)/);
  } finally {
    execFileSync('umount', [ro]);
    fs.rmdirSync(ro);
  }
});

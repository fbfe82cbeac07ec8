/**
 * Extents carved out of an iscsi pool, through the domain services on a real SQLite file
 * with an array that is a few lines over memory: first fit on 1 MiB boundaries, ranges
 * zeroed before they are committed, growth in place only, the threshold, the pool's
 * figures, and the array's refusals as coded errors that leave nothing behind.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/store/database.js';
import { ConfigStore } from '../../src/store/config-store.js';
import { createDomainServices } from '../../src/domain/services.js';
import { DomainError } from '../../src/domain/errors.js';
import type { ArrayAnswer, ArrayLinks, ArrayLun, PoolMeasure } from '../../src/domain/ports.js';
import { HostStorage } from '../../src/backstore/host-storage.js';

const MiB = 1024 * 1024;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-carve-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const quiet = { warn: () => {}, error: () => {} };

class MemoryArrays implements ArrayLinks {
  readonly sessions = new Map<string, ArrayLun>();
  readonly zeroed: Array<[number, number]> = [];
  failZero = false;
  constructor(readonly sizeBytes: number) {}
  async open(uuid: string, lun: ArrayLun): Promise<ArrayAnswer> {
    if (lun.targetName.endsWith(':gone')) return { ok: false, refusal: 'no-target', reason: 'no such target (login status 0x0203)' };
    if (lun.chap && lun.chap.secret !== 'right-secret') return { ok: false, refusal: 'auth', reason: 'authentication failed (login status 0x0201)' };
    this.sessions.set(uuid, lun);
    return { ok: true, figures: this.measure(uuid) };
  }
  async drop(uuid: string): Promise<void> {
    this.sessions.delete(uuid);
  }
  measure(uuid: string): PoolMeasure {
    if (!this.sessions.has(uuid)) return { capacityBytes: 0, usedBytes: 0, freeBytes: 0, health: 'offline', reason: 'no session' };
    return { capacityBytes: this.sizeBytes, usedBytes: 0, freeBytes: this.sizeBytes, health: 'healthy', reason: null };
  }
  async probe(uuid: string): Promise<PoolMeasure> {
    return this.measure(uuid);
  }
  async zero(_uuid: string, offset: number, length: number): Promise<void> {
    await new Promise((r) => setTimeout(r, 5));
    if (this.failZero) throw new Error('the array went away');
    this.zeroed.push([offset, length]);
  }
}

function setup(sizeBytes = 64 * MiB) {
  const store = new ConfigStore(openDatabase(path.join(dir, `${Math.random()}.db`)));
  const arrays = new MemoryArrays(sizeBytes);
  const services = createDomainServices(store, { apply: async () => {} }, quiet, new HostStorage(new Set(['disk', 'iscsi'])), null, arrays);
  services.globals.ensureDefaults();
  const site = services.site.identity();
  const pool = (name: string, source: string, extra: Record<string, unknown> = {}) =>
    services.pools.create({ name, type: 'iscsi', source, ip: '10.0.0.9', zoneUuid: site.zoneUuid, attributes: { overAllocationThreshold: '1.0' }, ...extra });
  const extent = (name: string, size: string, poolName = 'array') => services.extents.create({ name, type: 'File', path: `/mnt/${poolName}/${name}`, size });
  return { store, arrays, services, pool, extent };
}

const coded = (code: string, field?: string) => (e: unknown) => e instanceof DomainError && e.code === code && (field === undefined || e.field === field);

test('an iscsi pool: capacity from its session, port 3260, the password kept; extents first fit, 1 MiB aligned, zeroed first', async () => {
  const { arrays, services, pool, extent } = setup();
  const made = await pool('array', 'iqn.2026-11.test:array/1', { username: 'sanbox', password: 'right-secret' });
  assert.equal(made.pool.port, '3260');
  assert.equal(made.pool.path, '');
  assert.equal(made.pool.password, 'right-secret');
  assert.equal(made.figures.capacityBytes, 64 * MiB);
  assert.deepEqual(arrays.sessions.get(made.pool.uuid), {
    address: '10.0.0.9',
    port: 3260,
    targetName: 'iqn.2026-11.test:array',
    lun: 1,
    chap: { user: 'sanbox', secret: 'right-secret' },
  });
  const a = await extent('a', `${10 * MiB + 512}`);
  const b = await extent('b', '8MB');
  assert.deepEqual(a.poolRange, { poolId: made.pool.id, offset: 0 });
  assert.equal(a.path, '/mnt/array/a');
  assert.deepEqual(b.poolRange, { poolId: made.pool.id, offset: 11 * MiB }, 'after a, on the next MiB');
  assert.deepEqual(arrays.zeroed, [
    [0, 10 * MiB + 512],
    [11 * MiB, 8 * MiB],
  ]);
  const figures = services.pools.get(made.pool.uuid);
  assert.equal(figures.allocatedBytes, 18 * MiB + 512);
  assert.equal(figures.figures.usedBytes, 18 * MiB + 512, 'a carved range counts whole');
  assert.equal(figures.figures.freeBytes, 64 * MiB - (18 * MiB + 512));
  assert.equal(figures.extentCount, 2);

  // Deleting a frees its range: the next extent that fits takes it, zeroed again.
  await services.extents.delete(a.id);
  const c = await extent('c', '4MB');
  assert.equal(c.poolRange!.offset, 0);
  assert.deepEqual(arrays.zeroed.at(-1), [0, 4 * MiB]);
  await assert.rejects(extent('b', '1MB'), coded('name.taken', 'name'));
  await assert.rejects(services.extents.create({ name: 'b2', type: 'File', path: '/mnt/array/b', size: '1MB' }), coded('extent.path-taken', 'path'));
  await assert.rejects(extent('huge', '50MB'), coded('pool.no-free-range', 'sizeBytes'));
  await assert.rejects(extent('none', '0'), coded('extent.file-needs-size', 'sizeBytes'));
  await assert.rejects(services.pools.delete(made.pool.uuid), coded('reference.in-use'));
});

test('growth only into the free space right after; never shrinking, never moving', async () => {
  const { arrays, services, pool, extent } = setup();
  // Over-allocation allowed: what stops the growth here is the range's neighbour, or the LUN's end.
  await pool('array', 'iqn.2026-11.test:array', { attributes: { overAllocationThreshold: '2.0' } });
  const a = await extent('a', '4MB');
  const b = await extent('b', '4MB');
  const zeroes = arrays.zeroed.length;
  await assert.rejects(
    services.extents.update(a.id, { size: '5MB' }),
    (e: unknown) => coded('extent.no-room-to-grow', 'sizeBytes')(e) && /at most 4194304 bytes/.test((e as Error).message),
  );
  assert.equal(arrays.zeroed.length, zeroes, 'nothing zeroed for a refused growth');
  const grown = await services.extents.update(b.id, { size: '20MB' });
  assert.equal(grown.sizeBytes, 20 * MiB);
  assert.deepEqual(grown.poolRange, b.poolRange);
  assert.deepEqual(arrays.zeroed.at(-1), [4 * MiB + 4 * MiB, 16 * MiB], 'only the bytes it grew into');
  await assert.rejects(services.extents.update(b.id, { size: '1MB' }), coded('extent.shrink-refused', 'sizeBytes'));
  await assert.rejects(services.extents.update(b.id, { size: '61MB' }), coded('extent.no-room-to-grow'));
  await assert.rejects(services.extents.update(b.id, { path: '/srv/elsewhere' }), coded('path.outside-pools'));
  await assert.rejects(services.extents.update(b.id, { type: 'Device', path: '/dev/zero' }), coded('extent.pool-change-refused', 'type'));
  const renamed = await services.extents.update(b.id, { path: '/mnt/array/b-renamed', comment: 'moved name' });
  assert.equal(renamed.path, '/mnt/array/b-renamed');
  assert.deepEqual(renamed.poolRange, b.poolRange);
});

test('the threshold applies to carved pools too, and two creates at once get two ranges', async () => {
  const { services, pool, extent } = setup();
  await pool('array', 'iqn.2026-11.test:array', { attributes: { overAllocationThreshold: '0.5' } });
  await assert.rejects(extent('big', '33MB'), coded('pool.over-allocated', 'sizeBytes'));
  const [x, y] = await Promise.all([extent('x', '8MB'), extent('y', '8MB')]);
  assert.notEqual(x.poolRange!.offset, y.poolRange!.offset);
  assert.deepEqual(
    [x.poolRange!.offset, y.poolRange!.offset].sort((p, q) => p - q),
    [0, 8 * MiB],
  );
  assert.equal(services.extents.list().total, 2);
});

test('a range that cannot be zeroed is not committed', async () => {
  const { arrays, services, pool, extent } = setup();
  await pool('array', 'iqn.2026-11.test:array');
  arrays.failZero = true;
  await assert.rejects(
    extent('a', '4MB'),
    (e: unknown) => coded('extent.range-zero-failed', 'sizeBytes')(e) && /the array went away/.test((e as Error).message),
  );
  assert.equal(services.extents.list().total, 0);
});

test("the array's refusals and bad sources are coded, and leave no pool and no session", async () => {
  const { store, arrays, pool } = setup();
  await pool('array', 'iqn.2026-11.test:array/3');
  const before = store.listPools().length;
  await assert.rejects(pool('p1', 'iqn.2026-11.test:gone/0'), coded('pool.array-target-unknown', 'source'));
  await assert.rejects(pool('p2', 'iqn.2026-11.test:chap', { username: 'u', password: 'wrong' }), coded('pool.array-auth-failed', 'password'));
  await assert.rejects(pool('p3', 'iqn.2026-11.test:chap', { username: 'u' }), coded('value.required', 'password'));
  await assert.rejects(pool('p4', 'not-an-iqn'), coded('pool.source-not-iqn', 'source'));
  await assert.rejects(pool('p5', 'iqn.2026-11.test:array/20000'), coded('pool.source-lun-invalid', 'source'));
  await assert.rejects(pool('p6', 'IQN.2026-11.test:array/3', { port: '3260' }), coded('pool.array-lun-taken', 'source'));
  await assert.rejects(pool('array', 'iqn.2026-11.test:other'), coded('name.taken', 'name'));
  assert.equal(store.listPools().length, before);
  assert.equal(arrays.sessions.size, 1, 'only the first pool keeps a session');
});

/**
 * Pools: where every extent lives. A pool made through an API is checked against what
 * this host can really do (its type supported now, its source there; an iscsi pool's
 * array logged in to), its figures are measured from its storage whenever asked, and its
 * over-allocation threshold is the one rule every dialect's extent creation and growth
 * goes through (`assertRoomFor`). An iscsi pool is one remote LUN extents are carved out
 * of (pool-ranges.ts): its ranges are fully allocated from the pool's point of view, so
 * its Used is what its extents hold, and a range is zeroed before an extent gets it.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isIP } from 'node:net';
import { DEFAULT_ARRAY_PORT, arrayLunOf, parseArraySource, sameArrayLun } from './array-source.js';
import type { Extent, Pool, PoolType } from './entities.js';
import { fail, notFound } from './errors.js';
import { isUuid } from './uuid.js';
import type { Mutations } from './mutations.js';
import { firstFit, isCarved, isFree, roomAt, type TakenRange } from './pool-ranges.js';
import { mountPointOf, namesDevice, readMounts, resolveDevice } from './pool-device.js';
import type { ArrayAnswer, ArrayLinks, CarvedLinks, DeviceLinks, FcDevice, PoolMeasure, PoolStorage, RbdLinks } from './ports.js';
import { parseMonitors, parseRbdSource, rbdTargetOf, sameRbdTarget } from './rbd-source.js';
import type { Referrer } from './referrers.js';
import type { ListResult } from './repository.js';
import { noControlCharacters, text } from './rules.js';
import type { SiteService } from './site.js';

export const POOL_TYPES: readonly PoolType[] = ['iscsi', 'nfs', 'samba', 'disk', 'fc', 'rbd'];
export const DEFAULT_THRESHOLD = '1.0';
const POOL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const THRESHOLD = /^(?:\d{1,4}(?:\.\d{1,6})?|\.\d{1,6})$/;

export interface PoolInput {
  name?: unknown;
  type?: unknown;
  source?: unknown;
  ip?: unknown;
  port?: unknown;
  username?: unknown;
  password?: unknown;
  zoneUuid?: unknown;
  limitHost?: unknown;
  availHosts?: unknown;
  availTenants?: unknown;
  attributes?: unknown;
}

/** A pool and its figures, measured now. */
export interface MeasuredPool {
  pool: Pool;
  figures: PoolMeasure;
  /** Sum of the provisioned sizes of its extents, and how many there are. */
  allocatedBytes: number;
  extentCount: number;
}

export interface PoolListQuery {
  /** Only pools this tenant (uuid) may use: its own list, or every tenant's (empty list). */
  tenantUuid?: string;
  /** Substring of the name, case-insensitive; '' is none. */
  nameContains?: string;
  offset?: number;
  limit?: number;
}

/** What the pool service needs of persistence (the ConfigRepository implements it). */
export interface PoolRepository {
  listPools(): Pool[];
  getPool(id: number): Pool | null;
  poolByUuid(uuid: string): Pool | null;
  poolByName(name: string): Pool | null;
  insertPool(p: Omit<Pool, 'id'>): number;
  updatePool(p: Pool): void;
  deletePool(id: number): void;
  /** Extents whose image lives in the pool. */
  extentsInPool(pool: Pool): Extent[];
  listExtents(): ListResult<Extent>;
  tenantByUuid(uuid: string): { id: number } | null;
}

export class PoolService {
  /** Per pool uuid: the carving running now; the next one waits for it (exclusive()). */
  private readonly carving = new Map<string, Promise<void>>();

  /** `arrays`: the sessions behind iscsi pools (the data plane's); null where none runs. */
  constructor(
    private readonly m: Mutations,
    private readonly repo: PoolRepository,
    private readonly storage: PoolStorage,
    private readonly site: SiteService,
    private readonly arrays: ArrayLinks | null = null,
    /** The block devices behind disk pools without a directory (the data plane's); null where none runs. */
    private readonly devices: DeviceLinks | null = null,
    /** Where bare device names resolve (a test's stand-in for /dev/disk/by-id). */
    private readonly byIdRoot?: string,
    /** The cluster connections behind rbd pools (the data plane's); null where none runs. */
    private readonly rbd: RbdLinks | null = null,
  ) {}

  list(q: PoolListQuery = {}): ListResult<MeasuredPool> {
    const name = (q.nameContains ?? '').toLowerCase();
    const matching = this.repo
      .listPools()
      .filter((p) => name === '' || p.name.toLowerCase().includes(name))
      .filter((p) => q.tenantUuid === undefined || p.availTenants.length === 0 || p.availTenants.includes(q.tenantUuid));
    const start = q.offset ?? 0;
    const page = q.limit ? matching.slice(start, start + q.limit) : matching.slice(start);
    return { items: page.map((p) => this.measured(p)), total: matching.length };
  }

  get(uuid: string): MeasuredPool {
    return this.measured(this.byUuid(uuid));
  }

  fcDevices(): FcDevice[] {
    return this.storage.fcDevices();
  }

  /** The pool types this host can create now, in the share-pool API's order. */
  supportedTypes(): PoolType[] {
    return POOL_TYPES.filter((t) => this.storage.unsupported(t) === null);
  }

  /**
   * An iscsi pool is made only once its array answered: the session is opened first
   * (outside the transaction, it takes a network round trip or a timeout), the pool
   * committed after, and the session ended again when that fails.
   */
  async create(input: PoolInput): Promise<MeasuredPool> {
    const uuid = randomUUID();
    const first = this.draft(input, uuid);
    let answer: ArrayAnswer | null = null;
    const links = this.linksOf(first);
    let rbdOpened = false;
    if (first.type === 'iscsi') {
      answer = await this.arrays!.open(uuid, arrayLunOf(first));
      if (!answer.ok) throw refused(first, answer);
    } else if (first.type === 'rbd') {
      // The cluster must answer (monitors, key, pool) before the pool exists.
      const opened = await this.rbd!.open(uuid, rbdTargetOf(first));
      if (!opened.ok) throw fail('pool.rbd-unreachable', 'ip', { address: first.port ? `${first.ip}:${first.port}` : first.ip, reason: opened.reason });
      answer = opened;
      rbdOpened = true;
    } else if (links) {
      const device = this.deviceOf(first);
      const opened = await this.devices!.open(uuid, device);
      if (!opened.ok) throw fail('pool.device-unusable', 'source', { device, reason: opened.reason });
      answer = opened;
    }
    let id: number;
    try {
      id = await this.m.run(() => {
        const pool = this.draft(input, uuid);
        const figures = answer?.ok ? answer.figures : this.storage.measure(pool);
        if (figures.health === 'offline') throw fail('pool.offline', 'source', { pool: pool.name, reason: figures.reason ?? 'unreachable' });
        return this.repo.insertPool({ ...pool, health: figures.health, healthReason: figures.reason });
      });
    } catch (err) {
      if (rbdOpened) await this.rbd!.drop(uuid);
      else if (answer) await links!.drop(uuid);
      throw err;
    }
    return this.measured(this.repo.getPool(id)!);
  }

  /** The pool `input` describes, every field checked (run again inside the transaction). */
  private draft(input: PoolInput, uuid: string): Omit<Pool, 'id'> {
    const name = this.checkName(input.name, null);
    const type = this.checkType(input.type);
    const source = this.checkSource(type, input.source);
    this.site.assertZone('zoneUuid', input.zoneUuid);
    const pool: Omit<Pool, 'id'> = {
      uuid,
      name,
      type,
      path: source.directory,
      source: source.text,
      ip: type === 'rbd' ? parseMonitors('ip', input.ip).join(',') : checkIp(input.ip),
      port: checkPort(input.port),
      username: optionalText('username', input.username, 128),
      password: optionalText('password', input.password, 256),
      zoneUuid: this.site.identity().zoneUuid,
      limitHost: optionalBoolean('limitHost', input.limitHost),
      availHosts: uuidList('availHosts', input.availHosts, (host) => fail('pool.host-invalid', 'availHosts', { host })),
      availTenants: this.tenantList(input.availTenants),
      attributes: checkAttributes(input.attributes, true),
      createdAt: Math.floor(Date.now() / 1000),
      modifiedAt: 0,
      configured: false,
      health: 'healthy',
      healthReason: null,
    };
    if (type === 'iscsi') this.checkArrayLun(pool);
    if (type === 'rbd') this.checkRbd(pool);
    if (type === 'disk' && pool.path === '') this.checkDevice(pool);
    return pool;
  }

  /** A device pool: the device is no other pool's, no Device extent's, and not mounted. */
  private checkDevice(pool: Omit<Pool, 'id'>): void {
    if (!this.devices) throw fail('pool.type-unsupported', 'type', { type: 'disk', reason: 'no data plane runs here to serve a block device' });
    const device = this.deviceOf(pool);
    for (const other of this.repo.listPools()) {
      if (other.type === 'disk' && other.path === '' && resolveDevice(other.source, this.byIdRoot) === device) {
        throw fail('pool.device-taken', 'source', { device, pool: other.name });
      }
    }
    for (const extent of this.repo.listExtents().items) {
      if (extent.type !== 'Device') continue;
      let real = extent.path;
      try {
        real = fs.realpathSync(extent.path);
      } catch {
        // a missing device is nobody's
      }
      if (real === device) throw fail('pool.device-in-use', 'source', { device, extent: extent.name });
    }
    const mountPoint = mountPointOf(device, readMounts());
    if (mountPoint !== null) throw fail('pool.device-mounted', 'source', { device, mountPoint });
  }

  /** The real device a device pool's source names now. */
  private deviceOf(pool: { source: string }): string {
    const device = resolveDevice(pool.source, this.byIdRoot);
    if (device === null) throw fail('pool.source-not-device', 'source', { source: pool.source });
    return device;
  }

  /** What a carved pool's extents are ranges of: an iscsi pool's array, a device pool's device. */
  private linksOf(pool: { type: PoolType; path: string }): CarvedLinks | null {
    if (pool.type === 'iscsi') return this.arrays;
    if (pool.type === 'disk' && pool.path === '') return this.devices;
    return null;
  }

  /** An iscsi pool: CHAP is a user and a secret or neither, and no other pool has the same LUN. */
  private checkArrayLun(pool: Omit<Pool, 'id'>): void {
    if (!this.arrays) throw fail('pool.type-unsupported', 'type', { type: 'iscsi', reason: 'no data plane runs here to reach the array' });
    if (pool.port === '') pool.port = String(DEFAULT_ARRAY_PORT);
    if (pool.username !== '' && pool.password === '') throw fail('value.required', 'password');
    if (pool.password !== '' && pool.username === '') throw fail('value.required', 'username');
    const lun = arrayLunOf(pool);
    for (const other of this.repo.listPools()) {
      if (other.type === 'iscsi' && sameArrayLun(arrayLunOf(other), lun)) throw fail('pool.array-lun-taken', 'source', { pool: other.name });
    }
  }

  /** An rbd pool: a data plane to connect, and no other pool on the same Ceph pool and namespace. */
  private checkRbd(pool: Omit<Pool, 'id'>): void {
    if (!this.rbd) throw fail('pool.type-unsupported', 'type', { type: 'rbd', reason: 'no data plane runs here to reach the cluster' });
    const target = rbdTargetOf(pool);
    for (const other of this.repo.listPools()) {
      if (other.type === 'rbd' && sameRbdTarget(rbdTargetOf(other), target)) throw fail('pool.rbd-taken', 'source', { pool: other.name });
    }
  }

  /** Renames and changes attributes; the threshold is checked against what the pool holds now. */
  update(uuid: string, input: { name?: unknown; attributes?: unknown }): Promise<MeasuredPool> {
    return this.m
      .run(() => {
        const pool = this.byUuid(uuid);
        const next: Pool = { ...pool };
        if (input.name !== undefined && input.name !== pool.name) {
          if (pool.configured) throw fail('pool.configured', 'name', { pool: pool.name });
          next.name = this.checkName(input.name, pool.id);
        }
        if (input.attributes !== undefined) next.attributes = { ...pool.attributes, ...checkAttributes(input.attributes, false) };
        const threshold = next.attributes.overAllocationThreshold ?? DEFAULT_THRESHOLD;
        if (threshold !== (pool.attributes.overAllocationThreshold ?? DEFAULT_THRESHOLD)) {
          const allocated = this.allocated(next).bytes;
          this.assertWithin(next, allocated, 'attributes');
        }
        next.modifiedAt = Math.floor(Date.now() / 1000);
        this.repo.updatePool(next);
      })
      .then(() => this.get(uuid));
  }

  /** Refused for a configured pool and while any extent lives in it (naming them). */
  delete(uuid: string): Promise<void> {
    return this.m.run(() => {
      const pool = this.byUuid(uuid);
      if (pool.configured) throw fail('pool.configured', '__all__', { pool: pool.name });
      const extents = this.repo.extentsInPool(pool);
      if (extents.length) {
        const referrers = extents.map((e): Referrer => ({ kind: 'extent', id: e.id, name: e.name }));
        throw fail('reference.in-use', '__all__', { entity: 'pool', id: pool.id, referrers });
      }
      this.repo.deletePool(pool.id);
    });
  }

  /** Probes the pool's storage now (an iscsi pool's array with a command) and keeps its health. */
  async check(uuid: string): Promise<MeasuredPool> {
    const probed = this.byUuid(uuid);
    const links = this.linksOf(probed);
    const figures = links ? await links.probe(probed.uuid) : probed.type === 'rbd' && this.rbd ? await this.rbd.probe(probed.uuid) : this.figuresOf(probed);
    await this.m.run(() => {
      const pool = this.byUuid(uuid);
      if (figures.health !== pool.health || figures.reason !== pool.healthReason) {
        this.repo.updatePool({ ...pool, health: figures.health, healthReason: figures.reason });
      }
    });
    return this.get(uuid);
  }

  /**
   * The over-allocation rule: with `sizeBytes` more (an extent created, or grown by that
   * much), the pool's extents may not exceed capacity × overAllocationThreshold.
   */
  assertRoomFor(pool: Pool, extraBytes: number, field: string): void {
    if (extraBytes <= 0) return;
    this.assertWithin(pool, this.allocated(pool).bytes + extraBytes, field);
  }

  /**
   * Runs `work` (which awaits the array between reading the free ranges and committing
   * the one it took) with the pool's carving to itself: two extents never zero and take
   * the same range.
   */
  exclusive<T>(pool: Pool, work: () => Promise<T>): Promise<T> {
    const before = this.carving.get(pool.uuid) ?? Promise.resolve();
    const run = before.then(work);
    const settled = run.then(
      () => {},
      () => {},
    );
    this.carving.set(pool.uuid, settled);
    void settled.then(() => {
      if (this.carving.get(pool.uuid) === settled) this.carving.delete(pool.uuid);
    });
    return run;
  }

  /**
   * Where a new extent of `sizeBytes` goes in a carved pool: the first free range that
   * holds it; with `at` (the range zeroed for it), that this range is still free.
   */
  carve(pool: Pool, sizeBytes: number, field: string, at?: number): number {
    const capacity = this.usableCapacity(pool, field);
    const taken = this.ranges(pool, null);
    if (at !== undefined && isFree(taken, at, sizeBytes, capacity)) return at;
    const fit = firstFit(taken, sizeBytes, capacity);
    if (fit.offset === null || at !== undefined) throw fail('pool.no-free-range', field, { pool: pool.name, size: sizeBytes, largest: fit.largest });
    return fit.offset;
  }

  /** A carved extent grows in place, into the free space right after it. */
  assertRoomToGrow(pool: Pool, extent: Extent, sizeBytes: number, field: string): void {
    const capacity = this.usableCapacity(pool, field);
    const room = roomAt(this.ranges(pool, extent.id), extent.poolRange!.offset, capacity);
    if (sizeBytes > room) throw fail('extent.no-room-to-grow', field, { pool: pool.name, size: sizeBytes, room });
  }

  /**
   * Zeroes bytes of a carved pool before an extent gets them: what a deleted extent (or
   * whoever used the LUN before) left there is no business of the next one.
   */
  async zero(pool: Pool, offset: number, length: number): Promise<void> {
    try {
      const links = this.linksOf(pool);
      if (!links) throw new Error("no data plane runs here to reach the pool's device");
      await links.zero(pool.uuid, offset, length);
    } catch (err) {
      throw fail('extent.range-zero-failed', 'sizeBytes', { pool: pool.name, reason: (err as Error).message });
    }
  }

  /** A new extent's image in an rbd pool: thin, of the size asked. */
  async createImage(pool: Pool, image: string, sizeBytes: number): Promise<void> {
    await this.imageCall(pool, (rbd) => rbd.createImage(pool.uuid, image, sizeBytes));
  }

  /** An rbd extent grew: its image grows first, so the LU never claims bytes the image lacks. */
  async resizeImage(pool: Pool, image: string, sizeBytes: number): Promise<void> {
    await this.imageCall(pool, (rbd) => rbd.resizeImage(pool.uuid, image, sizeBytes));
  }

  /** The image of a deleted rbd extent goes with it. Rejects with why not. */
  async removeImage(pool: Pool, image: string): Promise<void> {
    if (!this.rbd) throw new Error('no data plane runs here to reach the cluster');
    await this.rbd.removeImage(pool.uuid, image);
  }

  /** The image of an extent whose create was interrupted, if the cluster made it after `sinceMs`. */
  removeImageMadeSince(pool: Pool, image: string, sinceMs: number): Promise<boolean> {
    if (!this.rbd) return Promise.reject(new Error('no data plane runs here to reach the cluster'));
    return this.rbd.removeImageMadeSince(pool.uuid, image, sinceMs);
  }

  private async imageCall(pool: Pool, call: (rbd: RbdLinks) => Promise<void>): Promise<void> {
    try {
      if (!this.rbd) throw new Error('no data plane runs here to reach the cluster');
      await call(this.rbd);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw fail('extent.image-failed', 'sizeBytes', { pool: pool.name, reason: e.code ? `${e.code}: ${e.message}` : e.message });
    }
  }

  private usableCapacity(pool: Pool, field: string): number {
    const figures = this.figuresOf(pool);
    if (figures.health === 'offline') throw fail('pool.offline', field, { pool: pool.name, reason: figures.reason ?? 'unreachable' });
    return figures.capacityBytes;
  }

  private ranges(pool: Pool, exceptId: number | null): TakenRange[] {
    return this.repo
      .extentsInPool(pool)
      .filter((e) => e.id !== exceptId && e.poolRange)
      .map((e) => ({ offset: e.poolRange!.offset, sizeBytes: e.sizeBytes }));
  }

  private assertWithin(pool: Pool, allocatedBytes: number, field: string): void {
    const threshold = pool.attributes.overAllocationThreshold ?? DEFAULT_THRESHOLD;
    const figures = this.figuresOf(pool);
    if (figures.health === 'offline') throw fail('pool.offline', field, { pool: pool.name, reason: figures.reason ?? 'unreachable' });
    if (allocatedBytes > figures.capacityBytes * Number(threshold)) {
      throw fail('pool.over-allocated', field, { pool: pool.name, allocated: allocatedBytes, capacity: figures.capacityBytes, threshold });
    }
  }

  /** A carved pool's figures come from its link (session or device); every other pool's from the host. */
  private figuresOf(pool: Pool): PoolMeasure {
    if (pool.type === 'rbd') {
      if (this.rbd) return this.rbd.measure(pool.uuid);
      return { capacityBytes: 0, usedBytes: 0, freeBytes: 0, health: 'offline', reason: 'no data plane runs here to reach the cluster' };
    }
    if (!isCarved(pool) || (pool.type !== 'iscsi' && pool.type !== 'disk')) return this.storage.measure(pool);
    const links = this.linksOf(pool);
    if (links) return links.measure(pool.uuid);
    return { capacityBytes: 0, usedBytes: 0, freeBytes: 0, health: 'offline', reason: "no data plane runs here to reach the pool's device" };
  }

  private measured(pool: Pool): MeasuredPool {
    const { bytes, count } = this.allocated(pool);
    let figures = this.figuresOf(pool);
    // A carved range is the extent's whole, written or not: used is what the extents hold.
    if (isCarved(pool)) figures = { ...figures, usedBytes: bytes, freeBytes: Math.max(0, figures.capacityBytes - bytes) };
    return { pool, figures, allocatedBytes: bytes, extentCount: count };
  }

  private allocated(pool: Pool): { bytes: number; count: number } {
    const extents = this.repo.extentsInPool(pool);
    return { bytes: extents.reduce((sum, e) => sum + e.sizeBytes, 0), count: extents.length };
  }

  private byUuid(uuid: string): Pool {
    const pool = isUuid(uuid) ? this.repo.poolByUuid(uuid.toLowerCase()) : null;
    if (!pool) throw notFound('pool');
    return pool;
  }

  private checkName(value: unknown, selfId: number | null): string {
    if (value === undefined || value === null || value === '') throw fail('value.required', 'name');
    if (typeof value !== 'string') throw fail('pool.name-invalid', 'name');
    noControlCharacters('name', value);
    if (!POOL_NAME.test(value)) throw fail('pool.name-invalid', 'name');
    const owner = this.repo.poolByName(value);
    if (owner && owner.id !== selfId) throw fail('name.taken', 'name', { entity: 'pool', name: value });
    return value;
  }

  private checkType(value: unknown): PoolType {
    if (value === undefined || value === null) throw fail('value.required', 'type');
    if (!POOL_TYPES.includes(value as PoolType)) throw fail('value.not-a-choice', 'type', { value: String(value), choices: [...POOL_TYPES] });
    const type = value as PoolType;
    const missing = this.storage.unsupported(type);
    if (missing) throw fail('pool.type-unsupported', 'type', { type, reason: missing });
    return type;
  }

  /**
   * A disk pool's source is a directory on a mounted file system, not inside another pool's,
   * or a block device (a /dev path, or a name under /dev/disk/by-id): then it has no directory.
   */
  private checkSource(type: PoolType, value: unknown): { text: string; directory: string } {
    if (value === undefined || value === null || value === '') throw fail('value.required', 'source');
    const source = text('source', typeof value === 'string' ? value : String(value), 4096);
    if (type === 'iscsi') parseArraySource('source', source);
    if (type === 'rbd') parseRbdSource('source', source);
    if (type !== 'disk') return { text: source, directory: '' };
    if (namesDevice(source)) {
      if (resolveDevice(source, this.byIdRoot) === null) throw fail('pool.source-not-device', 'source', { source });
      return { text: source, directory: '' };
    }
    let directory: string;
    try {
      directory = fs.realpathSync(source);
      if (!path.isAbsolute(source) || !fs.statSync(directory).isDirectory()) throw new Error('not a directory');
    } catch {
      throw fail('pool.source-not-directory', 'source', { source });
    }
    for (const other of this.repo.listPools()) {
      if (other.path === '') continue;
      if (inside(other.path, directory) || inside(directory, other.path)) throw fail('pool.source-overlaps', 'source', { pool: other.name });
    }
    return { text: source, directory };
  }

  private tenantList(value: unknown): string[] {
    const uuids = uuidList('availTenants', value, () => fail('value.not-uuid', 'availTenants'));
    for (const uuid of uuids) if (!this.repo.tenantByUuid(uuid)) throw fail('tenant.unknown', 'availTenants', { uuid });
    return uuids;
  }
}

/** Why the array behind a new iscsi pool could not be used, as the field the client would fix. */
function refused(pool: Omit<Pool, 'id'>, answer: Extract<ArrayAnswer, { ok: false }>): Error {
  const { reason } = answer;
  switch (answer.refusal) {
    case 'unreachable':
      return fail('pool.array-unreachable', 'ip', { address: `${pool.ip}:${pool.port}`, reason });
    case 'auth':
      return fail('pool.array-auth-failed', pool.username === '' ? 'username' : 'password', { reason });
    case 'no-target':
      return fail('pool.array-target-unknown', 'source', { target: arrayLunOf(pool).targetName, reason });
    case 'unusable':
      return fail('pool.array-lun-unusable', 'source', { lun: arrayLunOf(pool).lun, reason });
  }
}

function inside(dir: string, candidate: string): boolean {
  const rel = path.relative(dir, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function checkIp(value: unknown): string {
  if (value === undefined || value === null || value === '') throw fail('value.required', 'ip');
  if (typeof value !== 'string' || isIP(value) === 0) throw fail('value.not-ip-address', 'ip');
  return value;
}

function checkPort(value: unknown): string {
  if (value === undefined || value === null || value === '') return '';
  const textValue = typeof value === 'number' ? String(value) : value;
  if (typeof textValue !== 'string' || !/^\d{1,5}$/.test(textValue)) throw fail('value.not-integer', 'port');
  const port = Number(textValue);
  if (port < 1) throw fail('value.below-minimum', 'port', { min: 1 });
  if (port > 65535) throw fail('value.above-maximum', 'port', { max: 65535 });
  return String(port);
}

function optionalText(field: string, value: unknown, max: number): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw fail('value.too-long', field, { maxLength: max, length: String(value).length });
  return text(field, value, max);
}

function optionalBoolean(field: string, value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw fail('value.not-boolean', field);
  return value;
}

function uuidList(field: string, value: unknown, bad: (item: string) => Error): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw fail('value.not-uuid', field);
  const out: string[] = [];
  for (const item of value) {
    if (!isUuid(item)) throw bad(String(item));
    const uuid = item.toLowerCase();
    if (!out.includes(uuid)) out.push(uuid);
  }
  return out;
}

/** map[string]string as the seed has it; overAllocationThreshold is a decimal as text. */
function checkAttributes(value: unknown, creating: boolean): Record<string, string> {
  if (value === undefined || value === null) {
    if (creating) throw fail('value.required', 'attributes');
    return {};
  }
  if (typeof value !== 'object' || Array.isArray(value)) throw fail('value.not-object', 'attributes');
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string') throw fail('value.not-object', 'attributes');
    text('attributes', key, 64);
    out[key] = text('attributes', v, 256);
  }
  const threshold = out.overAllocationThreshold;
  if (threshold !== undefined && (!THRESHOLD.test(threshold) || Number(threshold) <= 0 || Number(threshold) > 1000)) {
    throw fail('pool.threshold-invalid', 'attributes');
  }
  if (creating && threshold === undefined) out.overAllocationThreshold = DEFAULT_THRESHOLD;
  return out;
}

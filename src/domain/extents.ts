/**
 * Extents: the storage behind a LUN. File extents are sparse images inside a pool
 * (created at the requested size, or adopted when the file exists; growing is allowed,
 * shrinking is not). Creating an extent (or pointing it at a new path) is the only thing
 * that creates an image; an extent whose own image went missing stays without one.
 * A File extent whose /mnt/<pool>/<name> path names a pool without a directory (an iscsi
 * pool) is carved out of the pool's LUN instead: a byte range, zeroed before it is
 * committed, growing only in place, freed when the extent is deleted.
 * Device extents name an existing block device. ZFS volumes need ZFS.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ListQuery, ListResult } from './repository.js';
import { EXTENT_DEFAULTS } from './defaults.js';
import type { Extent, ExtentType, Pool } from './entities.js';
import { putAnnotations, type AnnotationChanges } from './annotations.js';
import { fail, notFound } from './errors.js';
import type { Referrer } from './referrers.js';
import { blockDeviceSize, createSparseFile, growFile, inspectFile, zfsPresent, type ImageJournal, type Undo } from './extent-files.js';
import type { Mutations } from './mutations.js';
import { generateNaa, parseNaa } from './naa.js';
import { namesDevice, resolveDevice } from './pool-device.js';
import { resolvePoolPath } from './pool-paths.js';
import { isCarved } from './pool-ranges.js';
import { IMAGE_NAME } from './rbd-source.js';
import { choice, intInRange, noControlCharacters, text } from './rules.js';
import { parseSize } from './size.js';
import { keepTenant, ownerTenant } from './tenants.js';

export interface ExtentInput {
  /** The owner (create only; absent: the default tenant). Image paths and NAA ids stay unique across tenants. */
  tenantId?: number;
  name?: string;
  type?: string;
  path?: string;
  /** "10MB", "1073741824", "0" (adopt the file's size). */
  size?: string;
  comment?: string;
  blockSize?: number | null;
  serial?: string | null;
  readOnly?: boolean;
  rpm?: string;
  insecureTpc?: boolean;
  xen?: boolean;
  availThreshold?: number | null;
  naa?: string;
  /** The volume holding it (create only): it must be the tenant's, and have room for the size. */
  volumeId?: number;
  annotations?: AnnotationChanges;
}

const TYPES: readonly ExtentType[] = ['File', 'Device', 'ZFS Volume'];
/** A Device extent on this path is a null device of the requested size (see placeStorage). */
export const NULL_DEVICE = '/dev/zero';
export const EXTENT_BLOCK_SIZES = [512, 4096] as const;
export const RPM_CHOICES = ['Unknown', 'SSD', '5400', '7200', '10000', '15000'] as const;

/** The rules extents grow under: their pool's over-allocation threshold, and a carved pool's ranges (pools.ts). */
export interface PoolRoom {
  assertRoomFor(pool: Pool, extraBytes: number, field: string): void;
  carve(pool: Pool, sizeBytes: number, field: string, at?: number): number;
  assertRoomToGrow(pool: Pool, extent: Extent, sizeBytes: number, field: string): void;
  exclusive<T>(pool: Pool, work: () => Promise<T>): Promise<T>;
  zero(pool: Pool, offset: number, length: number): Promise<void>;
  /** rbd pools: an extent is an image, made, grown and removed with it. */
  createImage(pool: Pool, image: string, sizeBytes: number): Promise<void>;
  resizeImage(pool: Pool, image: string, sizeBytes: number): Promise<void>;
  removeImage(pool: Pool, image: string): Promise<void>;
  removeImageMadeSince(pool: Pool, image: string, sinceMs: number): Promise<boolean>;
}

/** The RBD image an rbd pool's extent is: the last name of its path. */
function imageOf(extentPath: string): string {
  return path.basename(extentPath);
}

const noUndo = (): void => {};

export class ExtentService {
  constructor(
    private readonly m: Mutations,
    private readonly room: PoolRoom | null = null,
    private readonly journal: ImageJournal | null = null,
  ) {}

  /**
   * At start, before the data plane: removes the images of creates that a killed process
   * never committed (ImageJournal). Returns their paths.
   */
  recoverInterruptedCreates(): string[] {
    return this.journal ? this.journal.recover((realPath) => this.m.store.extentByPath(realPath) !== null) : [];
  }

  /**
   * After start, once their pools' clusters answer: removes the rbd images of creates a
   * killed process never committed (journaled like image files; an image older than its
   * record was there before and is kept). A record whose removal fails stays for the next
   * start. Returns the images removed, as pool/image.
   */
  async recoverInterruptedImages(): Promise<string[]> {
    const removed: string[] = [];
    for (const rec of this.journal?.images() ?? []) {
      const pool = this.m.store.listPools().find((p) => p.uuid === rec.pool && p.type === 'rbd');
      if (!pool || this.m.store.extentByPath(rec.path) !== null) {
        rec.forget();
        continue;
      }
      const room = this.carvingRoom(pool);
      try {
        // Held like a create, so an extent made meanwhile at the same path keeps its image.
        const gone = await room.exclusive(pool, async () =>
          this.m.store.extentByPath(rec.path) === null ? room.removeImageMadeSince(pool, rec.image, rec.at) : false,
        );
        rec.forget();
        if (gone) removed.push(`${pool.name}/${rec.image}`);
      } catch (err) {
        this.m.log.warn(
          { pool: pool.name, image: rec.image, err: (err as Error).message },
          'could not remove the image of an interrupted create: tried again at the next start',
        );
      }
    }
    return removed;
  }

  list(query?: ListQuery): ListResult<Extent> {
    return this.m.store.listExtents(query);
  }

  get(id: number): Extent {
    const extent = this.m.store.getExtent(id);
    if (!extent) throw notFound('extent');
    return extent;
  }

  async create(input: ExtentInput): Promise<Extent> {
    const rbdPool = this.poolOf(input.type ?? 'File', input.path, (p) => p.type === 'rbd');
    if (rbdPool) return this.createImageExtent(rbdPool, input);
    const pool = this.poolOf(input.type ?? 'File', input.path, isCarved);
    if (!pool) return this.m.run((onRollback) => this.insert(this.draft(input, onRollback), input));
    // The range is zeroed between the plan and the commit, the pool's carving held meanwhile.
    const room = this.carvingRoom(pool);
    return room.exclusive(pool, async () => {
      const planned = this.draft(input, noUndo);
      await room.zero(pool, planned.poolRange!.offset, planned.sizeBytes);
      return this.m.run(() => this.insert(this.draft(input, noUndo, planned.poolRange!.offset), input));
    });
  }

  /**
   * An extent in an rbd pool: its image is made (thin, of the size asked) between the plan
   * and the commit, with the pool held meanwhile, and removed again when the commit fails.
   */
  private createImageExtent(pool: Pool, input: ExtentInput): Promise<Extent> {
    const room = this.carvingRoom(pool);
    return room.exclusive(pool, async () => {
      const planned = this.draft(input, noUndo);
      const image = imageOf(planned.path);
      // Journaled like an image file: a process killed before the commit leaves a record,
      // and the next start removes the image no extent took.
      const forget = this.journal ? this.journal.beginImage(pool.uuid, image, planned.path) : () => {};
      try {
        await room.createImage(pool, image, planned.sizeBytes);
      } catch (err) {
        forget(); // not made (EEXIST: someone else's image, which must stay)
        throw err;
      }
      try {
        const made = await this.m.run(() => this.insert(this.draft(input, noUndo), input));
        forget();
        return made;
      } catch (err) {
        await room
          .removeImage(pool, image)
          .then(forget, (e: Error) =>
            this.m.log.warn({ pool: pool.name, image, err: e.message }, 'could not remove the image of an extent not made: removed at the next start'),
          );
        throw err;
      }
    });
  }

  async update(id: number, input: ExtentInput): Promise<Extent> {
    const range = this.get(id).poolRange;
    const pool = range ? this.m.store.listPools().find((p) => p.id === range.poolId) : undefined;
    if (!pool) return this.m.run((onRollback) => this.save(this.revise(id, input, onRollback), input));
    const room = this.carvingRoom(pool);
    if (pool.type === 'rbd') {
      return room.exclusive(pool, async () => {
        const before = this.get(id);
        const planned = this.revise(id, input, noUndo);
        // The image grows before the extent says so; a failed commit leaves it larger, unused.
        if (planned.sizeBytes > before.sizeBytes) await room.resizeImage(pool, imageOf(before.path), planned.sizeBytes);
        return this.m.run(() => this.save(this.revise(id, input, noUndo), input));
      });
    }
    return room.exclusive(pool, async () => {
      const before = this.get(id);
      const planned = this.revise(id, input, noUndo);
      // Growing: the bytes it grows into are zeroed first, as a new range's are.
      if (planned.sizeBytes > before.sizeBytes) await room.zero(pool, range!.offset + before.sizeBytes, planned.sizeBytes - before.sizeBytes);
      return this.m.run(() => this.save(this.revise(id, input, noUndo), input));
    });
  }

  private draft(input: ExtentInput, onRollback: (u: Undo) => void, at?: number): Omit<Extent, 'id'> {
    const base: Omit<Extent, 'id'> = {
      ...EXTENT_DEFAULTS,
      uuid: randomUUID(),
      tenantId: ownerTenant(this.m.store, input.tenantId),
      name: input.name ?? '',
      type: (input.type ?? 'File') as ExtentType,
      path: '',
      sizeBytes: 0,
      sizeText: input.size ?? '0',
      naa: '',
    };
    const extent = this.applyOptions(base, input);
    extent.naa = input.naa !== undefined ? this.checkNaa(input.naa, null) : this.uniqueNaa();
    this.checkCommon(extent, null);
    if (input.volumeId !== undefined) extent.volumeId = this.volumeOf(extent.tenantId, input.volumeId).id;
    if (input.path === undefined || input.path.trim() === '') throw fail('value.required', 'path');
    this.placeStorage(extent, input.path, null, onRollback, at);
    this.assertVolumeRoom(extent, null);
    return extent;
  }

  private insert(extent: Omit<Extent, 'id'>, input: ExtentInput): Extent {
    const id = this.m.store.insertExtent(extent);
    putAnnotations(this.m.store, extent.uuid, input.annotations);
    return { id, ...extent };
  }

  private revise(id: number, input: ExtentInput, onRollback: (u: Undo) => void): Extent {
    const current = this.get(id);
    keepTenant(input.tenantId, current.tenantId);
    const next = this.applyOptions({ ...current }, input) as Extent;
    if (input.name !== undefined) next.name = input.name;
    if (input.type !== undefined) next.type = input.type as ExtentType;
    if (input.size !== undefined) next.sizeText = input.size;
    if (input.naa !== undefined) next.naa = this.checkNaa(input.naa, id);
    this.checkCommon(next, id);
    const storageChanged = input.path !== undefined || input.size !== undefined || input.type !== undefined;
    if (storageChanged) {
      this.placeStorage(next, input.path ?? current.displayPath ?? current.path, current, onRollback);
    }
    if (next.sizeBytes > current.sizeBytes) this.assertVolumeRoom(next, id);
    return next;
  }

  private volumeOf(tenantId: number, volumeId: number) {
    const volume = Number.isInteger(volumeId) ? this.m.store.getVolume(volumeId) : null;
    if (!volume || volume.tenantId !== tenantId) throw fail('reference.missing', 'volumeId', { entity: 'volume', id: volumeId });
    return volume;
  }

  /** The extents of a volume add up to at most its size. */
  private assertVolumeRoom(e: Omit<Extent, 'id'>, selfId: number | null): void {
    if (e.volumeId === undefined) return;
    const volume = this.m.store.getVolume(e.volumeId)!;
    const others = this.m.store.extentsInVolume(volume.id).filter((x) => x.id !== selfId);
    const used = others.reduce((sum, x) => sum + x.sizeBytes, 0);
    if (used + e.sizeBytes > volume.sizeBytes) {
      throw fail('volume.full', 'sizeBytes', { volume: volume.name, freeBytes: Math.max(0, volume.sizeBytes - used), neededBytes: e.sizeBytes });
    }
  }

  private save(extent: Extent, input: ExtentInput): Extent {
    this.m.store.updateExtent(extent);
    putAnnotations(this.m.store, extent.uuid, input.annotations);
    return extent;
  }

  /** The pool of `kind` a new File extent's path names, or null (any bad path is refused later, in context). */
  private poolOf(type: string, requested: string | undefined, kind: (pool: Pool) => boolean): Pool | null {
    if (type !== 'File' || requested === undefined) return null;
    try {
      const { pool } = resolvePoolPath('path', requested, this.m.store.listPools());
      return kind(pool) ? pool : null;
    } catch {
      return null;
    }
  }

  private carvingRoom(pool: Pool): PoolRoom {
    if (!this.room) throw fail('pool.unavailable', 'path', { pool: pool.name });
    return this.room;
  }

  async delete(id: number): Promise<void> {
    const extent = this.m.store.getExtent(id);
    const pool = extent?.poolRange ? this.m.store.listPools().find((p) => p.id === extent.poolRange!.poolId && p.type === 'rbd') : undefined;
    await this.deleteRow(id);
    if (!pool || !extent) return;
    // Unlike an image file, an rbd extent's image goes with it (the LU has closed it by now).
    // A cluster that cannot be reached leaves it behind, said in the log: the extent is gone.
    await this.carvingRoom(pool)
      .removeImage(pool, imageOf(extent.path))
      .catch((err: Error) =>
        this.m.log.warn({ pool: pool.name, image: imageOf(extent.path), err: err.message }, 'the image of a deleted extent stays in the cluster'),
      );
  }

  private deleteRow(id: number): Promise<void> {
    return this.m.run(() => {
      this.get(id);
      const referrers = [
        ...this.m.store.lunsOfExtent(id).map((l): Referrer => ({ kind: 'lun', id: l.id, targetId: l.targetId, lun: l.lun })),
        ...this.m.store
          .listLunMaps()
          .filter((m) => m.extentId === id)
          .map((m): Referrer => ({ kind: 'lun-map', id: m.id, initiatorGroupId: m.initiatorGroupId, lun: m.lun })),
      ];
      if (referrers.length) throw fail('reference.in-use', '__all__', { entity: 'extent', id, referrers });
      // The image file stays: deleting an extent never destroys data. A carved range is
      // free again, its bytes left on the array until the next extent's zeroing.
      this.m.store.deleteExtent(id);
    });
  }

  private applyOptions<T extends Omit<Extent, 'id'>>(e: T, input: ExtentInput): T {
    if (input.comment !== undefined) e.comment = input.comment;
    if (input.blockSize !== undefined) e.blockSize = input.blockSize as Extent['blockSize'];
    if (input.serial !== undefined) e.serial = input.serial === '' ? null : input.serial;
    if (input.readOnly !== undefined) e.readOnly = input.readOnly;
    if (input.rpm !== undefined) e.rpm = input.rpm;
    if (input.insecureTpc !== undefined) e.insecureTpc = input.insecureTpc;
    if (input.xen !== undefined) e.xen = input.xen;
    if (input.availThreshold !== undefined) e.availThreshold = input.availThreshold;
    return e;
  }

  private checkCommon(e: Omit<Extent, 'id'>, selfId: number | null): void {
    e.name = noControlCharacters('name', e.name).trim();
    if (e.name === '') throw fail('value.required', 'name');
    text('name', e.name, 120);
    const sameName = this.m.store.extentByName(e.tenantId, e.name);
    if (sameName && sameName.id !== selfId) throw fail('name.taken', 'name', { entity: 'extent', name: e.name });
    choice('type', e.type, TYPES);
    text('comment', e.comment, 120);
    if (e.blockSize !== null) choice('blockSize', e.blockSize, EXTENT_BLOCK_SIZES);
    if (e.serial !== null && !/^[A-Za-z0-9_.-]{1,16}$/.test(e.serial)) {
      throw fail('serial.invalid', 'serial');
    }
    choice('rpm', e.rpm, RPM_CHOICES);
    if (e.availThreshold !== null) intInRange('availThreshold', e.availThreshold, 1, 99);
  }

  /** Resolves the path for the extent's type, and creates, adopts or grows its storage. */
  private placeStorage(e: Omit<Extent, 'id'>, requested: string, current: Extent | null, onRollback: (u: Undo) => void, at?: number): void {
    noControlCharacters('path', requested);
    const size = parseSize(e.sizeText);
    if (size === null) {
      throw fail('extent.size-invalid', 'sizeBytes');
    }
    if (current?.poolRange && e.type !== 'File') throw fail('extent.pool-change-refused', 'type');
    if (e.type === 'ZFS Volume' && !zfsPresent()) {
      throw fail('extent.zvol-unsupported', 'type');
    }
    if (e.type !== 'File') {
      const device = requested.startsWith('/') ? path.normalize(requested) : path.join('/dev', requested);
      if (e.type === 'ZFS Volume' && !device.startsWith('/dev/zvol/')) {
        throw fail('extent.zvol-path', 'path');
      }
      e.path = device;
      delete e.displayPath;
      if (e.type === 'Device' && device === NULL_DEVICE) {
        // sanbox's benchmark convention: a /dev/zero Device extent is served by the null
        // backstore (reads zeros, discards writes) at the size the client names.
        if (size === 0) throw fail('extent.zero-needs-size', 'sizeBytes');
        e.sizeBytes = size;
        return;
      }
      e.sizeBytes = blockDeviceSize('path', device);
      this.assertPathFree(e.path, current?.id ?? null);
      this.assertNotAPool(device);
      return;
    }
    const pools = this.m.store.listPools();
    // A carved extent keeps its path when only its size changes, even after its pool was renamed.
    const own = current?.poolRange && requested === current.path ? pools.find((p) => p.id === current.poolRange!.poolId) : undefined;
    const resolved = own ? { pool: own, realPath: requested, displayPath: requested } : resolvePoolPath('path', requested, pools);
    if (resolved.pool.type === 'rbd') {
      this.placeImage(e, resolved.pool, resolved.displayPath, size, current);
      return;
    }
    if (isCarved(resolved.pool) || current?.poolRange) {
      this.placeRange(e, resolved.pool, resolved.displayPath, size, current, at);
      return;
    }
    this.assertPathFree(resolved.realPath, current?.id ?? null);
    const file = inspectFile('path', resolved.realPath);
    if (!file.exists && current?.type === 'File' && current.path === resolved.realPath) {
      // The extent's own image is missing (deleted, pool not mounted): the extent is
      // offline, and recreating the file here would hand its initiators an empty disk.
      if (size !== 0 && size !== current.sizeBytes) {
        throw fail('extent.file-missing', 'sizeBytes', { path: resolved.displayPath });
      }
      e.sizeBytes = current.sizeBytes;
    } else if (!file.exists) {
      if (size === 0) throw fail('extent.file-needs-size', 'sizeBytes');
      this.assertRoom(resolved.pool, size, current, resolved.realPath);
      onRollback(createSparseFile('path', resolved.realPath, size, this.journal));
      e.sizeBytes = size;
    } else if (size === 0 || size === file.size) {
      this.assertRoom(resolved.pool, file.size, current, resolved.realPath);
      e.sizeBytes = file.size;
    } else if (size > file.size) {
      this.assertRoom(resolved.pool, size, current, resolved.realPath);
      onRollback(growFile('sizeBytes', resolved.realPath, file.size, size));
      e.sizeBytes = size;
    } else {
      throw fail('extent.shrink-refused', 'sizeBytes', { size: file.size });
    }
    e.path = resolved.realPath;
    if (resolved.displayPath !== resolved.realPath) e.displayPath = resolved.displayPath;
    else delete e.displayPath;
  }

  /**
   * A range of a carved pool: a new extent gets the first free one (`at`: the one zeroed
   * for it), an existing one grows in place and stays in its pool. The path only names it.
   */
  private placeRange(e: Omit<Extent, 'id'>, pool: Pool, displayPath: string, size: number, current: Extent | null, at?: number): void {
    if (!isCarved(pool) || (current && current.poolRange?.poolId !== pool.id)) throw fail('extent.pool-change-refused', 'path');
    const room = this.carvingRoom(pool);
    this.assertPathFree(displayPath, current?.id ?? null);
    if (current?.poolRange) {
      const grown = size === 0 ? current.sizeBytes : size;
      if (grown < current.sizeBytes) throw fail('extent.shrink-refused', 'sizeBytes', { size: current.sizeBytes });
      if (grown > current.sizeBytes) {
        room.assertRoomFor(pool, grown - current.sizeBytes, 'sizeBytes');
        room.assertRoomToGrow(pool, current, grown, 'sizeBytes');
      }
      e.sizeBytes = grown;
      e.poolRange = current.poolRange;
    } else {
      if (size === 0) throw fail('extent.file-needs-size', 'sizeBytes');
      room.assertRoomFor(pool, size, 'sizeBytes');
      e.sizeBytes = size;
      e.poolRange = { poolId: pool.id, offset: room.carve(pool, size, 'sizeBytes', at) };
    }
    e.path = displayPath;
    delete e.displayPath;
  }

  /**
   * An image of an rbd pool, named by the path's last name right under /mnt/<pool>: a new
   * extent needs a size, an existing one grows (never shrinks) and keeps its image.
   */
  private placeImage(e: Omit<Extent, 'id'>, pool: Pool, displayPath: string, size: number, current: Extent | null): void {
    if (current && (current.poolRange?.poolId !== pool.id || current.path !== displayPath)) throw fail('extent.pool-change-refused', 'path');
    const room = this.carvingRoom(pool);
    const image = imageOf(displayPath);
    if (!current && (path.dirname(displayPath) !== path.join('/mnt', pool.name) || !IMAGE_NAME.test(image))) {
      throw fail('extent.image-name-invalid', 'path', { name: path.relative(path.join('/mnt', pool.name), displayPath) });
    }
    this.assertPathFree(displayPath, current?.id ?? null);
    if (current) {
      const grown = size === 0 ? current.sizeBytes : size;
      if (grown < current.sizeBytes) throw fail('extent.shrink-refused', 'sizeBytes', { size: current.sizeBytes });
      room.assertRoomFor(pool, grown - current.sizeBytes, 'sizeBytes');
      e.sizeBytes = grown;
    } else {
      if (size === 0) throw fail('extent.file-needs-size', 'sizeBytes');
      room.assertRoomFor(pool, size, 'sizeBytes');
      e.sizeBytes = size;
    }
    // The pool it lives in, as carved extents record theirs; an image starts at 0.
    e.poolRange = { poolId: pool.id, offset: 0 };
    e.path = displayPath;
    delete e.displayPath;
  }

  /** The pool's over-allocation threshold, with the extent at `sizeBytes` (its old size, if it was already there, counted once). */
  private assertRoom(pool: Pool, sizeBytes: number, current: Extent | null, realPath: string): void {
    const already = current && current.type === 'File' && current.path === realPath ? current.sizeBytes : 0;
    this.room?.assertRoomFor(pool, sizeBytes - already, 'sizeBytes');
  }

  /** A device that holds a pool (its extents are ranges of it) cannot also be one extent. */
  private assertNotAPool(device: string): void {
    let real: string;
    try {
      real = fs.realpathSync(device);
    } catch {
      return;
    }
    for (const pool of this.m.store.listPools()) {
      if (pool.type !== 'disk' || pool.path !== '' || !namesDevice(pool.source)) continue;
      if (resolveDevice(pool.source) === real) throw fail('pool.device-taken', 'path', { device, pool: pool.name });
    }
  }

  private assertPathFree(realPath: string, selfId: number | null): void {
    const owner = this.m.store.extentByPath(realPath);
    if (owner && owner.id !== selfId) throw fail('extent.path-taken', 'path', { owner: owner.name });
  }

  private checkNaa(text: string, selfId: number | null): string {
    const naa = parseNaa(text);
    if (naa === null) throw fail('extent.naa-invalid', 'naa');
    const owner = this.m.store.extentByNaa(naa);
    if (owner && owner.id !== selfId) throw fail('extent.naa-taken', 'naa');
    return naa;
  }

  private uniqueNaa(): string {
    for (;;) {
      const naa = generateNaa();
      if (!this.m.store.extentByNaa(naa)) return naa;
    }
  }
}

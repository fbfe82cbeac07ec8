/**
 * Opens a logical unit for each (extent, block size, write mode) the configuration maps,
 * keeps it open across reconciles while its spec is unchanged, tells it when its extent
 * grew, and closes the ones no longer mapped.
 *
 * An extent whose medium cannot be opened (image deleted, pool not mounted) still gets its
 * LU, offline: it answers NOT READY, and is listed by extents() with what is missing.
 * recheck() (the data plane runs it every few seconds and at every reconcile) brings it
 * back when the file is there again, takes an LU offline whose path no longer names the
 * file it has open, and lets an online LU re-read its size (a file truncated or grown
 * behind sanbox's back). Nothing here creates a file. An extent carved out of an iscsi
 * pool is offline the same way while its pool has no session to the array, or the array
 * stayed away past the bound, and online again once it is back.
 *
 * A writable extent whose file system or device is read-only (EROFS at open: a file
 * system remounted ro after errors, a ro mount) is served read-only rather than offline:
 * reads work, writes get DATA PROTECT / WRITE PROTECTED, extents() gives the reason in
 * `error`, and each recheck tries read-write again.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Backstore, BackstoreSpec, RbdLookup, TransportLookup } from '../backstore/backstore.js';
import { openBackstore } from '../backstore/open.js';
import type { ExtentStatus } from '../domain/ports.js';
import { createLogicalUnit } from '../scsi/logical-unit.js';
import type { LogicalUnit, LogicalUnitSpec } from '../scsi/types.js';

export type LuIdentity = Omit<LogicalUnitSpec, 'backstore'>;

export interface WantedLu {
  key: string;
  /** The extent behind the LU, for status and logs. */
  extent: { id: number; name: string };
  identity: LuIdentity;
  backstore: BackstoreSpec;
}

/** Why an LU has no medium. */
interface Offline {
  /** The first missing path: the image, or its directory when the pool is not mounted. */
  missing: string | null;
  error: string;
  since: string;
}

interface OpenLu {
  specKey: string;
  sizeBytes: number;
  lu: LogicalUnit;
  wanted: WantedLu;
  /** The medium the LU serves; null while offline. */
  backstore: Backstore | null;
  offline: Offline | null;
  /** Why a writable extent is served read-only (EROFS at open); null: as configured. */
  readOnlyBecause: string | null;
}

export class LogicalUnits {
  private readonly open = new Map<string, OpenLu>();

  /** `transports`: the open transports of pools, for extents carved out of them. */
  constructor(
    private readonly log: Logger,
    private readonly transports?: TransportLookup,
    /** The cluster connections of rbd pools, for extents that are images. */
    private readonly rbd?: RbdLookup,
  ) {}

  /** Returns key -> LU for every wanted LU, online or not. */
  async reconcile(wanted: readonly WantedLu[]): Promise<Map<string, LogicalUnit>> {
    const wantedKeys = new Set(wanted.map((w) => w.key));
    for (const [key, entry] of this.open) {
      if (!wantedKeys.has(key)) await this.closeOne(key, entry);
    }
    const result = new Map<string, LogicalUnit>();
    for (const w of wanted) result.set(w.key, await this.ensure(w));
    return result;
  }

  /** Bring offline LUs back whose medium is there again; take LUs offline whose medium went away. */
  async recheck(): Promise<void> {
    for (const entry of this.open.values()) await this.checkMedium(entry);
  }

  /** One line per served extent: online, or offline with what is missing. */
  extents(): ExtentStatus[] {
    const byId = new Map<number, ExtentStatus>();
    for (const e of this.open.values()) {
      const seen = byId.get(e.wanted.extent.id);
      if (seen && (seen.state === 'offline' || !e.offline)) continue;
      byId.set(e.wanted.extent.id, {
        id: e.wanted.extent.id,
        name: e.wanted.extent.name,
        path: e.wanted.backstore.path ?? null,
        state: e.offline ? 'offline' : 'online',
        missing: e.offline?.missing ?? null,
        error: e.offline?.error ?? e.readOnlyBecause,
        since: e.offline?.since ?? null,
      });
    }
    return [...byId.values()].sort((a, b) => a.id - b.id);
  }

  async closeAll(): Promise<void> {
    for (const [key, entry] of [...this.open]) await this.closeOne(key, entry);
  }

  private async ensure(w: WantedLu): Promise<LogicalUnit> {
    const b = w.backstore;
    const where = b.kind === 'range' ? [b.pool, b.offset] : b.kind === 'rbd' ? [b.pool, b.image] : (b.path ?? null);
    const specKey = JSON.stringify([w.identity, w.backstore.kind, where, w.backstore.readOnly ?? false]);
    const existing = this.open.get(w.key);
    if (existing && existing.specKey === specKey) {
      existing.wanted = w;
      await this.checkMedium(existing);
      if (w.backstore.sizeBytes > existing.sizeBytes) {
        existing.sizeBytes = w.backstore.sizeBytes;
        if (!existing.offline) await existing.lu.capacityChanged(w.backstore.sizeBytes);
      }
      return existing.lu;
    }
    if (existing) await this.closeOne(w.key, existing);
    const opened = await this.tryOpen(w);
    const lu = createLogicalUnit({ ...w.identity, backstore: opened.backstore });
    const entry: OpenLu = { specKey, sizeBytes: w.backstore.sizeBytes, lu, wanted: w, ...opened };
    this.open.set(w.key, entry);
    if (entry.offline) this.logOffline(entry);
    if (entry.readOnlyBecause)
      this.log.warn({ extent: w.extent.name, path: w.backstore.path, err: entry.readOnlyBecause }, 'extent is read-only: its file system refuses writes');
    return lu;
  }

  private async tryOpen(w: WantedLu): Promise<{ backstore: Backstore | null; offline: Offline | null; readOnlyBecause: string | null }> {
    try {
      return { backstore: await openBackstore(w.backstore, this.transports, this.rbd), offline: null, readOnlyBecause: null };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EROFS' && !w.backstore.readOnly && (w.backstore.kind === 'file' || w.backstore.kind === 'block')) {
        const readOnly = await openBackstore({ ...w.backstore, readOnly: true }).catch(() => null);
        if (readOnly) return { backstore: readOnly, offline: null, readOnlyBecause: `EROFS: ${e.message}; served read-only until it is writable` };
      }
      return {
        backstore: null,
        readOnlyBecause: null,
        offline: {
          missing: missingOf(w.backstore, e.code),
          error: e.code ? `${e.code}: ${e.message}` : e.message,
          since: new Date().toISOString(),
        },
      };
    }
  }

  private async checkMedium(entry: OpenLu): Promise<void> {
    if (entry.backstore && entry.readOnlyBecause) {
      const writable = await openBackstore(entry.wanted.backstore, this.transports).catch(() => null);
      if (writable) {
        await entry.lu.changeMedium(writable);
        entry.backstore = writable;
        entry.readOnlyBecause = null;
        this.log.info({ extent: entry.wanted.extent.name, path: entry.wanted.backstore.path }, 'extent is writable again');
        return;
      }
    }
    const failing = entry.backstore ? await failingMedium(entry.backstore) : null;
    if (entry.backstore && failing) {
      // A file system that fails I/O (EIO: a dead disk, a journal abort, a shut-down ext4)
      // is a medium that is not there: NOT READY, and opened again at each re-check.
      await entry.lu.changeMedium(null);
      entry.backstore = null;
      entry.offline = { missing: null, error: failing, since: new Date().toISOString() };
      this.logOffline(entry);
      return;
    }
    if (entry.backstore) {
      if (!entry.backstore.stillAtPath || entry.backstore.stillAtPath()) {
        // One fstat per LU per re-check (never per I/O): a file truncated or grown behind
        // sanbox's back changes the LU's capacity, with CAPACITY DATA HAS CHANGED.
        await entry.lu.capacityChanged().catch(() => undefined);
        return;
      }
      // Deleted, replaced or unmounted under the LU: stop serving the invisible inode, and
      // open whatever the path names now (a replaced file comes back at once, with a UA).
      await entry.lu.changeMedium(null);
      entry.backstore = null;
    }
    const opened = await this.tryOpen(entry.wanted);
    if (opened.backstore) {
      // Back (a file put back, an rbd image made again): NOT READY TO READY CHANGE on every nexus.
      await entry.lu.changeMedium(opened.backstore);
      const wasOffline = entry.offline;
      entry.backstore = opened.backstore;
      entry.offline = null;
      entry.readOnlyBecause = opened.readOnlyBecause;
      this.log.info(
        { extent: entry.wanted.extent.name, path: entry.wanted.backstore.path, offlineSince: wasOffline?.since },
        entry.wanted.backstore.kind === 'range'
          ? "extent is online: its pool's array is there again"
          : entry.wanted.backstore.kind === 'rbd'
            ? 'extent is online: its RBD image is open again'
            : 'extent is online: its backing file is there again',
      );
      return;
    }
    const first = entry.offline === null;
    entry.offline = first ? opened.offline : { ...opened.offline!, since: entry.offline!.since };
    if (first) this.logOffline(entry);
  }

  private logOffline(entry: OpenLu): void {
    const o = entry.offline!;
    this.log.warn(
      { extent: entry.wanted.extent.name, lu: entry.wanted.key, path: entry.wanted.backstore.path, missing: o.missing, err: o.error },
      entry.wanted.backstore.kind === 'range'
        ? "extent is offline: its pool's array cannot be reached; the LUN answers NOT READY until it can"
        : entry.wanted.backstore.kind === 'rbd'
          ? o.missing
            ? 'extent is offline: its RBD image is missing from the cluster; the LUN answers NOT READY until the image is there again'
            : "extent is offline: its RBD image cannot be opened (the pool's cluster); the LUN answers NOT READY until it can"
          : o.missing
            ? 'extent is offline: its backing file is missing; the LUN answers NOT READY until it is back'
            : 'extent is offline: its backing file cannot be opened; the LUN answers NOT READY until it can',
    );
  }

  private async closeOne(key: string, entry: OpenLu): Promise<void> {
    this.open.delete(key);
    try {
      await entry.lu.close();
    } catch (err) {
      this.log.warn({ lu: key, err: (err as Error).message }, 'closing logical unit failed');
    }
  }
}

/**
 * One read of an image's first block at each re-check (a page-cache hit when healthy):
 * its EIO, as text, when the file system fails I/O; null otherwise. Block devices are not
 * probed: one unreadable sector of a disk is that sector's MEDIUM ERROR, not an offline LU.
 */
async function failingMedium(backstore: Backstore): Promise<string | null> {
  if (backstore.kind !== 'file' || backstore.sizeBytes < 512) return null;
  try {
    await backstore.read(Buffer.allocUnsafe(512), 0);
    return null;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return e.code === 'EIO' ? `EIO: ${e.message}` : null;
  }
}

/**
 * What an extent that cannot be opened lacks: a file's topmost missing path, an rbd
 * image's extent path when the cluster has no such image (removed behind sanbox's back);
 * null when the medium is there but unreachable (a pool's array or cluster).
 */
function missingOf(spec: BackstoreSpec, code: string | undefined): string | null {
  if (!spec.path || spec.kind === 'range') return null;
  if (spec.kind === 'rbd') return code === 'ENOENT' ? spec.path : null;
  return code === 'ENOENT' || code === 'ENOTDIR' ? firstMissing(spec.path) : null;
}

/** The topmost missing path on the way to `target` (its pool directory when that is gone). */
function firstMissing(target: string): string {
  let missing = target;
  for (let dir = path.dirname(target); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(dir)) break;
    missing = dir;
  }
  return missing;
}

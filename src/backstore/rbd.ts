/**
 * Ceph RBD: extents that are images of a Ceph cluster, read and written over librbd by
 * the sanbox_rbd addon (native/rbd/sanbox_rbd.c, built by node-gyp at `npm install` where
 * librbd-dev is installed, a stub that says why not elsewhere).
 *
 * An RbdCluster is one client connection (rados_t) for one pool: its images share it.
 * Every I/O is an rbd_aio_* call whose completion comes back to the event loop; control
 * calls (connect, open, resize, stats) run on the libuv pool. librados retries lost
 * monitors and OSDs itself; the timeouts set here bound how long a call may wait for one
 * (an OSD that is down fails a write with ETIMEDOUT after osdTimeoutS), so an initiator
 * sees errors within its own timeout, never a hang, and the same handle serves again when
 * the cluster is back. The cluster notes each failure and success: `health()` is what
 * the pool shows (degraded while I/O or the monitors fail).
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backstore, BackstoreKind } from './backstore.js';

type Handle = object;

/** The addon's functions (see the C file for each one's contract). */
interface RbdAddon {
  available: true;
  librbdVersion: string;
  connect(user: string, conf: string[]): Promise<Handle>;
  shutdown(cluster: Handle): Promise<void>;
  stats(cluster: Handle, pool: string, ns: string): Promise<ClusterStats>;
  create(cluster: Handle, pool: string, ns: string, name: string, size: number): Promise<void>;
  remove(cluster: Handle, pool: string, ns: string, name: string): Promise<void>;
  open(cluster: Handle, pool: string, ns: string, name: string): Promise<Handle>;
  close(image: Handle): Promise<void>;
  size(image: Handle): Promise<number>;
  /** When the cluster made the image, in ms since the epoch. */
  createdAt(image: Handle): Promise<number>;
  resize(image: Handle, size: number): Promise<void>;
  /** Allocated extents in [offset, offset+length) as a flat [offset, length, ...] list. */
  diff(image: Handle, offset: number, length: number): Promise<number[]>;
  read(image: Handle, buf: Buffer, offset: number): Promise<void>;
  write(image: Handle, buf: Buffer, offset: number): Promise<void>;
  flush(image: Handle): Promise<void>;
  discard(image: Handle, offset: number, length: number): Promise<void>;
  writeZeroes(image: Handle, offset: number, length: number): Promise<void>;
  /** -1 when the compare matched and the write was done; else the first differing byte. */
  compareAndWrite(image: Handle, cmp: Buffer, buf: Buffer, offset: number): Promise<number>;
}

export interface ClusterStats {
  totalBytes: number;
  usedBytes: number;
  availBytes: number;
  /** Bytes the RADOS pool's objects hold (the pool's Used). */
  poolBytes: number;
  poolObjects: number;
}

let addon: RbdAddon | null | undefined;
let unavailable: string | null = null;

function findAddon(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    for (const sub of ['build/Release/sanbox_rbd.node', 'build/Debug/sanbox_rbd.node']) {
      const p = join(dir, sub);
      if (existsSync(p)) return p;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

function rbdAddon(): RbdAddon | null {
  if (addon !== undefined) return addon;
  addon = null;
  const path = process.env.SANBOX_RBD_ADDON ?? findAddon();
  if (!path) {
    unavailable = 'the sanbox_rbd addon is not built (build/Release/sanbox_rbd.node): install librbd-dev and run `npx node-gyp rebuild`';
    return null;
  }
  try {
    const loaded = createRequire(import.meta.url)(path) as RbdAddon | { available: false; reason: string };
    if (loaded.available) addon = loaded;
    else unavailable = loaded.reason;
  } catch (err) {
    // Built against librbd, which is gone now (librbd1 removed): dlopen fails.
    unavailable = `the sanbox_rbd addon at ${path} does not load (${(err as Error).message}): install librbd1 or rebuild`;
  }
  return addon;
}

/** null when this build can serve RBD images; otherwise why not, in plain words. */
export function rbdUnavailable(): string | null {
  rbdAddon();
  return unavailable;
}

/** Where a pool's images are and who sanbox is to the cluster. */
export interface RbdSettings {
  /** Monitor addresses (IPv4/IPv6 literals or names). */
  monitors: string[];
  /** The monitors' port; 0: Ceph's defaults (3300 msgr2, 6789 msgr1). */
  port: number;
  /** The RADOS pool and the RBD namespace in it ('' none). */
  pool: string;
  namespace: string;
  /** Ceph client name without `client.`; '' is `admin`. */
  user: string;
  /** The client's cephx key (base64); '' when the cluster needs none. */
  key: string;
}

export interface RbdTimeouts {
  /** How long connecting (and each monitor request) may take. */
  monTimeoutS: number;
  /** How long one OSD request may wait (an OSD down): then the I/O fails with ETIMEDOUT. */
  osdTimeoutS: number;
}

const DEFAULT_TIMEOUTS: RbdTimeouts = { monTimeoutS: 10, osdTimeoutS: 20 };

/** How far the cluster's clock (which stamps an image's creation) may be behind sanbox's. */
const CLOCK_MARGIN_MS = 30_000;

export type RbdHealth = { state: 'up' } | { state: 'failing'; since: number; lastError: string };

function monHost(s: RbdSettings): string {
  const one = (m: string) => {
    const host = m.includes(':') && !m.startsWith('[') ? `[${m}]` : m;
    return s.port ? `${host}:${s.port}` : host;
  };
  return s.monitors.map(one).join(',');
}

function notConnected(): Error {
  return Object.assign(new Error('the cluster connection is closed'), { code: 'ENOTCONN' });
}

function unavailableError(): Error {
  return Object.assign(new Error(rbdUnavailable() ?? 'rbd is unavailable'), { code: 'ENOTSUP' });
}

/** One connection to a cluster, for one pool's images. */
export class RbdCluster {
  #health: RbdHealth = { state: 'up' };
  #closed = false;
  #blocklisted = false;
  /** Images open on this connection; a retired one shuts down when the last closes. */
  #images = 0;
  #retired = false;
  /** Control calls under way (stats, create, open...): close() waits for them, as rados_shutdown under one would crash. */
  #calls = 0;
  #callsDone: (() => void) | null = null;

  private constructor(
    private readonly rbd: RbdAddon,
    private readonly handle: Handle,
    readonly settings: RbdSettings,
  ) {}

  /** Connects (within monTimeoutS); rejects with an errno-coded Error. */
  static async connect(settings: RbdSettings, timeouts: Partial<RbdTimeouts> = {}): Promise<RbdCluster> {
    const rbd = rbdAddon();
    if (!rbd) throw unavailableError();
    const t = { ...DEFAULT_TIMEOUTS, ...timeouts };
    const conf = [
      'mon_host',
      monHost(settings),
      'client_mount_timeout',
      String(t.monTimeoutS),
      'rados_mon_op_timeout',
      String(t.monTimeoutS),
      'rados_osd_op_timeout',
      String(t.osdTimeoutS),
      // No librbd write-back cache: a WRITE is complete when the OSDs have it, as the
      // LU's caching mode page says, and SYNCHRONIZE CACHE / FUA have nothing volatile left.
      'rbd_cache',
      'false',
      // UNMAP must leave zeros behind, also where it covers part of an object: librbd
      // skips such partial discards by default (and discards only 64 KiB-aligned runs).
      'rbd_skip_partial_discard',
      'false',
      // The library's own log goes nowhere: sanbox logs what matters.
      'log_to_stderr',
      'false',
      'err_to_stderr',
      'false',
      'log_file',
      '',
      'keyring',
      '',
    ];
    if (settings.key !== '') conf.push('key', settings.key);
    else conf.push('auth_client_required', 'none');
    const handle = await rbd.connect(`client.${settings.user || 'admin'}`, conf);
    return new RbdCluster(rbd, handle, settings);
  }

  health(): RbdHealth {
    return this.#health;
  }

  /**
   * The cluster refused this client (ESHUTDOWN: `ceph osd blocklist add`, as an operator
   * does to take a watcher off an image before `rbd rm`): every request of this
   * connection fails from now on, for as long as the entry stays (an hour by default). The
   * pool connects anew (a new client address); the LUs reopen their images through it.
   */
  get blocklisted(): boolean {
    return this.#blocklisted;
  }

  /** No new images: the connection shuts down once those still open are closed. */
  retire(): Promise<void> {
    this.#retired = true;
    return this.#images === 0 ? this.close() : Promise.resolve();
  }

  /** An image of this connection was closed. */
  released(): void {
    if (--this.#images === 0 && this.#retired) void this.close().catch(() => undefined);
  }

  /** Called with every outcome of a cluster call: a failure makes the pool degraded, a success clears it. */
  note(err: unknown): void {
    if (err === null) {
      if (this.#health.state !== 'up') this.#health = { state: 'up' };
      return;
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ESHUTDOWN') this.#blocklisted = true;
    // A compare-and-write mismatch or a missing image says nothing about the cluster.
    if (e.code === 'ENOENT' || e.code === 'EEXIST' || e.code === 'EINVAL' || e.code === 'EBADF') return;
    const lastError = e.code ? `${e.code}: ${e.message}` : e.message;
    this.#health = this.#health.state === 'failing' ? { ...this.#health, lastError } : { state: 'failing', since: Date.now(), lastError };
  }

  async #watched<T>(p: Promise<T>): Promise<T> {
    try {
      const v = await p;
      this.note(null);
      return v;
    } catch (err) {
      this.note(err);
      throw err;
    }
  }

  async #call<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closed) throw notConnected();
    this.#calls++;
    try {
      return await work();
    } finally {
      if (--this.#calls === 0 && this.#callsDone) this.#callsDone();
    }
  }

  /** Figures from the monitors and manager: says nothing of the OSDs, so it leaves health() alone. */
  stats(): Promise<ClusterStats> {
    return this.#call(() => this.rbd.stats(this.handle, this.settings.pool, this.settings.namespace));
  }

  createImage(name: string, sizeBytes: number): Promise<void> {
    return this.#call(() => this.#watched(this.rbd.create(this.handle, this.settings.pool, this.settings.namespace, name, sizeBytes)));
  }

  removeImage(name: string): Promise<void> {
    return this.#call(() => this.#watched(this.rbd.remove(this.handle, this.settings.pool, this.settings.namespace, name)));
  }

  /**
   * Removes an image that was made at `sinceMs` or later (less a margin for the cluster's
   * clock): the image of a create sanbox journaled and never committed, and not one that
   * was there before. Returns whether it removed one (false: none, or an older image).
   */
  removeImageMadeSince(name: string, sinceMs: number): Promise<boolean> {
    return this.#call(() => this.#removeIfNew(name, sinceMs));
  }

  async #removeIfNew(name: string, sinceMs: number): Promise<boolean> {
    let image: Handle;
    try {
      image = await this.#watched(this.rbd.open(this.handle, this.settings.pool, this.settings.namespace, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    let made: number;
    try {
      made = await this.rbd.createdAt(image);
    } finally {
      await this.rbd.close(image);
    }
    if (made < sinceMs - CLOCK_MARGIN_MS) return false;
    await this.#watched(this.rbd.remove(this.handle, this.settings.pool, this.settings.namespace, name));
    return true;
  }

  /** Grows an image (never shrinks it: a smaller size is refused above). */
  resizeImage(name: string, sizeBytes: number): Promise<void> {
    return this.#call(() => this.#resize(name, sizeBytes));
  }

  async #resize(name: string, sizeBytes: number): Promise<void> {
    const image = await this.#watched(this.rbd.open(this.handle, this.settings.pool, this.settings.namespace, name));
    try {
      if ((await this.rbd.size(image)) < sizeBytes) await this.#watched(this.rbd.resize(image, sizeBytes));
    } finally {
      await this.rbd.close(image);
    }
  }

  /** Opens an image; ENOENT (its message naming the image) when the cluster has none by that name. */
  openImage(name: string, readOnly: boolean): Promise<RbdBackstore> {
    if (this.#retired) return Promise.reject(notConnected());
    return this.#call(() => this.#open(name, readOnly));
  }

  async #open(name: string, readOnly: boolean): Promise<RbdBackstore> {
    let image: Handle;
    try {
      image = await this.#watched(this.rbd.open(this.handle, this.settings.pool, this.settings.namespace, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      throw Object.assign(new Error(`the cluster has no image ${this.imageSpec(name)}`), { code: 'ENOENT' });
    }
    let size: number;
    try {
      size = await this.rbd.size(image);
    } catch (err) {
      await this.rbd.close(image).catch(() => undefined);
      throw err;
    }
    this.#images++;
    return new RbdBackstore(this.rbd, this, image, name, size, readOnly);
  }

  /** pool[/namespace]/image, as `rbd` names it. */
  imageSpec(name: string): string {
    return `${this.settings.pool}/${this.settings.namespace ? `${this.settings.namespace}/` : ''}${name}`;
  }

  /** Ends the connection; images still open must be closed first. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#calls !== 0) await new Promise<void>((resolve) => (this.#callsDone = resolve));
    await this.rbd.shutdown(this.handle);
  }
}

/**
 * The image went away under the LU: removed from the cluster (ENOENT once librbd
 * refreshes it) or this client blocklisted (ESHUTDOWN). Given to the SCSI layer as
 * ENOMEDIUM, so the command ends NOT READY / MEDIUM NOT PRESENT rather than MEDIUM ERROR;
 * the data plane's re-check then reopens the image (through a new connection after a
 * blocklisting) and keeps the LU offline while the cluster has no such image.
 */
function goneCode(err: unknown): string | null {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ESHUTDOWN' ? code : null;
}

function noMedium(err: unknown, spec: string): Error {
  const e = err as Error & { code: string };
  const why = e.code === 'ENOENT' ? 'removed from the cluster' : 'unreachable: the cluster blocklisted this client';
  return Object.assign(new Error(`image ${spec} is ${why} (${e.code}: ${e.message})`), { code: 'ENOMEDIUM' });
}

function ebadf(): Error {
  return Object.assign(new Error('backstore is closed'), { code: 'EBADF' });
}

function erofs(): Error {
  return Object.assign(new Error('the image is open read-only'), { code: 'EROFS' });
}

/** One open RBD image. */
export class RbdBackstore implements Backstore {
  readonly kind: BackstoreKind = 'rbd';
  #size: number;
  #closed = false;
  #inflight = 0;
  #drained: (() => void) | null = null;
  /** Why the image is no longer served (removed, or the client blocklisted); null while it is. */
  #gone: string | null = null;
  readonly #settle = (err: unknown): void => {
    this.cluster.note(err);
    if (err !== null && this.#gone === null && goneCode(err)) this.#gone = (err as Error).message;
    if (--this.#inflight === 0 && this.#drained) this.#drained();
  };
  readonly #ok = (): void => this.#settle(null);

  constructor(
    private readonly rbd: RbdAddon,
    private readonly cluster: RbdCluster,
    private readonly image: Handle,
    readonly name: string,
    size: number,
    readonly readOnly: boolean,
  ) {
    this.#size = size;
  }

  get sizeBytes(): number {
    return this.#size;
  }

  /** Counts the call and tells the cluster how it went, without a closure per I/O on success. */
  #track(p: Promise<void>): Promise<void> {
    this.#inflight++;
    return p.then(this.#ok, (err) => {
      this.#settle(err);
      throw goneCode(err) ? noMedium(err, this.cluster.imageSpec(this.name)) : err;
    });
  }

  /** false once the image was found removed from the cluster, or the connection blocklisted: the LU reopens it. */
  stillAtPath(): boolean {
    return this.#gone === null && !this.cluster.blocklisted;
  }

  read(buf: Buffer, offset: number): Promise<void> {
    if (this.#closed) return Promise.reject(ebadf());
    return this.#track(this.rbd.read(this.image, buf, offset));
  }

  /** FUA: the write, then a flush of the image, before the command completes. */
  write(buf: Buffer, offset: number, fua: boolean): Promise<void> {
    if (this.#closed) return Promise.reject(ebadf());
    if (this.readOnly) return Promise.reject(erofs());
    const written = this.#track(this.rbd.write(this.image, buf, offset));
    return fua ? written.then(() => this.flush()) : written;
  }

  flush(): Promise<void> {
    if (this.#closed) return Promise.reject(ebadf());
    return this.#track(this.rbd.flush(this.image));
  }

  /** UNMAP and WRITE SAME with UNMAP: the objects are deallocated and read back as zeros. */
  discard(offset: number, length: number): Promise<void> {
    if (this.#closed) return Promise.reject(ebadf());
    if (this.readOnly) return Promise.reject(erofs());
    if (length <= 0) return Promise.resolve();
    return this.#track(this.rbd.discard(this.image, offset, length));
  }

  /** Zeros without sending a buffer of them (WRITE SAME of zeros without UNMAP): written, not discarded, so the blocks stay allocated. */
  writeZeroes(offset: number, length: number): Promise<void> {
    if (this.#closed) return Promise.reject(ebadf());
    if (this.readOnly) return Promise.reject(erofs());
    return this.#track(this.rbd.writeZeroes(this.image, offset, length));
  }

  /**
   * The cluster's own atomic compare and write: -1 when `cmp` matched and `buf` was
   * written, else the offset in `cmp` of the first byte that differs. librbd 16 (Debian
   * 12's 16.2.15) takes a compare that lies in one 512-byte sector of the image (offset
   * % 512 + length <= 512) and one stripe unit, and refuses anything else with EINVAL:
   * null here for those (the SCSI layer compares itself), so with 512-byte blocks a
   * one-block COMPARE AND WRITE is atomic in the cluster, longer ones and 4 KiB blocks
   * only through this process.
   */
  compareAndWrite(cmp: Buffer, buf: Buffer, offset: number): Promise<number> | null {
    if (cmp.length === 0 || (offset % 512) + cmp.length > 512) return null;
    if (this.#closed) return Promise.reject(ebadf());
    if (this.readOnly) return Promise.reject(erofs());
    this.#inflight++;
    return this.rbd.compareAndWrite(this.image, cmp, buf, offset).then(
      (at) => {
        this.#settle(null);
        return at;
      },
      (err) => {
        this.#settle(err);
        throw goneCode(err) ? noMedium(err, this.cluster.imageSpec(this.name)) : err;
      },
    );
  }

  /** GET LBA STATUS: the image's allocated extents, from rbd_diff_iterate2 (the object map when the image has one). */
  async mapped(offset: number, length: number): Promise<Array<{ offset: number; length: number; mapped: boolean }>> {
    if (this.#closed) throw ebadf();
    this.#inflight++;
    let flat: number[];
    try {
      flat = await this.rbd.diff(this.image, offset, length);
      this.#settle(null);
    } catch (err) {
      this.#settle(err);
      throw goneCode(err) ? noMedium(err, this.cluster.imageSpec(this.name)) : err;
    }
    const end = offset + length;
    const out: Array<{ offset: number; length: number; mapped: boolean }> = [];
    let at = offset;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const start = Math.max(flat[i]!, offset);
      const stop = Math.min(flat[i]! + flat[i + 1]!, end);
      if (stop <= start) continue;
      if (start > at) out.push({ offset: at, length: start - at, mapped: false });
      out.push({ offset: start, length: stop - start, mapped: true });
      at = stop;
    }
    if (at < end) out.push({ offset: at, length: end - at, mapped: false });
    return out;
  }

  /** The image's size now (grown through the API, or by `rbd resize` behind sanbox's back). */
  async refreshSize(): Promise<number> {
    if (this.#closed) throw ebadf();
    try {
      this.#size = await this.rbd.size(this.image);
    } catch (err) {
      // librbd refreshes a changed header here: a removed image is ENOENT.
      if (this.#gone === null && goneCode(err)) this.#gone = (err as Error).message;
      throw err;
    }
    return this.#size;
  }

  /** The extent grew: the image grows with it (the domain has normally grown it already). */
  async resize(sizeBytes: number): Promise<number> {
    if (this.#closed) throw ebadf();
    const now = await this.rbd.size(this.image);
    if (now < sizeBytes && !this.readOnly) await this.rbd.resize(this.image, sizeBytes);
    return this.refreshSize();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#inflight !== 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    try {
      await this.rbd.close(this.image);
    } finally {
      this.cluster.released();
    }
  }
}

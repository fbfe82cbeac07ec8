/**
 * The file-system side of extents: sparse image files in pools, and block devices.
 * Every change returns an undo so a failed transaction leaves the pool as it was.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fail } from './errors.js';

/** Undoes a file change after a failed transaction; `committed` runs once the transaction has committed. */
export type Undo = (() => void) & { committed?: () => void };
const noop: Undo = () => {};

export interface FileInfo {
  exists: boolean;
  size: number;
}

export function inspectFile(field: string, realPath: string): FileInfo {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(realPath);
  } catch {
    return { exists: false, size: 0 };
  }
  if (!stat.isFile()) throw fail('path.not-regular-file', field);
  return { exists: true, size: stat.size };
}

/** An rbd image being made for the extent at `path`, recorded at `at` (ms since the epoch). */
export interface ImageRecord {
  pool: string;
  image: string;
  path: string;
  at: number;
  /** Drops the record. */
  forget(): void;
}

/**
 * The images being made, one record each in a directory of the data dir: written (and
 * synced) before the image is created, removed once its extent is committed. A process
 * killed between the two leaves the record, and `recover` at the next start removes the
 * image no extent took, so a create that never answered leaves no file behind. An rbd
 * image's record is JSON (a file's is its path): `images()` lists those, which are removed
 * once their pool's cluster answers.
 */
export class ImageJournal {
  constructor(private readonly dir: string) {}

  /** Records `realPath` as being made; returns what forgets it again. */
  begin(realPath: string): () => void {
    return this.write(realPath, realPath);
  }

  /** Records the image `image` of rbd pool `pool` (its uuid) as being made for the extent at `extentPath`. */
  beginImage(pool: string, image: string, extentPath: string): () => void {
    return this.write(`rbd:${pool}/${image}`, JSON.stringify({ pool, image, path: extentPath, at: Date.now() }));
  }

  /** The rbd images recorded as being made (a record that does not parse is dropped). */
  images(): ImageRecord[] {
    const out: ImageRecord[] = [];
    for (const name of this.records()) {
      const record = path.join(this.dir, name);
      const text = fs.readFileSync(record, 'utf8');
      if (!text.startsWith('{')) continue;
      const forget = () => fs.rmSync(record, { force: true });
      try {
        const r = JSON.parse(text) as Partial<ImageRecord>;
        if (typeof r.pool !== 'string' || typeof r.image !== 'string' || typeof r.path !== 'string' || typeof r.at !== 'number') throw new Error('fields');
        out.push({ pool: r.pool, image: r.image, path: r.path, at: r.at, forget });
      } catch {
        forget();
      }
    }
    return out;
  }

  private records(): string[] {
    try {
      return fs.readdirSync(this.dir);
    } catch {
      return [];
    }
  }

  private write(key: string, text: string): () => void {
    fs.mkdirSync(this.dir, { recursive: true });
    const record = path.join(this.dir, createHash('sha256').update(key).digest('hex').slice(0, 32));
    const fd = fs.openSync(record, 'w', 0o600);
    try {
      fs.writeSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    syncDirectory(this.dir);
    return () => fs.rmSync(record, { force: true });
  }

  /** Removes each recorded image file that `isExtentPath` does not claim, and every file record; returns the images removed. */
  recover(isExtentPath: (realPath: string) => boolean): string[] {
    const removed: string[] = [];
    for (const name of this.records()) {
      const record = path.join(this.dir, name);
      const image = fs.readFileSync(record, 'utf8');
      if (image.startsWith('{')) continue; // an rbd image's: images()
      if (image && !isExtentPath(image) && fs.lstatSync(image, { throwIfNoEntry: false })?.isFile()) {
        fs.rmSync(image, { force: true });
        removed.push(image);
      }
      fs.rmSync(record, { force: true });
    }
    return removed;
  }
}

/**
 * Creates a sparse file of `size` bytes; the parent directory must already exist. With a
 * journal, the file is recorded as being made until its extent is committed.
 */
export function createSparseFile(field: string, realPath: string, size: number, journal: ImageJournal | null = null): Undo {
  const dir = path.dirname(realPath);
  if (!fs.existsSync(dir)) throw fail('path.directory-missing', field, { directory: dir });
  const forget = journal ? journal.begin(realPath) : () => {};
  let fd: number;
  try {
    fd = fs.openSync(realPath, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_RDWR, 0o600);
  } catch (err) {
    forget();
    throw fail('file.create-failed', field, { reason: (err as NodeJS.ErrnoException).code ?? 'error' });
  }
  try {
    fs.ftruncateSync(fd, size);
    // The image and its name are on disk before the extent is committed: a power loss
    // after the 201 must not leave an extent whose image never reached the disk.
    fs.fsyncSync(fd);
    syncDirectory(dir);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(realPath, { force: true });
    forget();
    throw fail('file.size-failed', field, { reason: (err as NodeJS.ErrnoException).code ?? 'error' });
  }
  fs.closeSync(fd);
  const undo: Undo = () => {
    fs.rmSync(realPath, { force: true });
    forget();
  };
  undo.committed = forget;
  return undo;
}

/** fsync of a directory: the names made or removed in it are durable. */
function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Grows a file to `size` (sparse); never shrinks. */
export function growFile(field: string, realPath: string, from: number, size: number): Undo {
  if (size === from) return noop;
  try {
    // The new size is durable before the larger extent is committed (as a create's image).
    const fd = fs.openSync(realPath, fs.constants.O_RDWR);
    try {
      fs.ftruncateSync(fd, size);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    throw fail('file.grow-failed', field, { reason: (err as NodeJS.ErrnoException).code ?? 'error' });
  }
  return () => fs.truncateSync(realPath, from);
}

/** Size of a block device in bytes, from sysfs (stat reports 0 for devices). */
export function blockDeviceSize(field: string, devicePath: string): number {
  let stat: fs.Stats;
  let real: string;
  try {
    real = fs.realpathSync(devicePath);
    stat = fs.statSync(real);
  } catch {
    throw fail('device.missing', field, { path: devicePath });
  }
  if (!stat.isBlockDevice()) throw fail('device.not-block', field, { path: devicePath });
  try {
    const sectors = Number(fs.readFileSync(`/sys/class/block/${path.basename(real)}/size`, 'utf8').trim());
    return sectors * 512;
  } catch {
    return 0;
  }
}

/** ZFS is present when the kernel exposes its control device. */
export function zfsPresent(): boolean {
  return fs.existsSync('/dev/zfs');
}

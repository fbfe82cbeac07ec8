/**
 * The file-system side of extents: sparse image files in pools, and block devices.
 * Every change returns an undo so a failed transaction leaves the pool as it was.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fail } from './errors.js';

export type Undo = () => void;
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

/** Creates a sparse file of `size` bytes; the parent directory must already exist. */
export function createSparseFile(field: string, realPath: string, size: number): Undo {
  const dir = path.dirname(realPath);
  if (!fs.existsSync(dir)) throw fail('path.directory-missing', field, { directory: dir });
  let fd: number;
  try {
    fd = fs.openSync(realPath, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_RDWR, 0o600);
  } catch (err) {
    throw fail('file.create-failed', field, { reason: (err as NodeJS.ErrnoException).code ?? 'error' });
  }
  try {
    fs.ftruncateSync(fd, size);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(realPath, { force: true });
    throw fail('file.size-failed', field, { reason: (err as NodeJS.ErrnoException).code ?? 'error' });
  }
  fs.closeSync(fd);
  return () => fs.rmSync(realPath, { force: true });
}

/** Grows a file to `size` (sparse); never shrinks. */
export function growFile(field: string, realPath: string, from: number, size: number): Undo {
  if (size === from) return noop;
  try {
    fs.truncateSync(realPath, size);
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

/** Small helpers every command handler shares: GOOD results, allocation clipping, I/O errors. */
import type { ScsiResult } from './types.js';
import { ScsiStatus } from './types.js';
import { ScsiCheckCondition, mediumNotPresent, spaceAllocationFailed, unrecoveredReadError, writeError, writeProtected } from './sense.js';

export const GOOD: Readonly<ScsiResult> = Object.freeze({ status: ScsiStatus.Good });

export function good(data?: Buffer): ScsiResult {
  return data ? { status: ScsiStatus.Good, data } : { status: ScsiStatus.Good };
}

export function clip(b: Buffer, allocation: number): Buffer {
  return b.length > allocation ? b.subarray(0, allocation) : b;
}

export function ioErrorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as NodeJS.ErrnoException).code : undefined;
}

/**
 * Map a backstore failure to sense: ENOSPC on a thin image, DATA PROTECT when its file
 * system went read-only (EROFS), NOT READY when the medium went away under the command
 * (ENOMEDIUM, backstore/absent.ts), else MEDIUM ERROR.
 */
export function ioFailure(err: unknown, lba: number, write: boolean): ScsiCheckCondition {
  if (err instanceof ScsiCheckCondition) return err;
  const code = ioErrorCode(err);
  if (code === 'ENOSPC') return spaceAllocationFailed();
  if (code === 'EROFS') return writeProtected();
  if (code === 'ENOMEDIUM') return mediumNotPresent();
  return write ? writeError(lba) : unrecoveredReadError(lba);
}

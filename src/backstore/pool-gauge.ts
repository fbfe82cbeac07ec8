/**
 * What a pool's storage really holds, measured, never remembered: the file system's size
 * (statfs), the blocks its files really occupy (du, not ls -l: a sparse image counts what
 * it holds), and a probe of whether it can be used (present, readable, writable, space
 * left). Called on demand (a list, a status check, an extent about to grow), so the
 * figures are as fresh as the question.
 */
import fs from 'node:fs';
import path from 'node:path';

export type PoolHealth = 'healthy' | 'degraded' | 'offline';

export interface PoolFigures {
  /** Bytes of the storage under the pool (0 when offline). */
  capacityBytes: number;
  /** Bytes really allocated by the files under the pool directory. */
  usedBytes: number;
  /** Bytes an unprivileged writer may still allocate (statfs f_bavail). */
  freeBytes: number;
  health: PoolHealth;
  /** Why it is not healthy, in plain words; null when healthy. */
  reason: string | null;
}

const PROBE_NAME = '.sanbox-probe';

/** Figures and health of a pool that is a directory on a mounted file system. */
export function measureDirectory(dir: string): PoolFigures {
  const offline = (reason: string): PoolFigures => ({ capacityBytes: 0, usedBytes: 0, freeBytes: 0, health: 'offline', reason });
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (err) {
    return offline(`${dir} is missing (${codeOf(err)})`);
  }
  if (!stat.isDirectory()) return offline(`${dir} is not a directory`);
  try {
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.X_OK);
  } catch (err) {
    return offline(`${dir} cannot be read (${codeOf(err)})`);
  }
  const fsStat = fs.statfsSync(dir);
  const figures = {
    capacityBytes: fsStat.blocks * fsStat.bsize,
    usedBytes: allocatedBytes(dir, stat.dev),
    freeBytes: fsStat.bavail * fsStat.bsize,
  };
  const unwritable = writeProbe(dir);
  if (unwritable) return { ...figures, health: 'degraded', reason: unwritable };
  if (figures.freeBytes === 0) return { ...figures, health: 'degraded', reason: `the file system of ${dir} is full` };
  return { ...figures, health: 'healthy', reason: null };
}

/**
 * The bytes the files under `dir` occupy (st_blocks × 512), as du counts them: each inode
 * once, symbolic links not followed, other file systems mounted below not entered.
 */
export function allocatedBytes(dir: string, device: number): number {
  let total = 0;
  const seen = new Set<number>();
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const p = path.join(d, entry.name);
      let s: fs.Stats;
      try {
        s = fs.lstatSync(p);
      } catch {
        continue;
      }
      if (s.dev !== device || seen.has(s.ino)) continue;
      seen.add(s.ino);
      total += s.blocks * 512;
      if (s.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return total;
}

/** null when a file can be created, written and removed in `dir`; otherwise why not. */
function writeProbe(dir: string): string | null {
  const probe = path.join(dir, `${PROBE_NAME}-${process.pid}`);
  try {
    fs.writeFileSync(probe, 'sanbox');
    return null;
  } catch (err) {
    const code = codeOf(err);
    if (code === 'ENOSPC') return `the file system of ${dir} is full`;
    return `${dir} cannot be written (${code})`;
  } finally {
    fs.rmSync(probe, { force: true });
  }
}

function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? 'error';
}

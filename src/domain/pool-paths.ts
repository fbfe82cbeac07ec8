/**
 * Where a file extent may live: inside a pool directory and nowhere else. A client path
 * is either inside a pool's real directory, or `/mnt/<pool name>/...` (FreeNAS mounts
 * pools at /mnt/<name>, and its clients write such paths even when our pool lives
 * elsewhere). `..` segments are refused outright; symlinks are resolved and must stay
 * inside the pool. A pool without a directory is reached by /mnt/<pool name>/... alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Pool } from './entities.js';
import { fail } from './errors.js';

export interface ResolvedPoolPath<P extends PoolDirectory = Pool> {
  pool: P;
  /** The real file path (what the data plane opens). */
  realPath: string;
  /** The path as the client wrote it, normalised. */
  displayPath: string;
}

/** What path resolution needs of a pool. */
export type PoolDirectory = Pick<Pool, 'name' | 'path'>;

export function resolvePoolPath<P extends PoolDirectory>(field: string, requested: string, pools: P[]): ResolvedPoolPath<P> {
  if (requested.includes('\0') || !path.isAbsolute(requested)) {
    throw fail('path.not-absolute', field);
  }
  if (requested.split(/[\\/]+/).some((segment) => segment === '..')) {
    throw fail('path.parent-reference', field);
  }
  const displayPath = path.normalize(requested).replace(/\/+$/, '');
  for (const pool of pools) {
    const carved = pool.path === '';
    const inside = carved ? null : relativeInside(pool.path, displayPath);
    const viaMnt = relativeInside(path.join('/mnt', pool.name), displayPath);
    const rest = inside ?? viaMnt;
    if (rest === null) continue;
    if (rest === '') throw fail('path.is-pool', field);
    // A pool that is not a directory (a remote LUN) holds no files: the path only names
    // the extent carved out of it, and is its real path too.
    if (carved) return { pool, realPath: displayPath, displayPath };
    const realPath = path.join(pool.path, rest);
    assertNoEscape(field, pool, realPath);
    return { pool, realPath, displayPath };
  }
  throw fail('path.outside-pools', field, { pools: pools.map((p) => `/mnt/${p.name}`) });
}

/** The path of `child` below `parent` ('' for the same directory), or null if outside. */
function relativeInside(parent: string, child: string): string | null {
  const rel = path.relative(parent, child);
  if (rel === '') return '';
  if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
  return rel;
}

/** Resolves symlinks of the deepest existing ancestor (or the file) and checks the pool still holds it. */
function assertNoEscape(field: string, pool: PoolDirectory, realPath: string): void {
  let poolReal: string;
  try {
    poolReal = fs.realpathSync(pool.path);
  } catch {
    throw fail('pool.unavailable', field, { pool: pool.name });
  }
  let probe = realPath;
  for (;;) {
    let resolved: string | null = null;
    try {
      resolved = fs.realpathSync(probe);
    } catch {
      resolved = null;
    }
    if (resolved !== null) {
      if (relativeInside(poolReal, resolved) === null) {
        throw fail('path.escapes-pool', field);
      }
      return;
    }
    const parent = path.dirname(probe);
    if (parent === probe) return;
    // A dangling symlink is an escape hazard too: refuse it rather than follow it later.
    if (isSymlink(probe)) throw fail('path.escapes-pool', field);
    probe = parent;
  }
}

function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

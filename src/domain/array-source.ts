/**
 * Where an iscsi pool's bytes are: one LUN of an external array, named by the pool's
 * `ip`, `port` and `source`. The share-pool API has no field for a LUN, so `source` is
 * the array's target name with an optional `/<lun>` after it (iSCSI names never contain
 * a slash): `iqn.2026-11.com.example:array/1` is LUN 1, `iqn.2026-11.com.example:array`
 * LUN 0, as an array that exports one LUN per target numbers it.
 */
import type { Pool } from './entities.js';
import { fail } from './errors.js';
import { isIscsiName } from './iscsi-names.js';
import type { ArrayLun } from './ports.js';

/** SAM's flat space addressing reaches LUN 16383. */
export const MAX_ARRAY_LUN = 16383;
export const DEFAULT_ARRAY_PORT = 3260;

export function parseArraySource(field: string, source: string): { targetName: string; lun: number } {
  const slash = source.lastIndexOf('/');
  const targetName = slash < 0 ? source : source.slice(0, slash);
  if (targetName.includes('/') || !isIscsiName(targetName)) throw fail('pool.source-not-iqn', field);
  if (slash < 0) return { targetName, lun: 0 };
  const lunText = source.slice(slash + 1);
  if (!/^\d{1,5}$/.test(lunText) || Number(lunText) > MAX_ARRAY_LUN) throw fail('pool.source-lun-invalid', field, { max: MAX_ARRAY_LUN });
  return { targetName, lun: Number(lunText) };
}

/** The array LUN a stored iscsi pool names (its fields were checked when it was made). */
export function arrayLunOf(pool: Pick<Pool, 'ip' | 'port' | 'source' | 'username' | 'password'>): ArrayLun {
  const { targetName, lun } = parseArraySource('source', pool.source);
  return {
    address: pool.ip,
    port: pool.port === '' ? DEFAULT_ARRAY_PORT : Number(pool.port),
    targetName,
    lun,
    chap: pool.username === '' ? null : { user: pool.username, secret: pool.password },
  };
}

/** Two pools on the same LUN of the same array would carve the same bytes twice. */
export function sameArrayLun(a: ArrayLun, b: ArrayLun): boolean {
  return a.address === b.address && a.port === b.port && a.lun === b.lun && a.targetName.toLowerCase() === b.targetName.toLowerCase();
}

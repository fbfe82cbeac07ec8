/**
 * Where an rbd pool's images are: the share-pool fields of type 6 read as Ceph names
 * them. `ip` is the monitor address, or several separated by commas; `port` the
 * monitors' port (empty: Ceph's own, 3300 and 6789); `source` the RADOS pool with an
 * optional RBD namespace after a slash (`rbd`, `rbd/tenant-a`); `username` the Ceph
 * client name without `client.` (empty: admin); `password` its cephx key.
 */
import { isIP } from 'node:net';
import type { Pool } from './entities.js';
import { fail } from './errors.js';
import type { RbdTarget } from './ports.js';

/** RADOS pool and RBD namespace names: no slash, no '@' (snapshots), nothing odd. */
const CEPH_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** RBD image names sanbox creates: an extent's file name under /mnt/<pool>/. */
export const IMAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function parseRbdSource(field: string, source: string): { pool: string; namespace: string } {
  const [pool = '', namespace = '', ...rest] = source.split('/');
  if (rest.length > 0 || !CEPH_NAME.test(pool) || (source.includes('/') && !CEPH_NAME.test(namespace))) {
    throw fail('pool.rbd-source-invalid', field, { source });
  }
  return { pool, namespace };
}

/** One or more monitor IP addresses, comma-separated, each checked. */
export function parseMonitors(field: string, value: unknown): string[] {
  if (value === undefined || value === null || value === '') throw fail('value.required', field);
  if (typeof value !== 'string') throw fail('value.not-ip-address', field);
  const monitors = value.split(',').map((m) => m.trim());
  if (monitors.some((m) => isIP(m) === 0)) throw fail('value.not-ip-address', field);
  return monitors;
}

/** The cluster a stored rbd pool names (its fields were checked when it was made). */
export function rbdTargetOf(pool: Pick<Pool, 'ip' | 'port' | 'source' | 'username' | 'password'>): RbdTarget {
  const { pool: radosPool, namespace } = parseRbdSource('source', pool.source);
  return {
    monitors: parseMonitors('ip', pool.ip),
    port: pool.port === '' ? 0 : Number(pool.port),
    pool: radosPool,
    namespace,
    user: pool.username,
    key: pool.password,
  };
}

/** Two rbd pools on the same RADOS pool and namespace of the same cluster would share images. */
export function sameRbdTarget(a: RbdTarget, b: RbdTarget): boolean {
  return a.pool === b.pool && a.namespace === b.namespace && a.monitors.some((m) => b.monitors.includes(m));
}

/**
 * What this host's storage can do for pools, read from the host itself: which pool types
 * it can create now (a file system type the kernel lacks cannot be mounted, an FC pool
 * needs an FC HBA), and the figures of a pool (pool-gauge.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type PoolFigures, measureDirectory } from './pool-gauge.js';
import { rbdUnavailable } from './rbd.js';

export interface HostFcDevice {
  name: string;
  hostName: string;
  diskPath: string;
}

/** The file systems the running kernel can mount (/proc/filesystems). */
function kernelFileSystems(): Set<string> {
  try {
    const text = fs.readFileSync('/proc/filesystems', 'utf8');
    return new Set(
      text
        .split('\n')
        .map((l) => l.trim().split(/\s+/).pop() ?? '')
        .filter(Boolean),
    );
  } catch {
    return new Set();
  }
}

function onPath(binary: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && fs.existsSync(path.join(dir, binary)));
}

function fcHosts(): string[] {
  try {
    return fs.readdirSync('/sys/class/fc_host');
  } catch {
    return [];
  }
}

export class HostStorage {
  /** Types the data plane serves beyond `disk` (the data plane adds 'iscsi' and 'rbd'). */
  constructor(private readonly served: ReadonlySet<string> = new Set(['disk'])) {}

  unsupported(type: string): string | null {
    switch (type) {
      case 'disk':
        return null;
      case 'iscsi':
        return this.served.has('iscsi') ? null : 'iSCSI pools are not served by this build';
      case 'nfs':
        return this.mountable('nfs', 'mount.nfs', 'an NFS client');
      case 'samba':
        return this.mountable('cifs', 'mount.cifs', 'a CIFS/SMB client');
      case 'rbd':
        // The addon says what is missing: built without librbd-dev, or librbd1 gone since.
        return this.served.has('rbd') ? rbdUnavailable() : 'Ceph RBD pools are not served by this build';
      case 'fc':
        return fcHosts().length ? null : 'this host has no Fibre Channel HBA (/sys/class/fc_host is empty)';
      default:
        return `${type} is not a pool type`;
    }
  }

  measure(pool: { type: string; path: string; source: string }): PoolFigures {
    if (pool.type === 'disk' && pool.path !== '') return measureDirectory(pool.path);
    return { capacityBytes: 0, usedBytes: 0, freeBytes: 0, health: 'offline', reason: `${pool.type} pools are not served by this build` };
  }

  /** Disks reached over Fibre Channel: /dev/disk/by-path entries of an FC transport. */
  fcDevices(): HostFcDevice[] {
    const byPath = '/dev/disk/by-path';
    let entries: string[];
    try {
      entries = fs.readdirSync(byPath).filter((e) => e.includes('-fc-') && !e.includes('-part'));
    } catch {
      return [];
    }
    return entries.map((e) => ({ name: e, hostName: os.hostname(), diskPath: fs.realpathSync(path.join(byPath, e)) }));
  }

  private mountable(fsType: string, helper: string, what: string): string | null {
    const missing: string[] = [];
    if (!kernelFileSystems().has(fsType)) missing.push(`the kernel has no ${fsType} file system (${what})`);
    if (!onPath(helper)) missing.push(`${helper} is not installed`);
    return missing.length ? missing.join(' and ') : null;
  }
}

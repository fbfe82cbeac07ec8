/**
 * A disk pool on a block device: its source is an absolute /dev path or a bare name under
 * /dev/disk/by-id (as the share-pool seed has "wwn-0x5000c500ad9285bb"), kept as the
 * client gave it and resolved to the real device whenever used (a by-id name may point
 * elsewhere after a reboot). A device is a pool only while nothing else has it: no
 * other pool, no Device extent, no file system mounted on it or on one of its partitions.
 */
import fs from 'node:fs';
import path from 'node:path';

const BY_ID = '/dev/disk/by-id';

/** Whether a disk pool's source names a device rather than a directory. */
export function namesDevice(source: string): boolean {
  return !path.isAbsolute(source) || source.startsWith('/dev/');
}

/** The real path of the block device `source` names, or null when it names none. */
export function resolveDevice(source: string, byIdRoot = BY_ID): string | null {
  if (!path.isAbsolute(source) && (source.includes('/') || source === '.' || source === '..')) return null;
  try {
    const real = fs.realpathSync(path.isAbsolute(source) ? source : path.join(byIdRoot, source));
    return fs.statSync(real).isBlockDevice() ? real : null;
  } catch {
    return null;
  }
}

/** The device and its partitions, as /dev paths (partitions from sysfs). */
function deviceAndPartitions(device: string): Set<string> {
  const name = path.basename(device);
  const out = new Set([device]);
  try {
    for (const entry of fs.readdirSync(`/sys/class/block/${name}`)) {
      if (entry.startsWith(name) && fs.existsSync(`/sys/class/block/${name}/${entry}/partition`)) out.add(`/dev/${entry}`);
    }
  } catch {
    // no sysfs entry: the device alone
  }
  return out;
}

/** Where the device or one of its partitions is mounted (`mounts`: /proc/self/mounts), or null. */
export function mountPointOf(device: string, mounts: string): string | null {
  const mine = deviceAndPartitions(device);
  for (const line of mounts.split('\n')) {
    const [source, target] = line.split(' ');
    if (!source?.startsWith('/') || target === undefined) continue;
    let real = source;
    try {
      real = fs.realpathSync(source);
    } catch {
      // a source that is no path here
    }
    if (mine.has(real)) return target.replace(/\\040/g, ' ');
  }
  return null;
}

export function readMounts(): string {
  try {
    return fs.readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return '';
  }
}

/**
 * The local block devices behind disk pools that have no directory (the domain's
 * DeviceLinks): one open descriptor per pool, shared by every extent carved out of it,
 * each a RangeBackstore over a BlockTransport that is the file/block backstore. A pool's
 * device is opened when the pool is made and, for every device pool of the configuration,
 * whenever the configuration is applied (a device that was missing is tried again then
 * and at every status check); it closes when its pool leaves the configuration. A device
 * that disappears (its sysfs entry gone, or its node now another device) makes its pool
 * offline and its LUNs NOT READY.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { type FdBackstore, openFileBackstore } from '../backstore/file.js';
import { zeroRange } from '../backstore/range.js';
import type { BlockTransport, TransportHealth } from '../backstore/transport.js';
import type { Pool } from '../domain/entities.js';
import { resolveDevice } from '../domain/pool-device.js';
import type { DeviceLinks as DeviceLinksPort, PoolMeasure } from '../domain/ports.js';

/** The block device as a transport: always connected while its node is the device it was. */
class DeviceTransport implements BlockTransport {
  readonly #since = Date.now();

  constructor(
    readonly device: string,
    private readonly fd: FdBackstore,
    readonly blockSize: number,
    private readonly rdev: number,
  ) {}

  get sizeBytes(): number {
    return this.fd.sizeBytes;
  }

  read(buf: Buffer, offset: number): Promise<void> {
    return this.fd.read(buf, offset);
  }

  write(buf: Buffer, offset: number, fua: boolean): Promise<void> {
    return this.fd.write(buf, offset, fua);
  }

  flush(): Promise<void> {
    return this.fd.flush();
  }

  /** Punched (the kernel zeroes a device's range) where it can; else the range writes zeros. */
  async discard(offset: number, length: number): Promise<boolean> {
    if (!this.fd.native) return false;
    try {
      await this.fd.discard(offset, length);
      return true;
    } catch {
      return false;
    }
  }

  present(): string | null {
    try {
      const st = fs.statSync(this.device);
      if (!st.isBlockDevice() || st.rdev !== this.rdev) return `${this.device} is another device now`;
      const major = (st.rdev >> 8) & 0xfff;
      const minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
      if (!fs.existsSync(`/sys/dev/block/${major}:${minor}`)) return `${this.device} is gone`;
      return null;
    } catch {
      return `${this.device} is gone`;
    }
  }

  health(): TransportHealth {
    const gone = this.present();
    return { state: gone ? 'unreachable' : 'connected', since: this.#since, lastError: gone };
  }

  close(): Promise<void> {
    return this.fd.close();
  }
}

interface Link {
  name: string;
  device: string;
  transport: DeviceTransport | null;
  lastError: string | null;
  pending: boolean;
}

export class DeviceLinks implements DeviceLinksPort {
  private readonly links = new Map<string, Link>();

  /** `changed`: a device came or went (the data plane re-checks its LUs). */
  constructor(
    private readonly log: Logger,
    private readonly changed: () => void,
  ) {}

  has(poolUuid: string): boolean {
    return this.links.has(poolUuid);
  }

  async open(poolUuid: string, device: string): Promise<{ ok: true; figures: PoolMeasure } | { ok: false; reason: string }> {
    await this.drop(poolUuid);
    const link: Link = { name: poolUuid, device, transport: null, lastError: null, pending: true };
    await this.attach(link);
    if (!link.transport) return { ok: false, reason: link.lastError ?? 'cannot open it' };
    this.links.set(poolUuid, link);
    return { ok: true, figures: this.measure(poolUuid) };
  }

  async drop(poolUuid: string): Promise<void> {
    const link = this.links.get(poolUuid);
    this.links.delete(poolUuid);
    await link?.transport?.close();
  }

  /** Follows the configuration: the devices of its device pools open, none for pools it no longer has. */
  async reconcile(pools: readonly Pool[]): Promise<void> {
    const wanted = new Map(pools.filter((p) => p.type === 'disk' && p.path === '').map((p) => [p.uuid, p]));
    for (const [uuid, link] of [...this.links]) {
      const pool = wanted.get(uuid);
      if (!pool) {
        if (!link.pending) await this.drop(uuid);
        continue;
      }
      link.pending = false;
      link.name = pool.name;
      const device = resolveDevice(pool.source);
      if (device !== null && device !== link.device) await this.drop(uuid);
    }
    for (const [uuid, pool] of wanted) {
      let link = this.links.get(uuid);
      if (!link) {
        link = { name: pool.name, device: resolveDevice(pool.source) ?? pool.source, transport: null, lastError: null, pending: false };
        this.links.set(uuid, link);
      }
      if (!link.transport || link.transport.present()) await this.reopen(link, pool.source);
    }
  }

  /** The pool's open device, for the ranges carved out of it. */
  transport(poolUuid: string): BlockTransport {
    const link = this.links.get(poolUuid);
    if (link?.transport) return link.transport;
    throw Object.assign(new Error(`the pool's device is not open${link?.lastError ? `: ${link.lastError}` : ''}`), { code: 'ENOTCONN' });
  }

  measure(poolUuid: string): PoolMeasure {
    const link = this.links.get(poolUuid);
    if (!link) return offline(0, 'the pool is not in the running configuration');
    if (!link.transport) return offline(0, `cannot open ${link.device}: ${link.lastError ?? 'not opened yet'}`);
    const capacity = link.transport.sizeBytes;
    const gone = link.transport.present();
    if (gone) return offline(capacity, gone);
    return { capacityBytes: capacity, usedBytes: 0, freeBytes: capacity, health: 'healthy', reason: null };
  }

  /** Reads the device's first block now; a device that was missing or gone is opened again. */
  async probe(poolUuid: string): Promise<PoolMeasure> {
    const link = this.links.get(poolUuid);
    if (link && (!link.transport || link.transport.present())) {
      await this.reopen(link, null);
      this.changed();
    }
    const t = link?.transport;
    if (t && !t.present()) {
      try {
        await t.read(Buffer.alloc(t.blockSize), 0);
      } catch (err) {
        return offline(t.sizeBytes, `${t.device} cannot be read: ${(err as Error).message}`);
      }
    }
    return this.measure(poolUuid);
  }

  zero(poolUuid: string, offset: number, length: number): Promise<void> {
    return zeroRange(this.transport(poolUuid), offset, length);
  }

  async closeAll(): Promise<void> {
    for (const uuid of [...this.links.keys()]) await this.drop(uuid);
  }

  /** Opens the link's device again (resolving `source` anew when given). */
  private async reopen(link: Link, source: string | null): Promise<void> {
    const had = link.transport !== null;
    await link.transport?.close();
    link.transport = null;
    if (source !== null) link.device = resolveDevice(source) ?? link.device;
    await this.attach(link);
    if (link.transport) this.log.info({ pool: link.name, device: link.device }, "opened the device pool's device");
    else if (had || link.lastError)
      this.log.error({ pool: link.name, device: link.device, err: link.lastError }, "the device pool's device cannot be opened: the pool is offline");
  }

  private async attach(link: Link): Promise<void> {
    try {
      const st = fs.statSync(link.device);
      if (!st.isBlockDevice()) throw new Error(`${link.device} is not a block device`);
      const fd = await openFileBackstore('block', link.device, false);
      link.transport = new DeviceTransport(link.device, fd, logicalBlockSize(link.device), st.rdev);
      link.lastError = null;
    } catch (err) {
      link.lastError = (err as Error).message;
    }
  }
}

/** The device's logical block size from sysfs (a partition's is its disk's); 512 when unknown. */
function logicalBlockSize(device: string): number {
  const sys = `/sys/class/block/${path.basename(device)}`;
  for (const file of [`${sys}/queue/logical_block_size`, `${sys}/../queue/logical_block_size`]) {
    try {
      const n = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isInteger(n) && n > 0) return n;
    } catch {
      // try the next
    }
  }
  return 512;
}

function offline(capacityBytes: number, reason: string): PoolMeasure {
  return { capacityBytes, usedBytes: 0, freeBytes: capacityBytes, health: 'offline', reason };
}

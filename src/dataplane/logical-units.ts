/**
 * Opens a logical unit for each (extent, block size, write mode) the configuration maps,
 * keeps it open across reconciles while its spec is unchanged, tells it when its extent
 * grew, and closes the ones no longer mapped.
 */
import type { Logger } from 'pino';
import type { BackstoreSpec } from '../backstore/backstore.js';
import { openBackstore } from '../backstore/open.js';
import { createLogicalUnit } from '../scsi/logical-unit.js';
import type { LogicalUnit, LogicalUnitSpec } from '../scsi/types.js';

export type LuIdentity = Omit<LogicalUnitSpec, 'backstore'>;

export interface WantedLu {
  key: string;
  identity: LuIdentity;
  backstore: BackstoreSpec;
}

interface OpenLu {
  specKey: string;
  sizeBytes: number;
  lu: LogicalUnit;
}

export class LogicalUnits {
  private readonly open = new Map<string, OpenLu>();

  constructor(private readonly log: Logger) {}

  /** Returns key -> LU for every wanted LU that could be opened. */
  async reconcile(wanted: readonly WantedLu[]): Promise<Map<string, LogicalUnit>> {
    const wantedKeys = new Set(wanted.map((w) => w.key));
    for (const [key, entry] of this.open) {
      if (!wantedKeys.has(key)) await this.closeOne(key, entry);
    }
    const result = new Map<string, LogicalUnit>();
    for (const w of wanted) {
      const lu = await this.ensure(w);
      if (lu) result.set(w.key, lu);
    }
    return result;
  }

  async closeAll(): Promise<void> {
    for (const [key, entry] of [...this.open]) await this.closeOne(key, entry);
  }

  private async ensure(w: WantedLu): Promise<LogicalUnit | undefined> {
    const specKey = JSON.stringify([w.identity, w.backstore.kind, w.backstore.path ?? null, w.backstore.readOnly ?? false]);
    const existing = this.open.get(w.key);
    if (existing && existing.specKey === specKey) {
      if (w.backstore.sizeBytes > existing.sizeBytes) {
        existing.sizeBytes = w.backstore.sizeBytes;
        await existing.lu.capacityChanged(w.backstore.sizeBytes);
      }
      return existing.lu;
    }
    if (existing) await this.closeOne(w.key, existing);
    try {
      const backstore = await openBackstore(w.backstore);
      const lu = createLogicalUnit({ ...w.identity, backstore });
      this.open.set(w.key, { specKey, sizeBytes: w.backstore.sizeBytes, lu });
      return lu;
    } catch (err) {
      this.log.error({ lu: w.key, path: w.backstore.path, err: (err as Error).message }, 'cannot open extent');
      return undefined;
    }
  }

  private async closeOne(key: string, entry: OpenLu): Promise<void> {
    this.open.delete(key);
    try {
      await entry.lu.close();
    } catch (err) {
      this.log.warn({ lu: key, err: (err as Error).message }, 'closing logical unit failed');
    }
  }
}

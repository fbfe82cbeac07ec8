/**
 * Configuration changes at a steady rate while the sessions run, through the same FreeNAS
 * API: extra targets with their own extents are created (and checked to be served at
 * once, as the API promises), grown and deleted, and the data targets' aliases change.
 * None of these may disturb a data session: an alias is not an access rule, and the
 * extras share only the portal with them.
 */
import { join } from 'node:path';
import { FREENAS, type FreeNasClient, idOf } from '../bench/freenas-client.js';
import { readCapacity, type Provisioned } from './provision.js';
import type { Random } from './random.js';
import type { SoakStats } from './stats.js';

interface Extra {
  name: string;
  targetId: number;
  extentId: number;
  bytes: number;
}

const EXTRA_BYTES = 8 * 1024 * 1024;
const MAX_EXTRAS = 3;

export class ApiChurn {
  private readonly extras: Extra[] = [];
  private serial = 0;
  private tick = 0;
  private stopped = false;

  constructor(
    private readonly api: FreeNasClient,
    private readonly setup: Provisioned,
    private readonly poolDir: string,
    private readonly stats: SoakStats,
    private readonly rnd: Random,
  ) {}

  stop(): void {
    this.stopped = true;
  }

  async run(until: number, everyMs: number): Promise<void> {
    let next = Date.now();
    while (!this.stopped && Date.now() < until) {
      const action = this.pick();
      try {
        await action();
        this.stats.total.apiOps++;
      } catch (e) {
        this.stats.total.apiFailures++;
        this.stats.error(`API: ${e instanceof Error ? e.message : String(e)}`);
      }
      next += everyMs;
      await sleep(Math.max(0, Math.min(next, until) - Date.now()));
    }
  }

  private pick(): () => Promise<void> {
    const t = this.tick++;
    if (t % 2 === 1) return () => this.changeAlias();
    if (this.extras.length >= MAX_EXTRAS || (this.extras.length > 0 && this.rnd.chance(0.3))) return () => this.deleteExtra();
    if (this.extras.length > 0 && this.rnd.chance(0.3)) return () => this.growExtra();
    return () => this.createExtra();
  }

  private async createExtra(): Promise<void> {
    const name = `extra${this.serial++}`;
    const e = await this.api.post('/extent/', {
      iscsi_target_extent_type: 'File',
      iscsi_target_extent_name: name,
      iscsi_target_extent_filesize: String(EXTRA_BYTES),
      iscsi_target_extent_path: join(this.poolDir, `${name}.img`),
    });
    const t = await this.api.post('/target/', {
      iscsi_target_name: name,
      iscsi_target_portalgroup: this.setup.portalGroupId,
      iscsi_target_initiatorgroup: this.setup.initiatorGroupId,
    });
    const extra = { name, targetId: idOf(t, 'target'), extentId: idOf(e, 'extent'), bytes: EXTRA_BYTES };
    this.extras.push(extra);
    await this.api.post('/targettoextent/', { iscsi_target: extra.targetId, iscsi_extent: extra.extentId });
    await this.checkServed(extra);
  }

  private async growExtra(): Promise<void> {
    const extra = this.extras[this.rnd.int(0, this.extras.length - 1)]!;
    extra.bytes += 1024 * 1024;
    await this.api.request('PUT', `${FREENAS}/extent/${extra.extentId}/`, { iscsi_target_extent_filesize: String(extra.bytes) });
    await this.checkServed(extra);
  }

  private async deleteExtra(): Promise<void> {
    const extra = this.extras.shift()!;
    await this.api.delete(`/target/${extra.targetId}/`);
    await this.api.delete(`/extent/${extra.extentId}/`);
  }

  private async changeAlias(): Promise<void> {
    const t = this.setup.targets[this.rnd.int(0, this.setup.targets.length - 1)]!;
    const alias = `soak alias ${this.tick}`;
    await this.api.request('PUT', `${FREENAS}/target/${t.targetId}/`, { iscsi_target_alias: alias });
    const back = await this.api.get<Record<string, unknown>>(`/target/${t.targetId}/`);
    if (back['iscsi_target_alias'] !== alias) throw new Error(`target ${t.name}: alias reads back as ${JSON.stringify(back['iscsi_target_alias'])}`);
  }

  /** The API answered, so the target must already be served with the size just set. */
  private async checkServed(extra: Extra): Promise<void> {
    const cap = await readCapacity(this.setup.iscsiPort, `${this.setup.basename}:${extra.name}`, this.stats.total);
    if (cap.blocks * cap.blockSize !== extra.bytes)
      throw new Error(`${extra.name}: served with ${cap.blocks * cap.blockSize} bytes, configured ${extra.bytes}`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

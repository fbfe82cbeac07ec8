/**
 * One soak session: an iSCSI session of the project's own initiator on one LU, doing
 * reads, writes, UNMAPs and persistent-reservation commands on the blocks it alone owns,
 * one command at a time so that at most one outcome is ever unknown. Every read is checked
 * against the model. When its connection goes (dropped by the soak, or by the target), it
 * logs in again with the same ISID (session reinstatement), re-registers its key, and
 * re-reads whatever was in flight before it trusts the model again.
 */
import { performance } from 'node:perf_hooks';
import { IscsiInitiator } from '../src/initiator/client.js';
import { readCdb, unmapCommand, writeCdb } from '../src/initiator/cdbs.js';
import { BlockModel } from './model.js';
import type { Random } from './random.js';
import type { SoakStats } from './stats.js';
import {
  GOOD,
  PR_IN_LENGTH,
  PR_TYPE_WE_RO,
  READ_RESERVATION,
  RESERVATION_CONFLICT,
  ScsiError,
  command,
  parseReservation,
  prRegister,
  prRelease,
  prReserve,
  type RetryCounts,
} from './scsi.js';

export interface SessionPlan {
  index: number;
  host: string;
  port: number;
  targetIqn: string;
  lun: number;
  blockSize: number;
  firstLba: number;
  blocks: number;
  /** Unmapped blocks read as zeros (LBPRZ): UNMAP is checked, and only then issued. */
  zeroesUnmapped: boolean;
  run: number;
}

const MAX_IO_BLOCKS = 64;
const REQUEST_TIMEOUT_MS = 30000;
/** Share of writes whose connection the session drops right after sending them. */
const MID_WRITE_DROP = 0.01;

export class SoakSession {
  private conn: IscsiInitiator | null = null;
  private readonly model: BlockModel;
  private readonly key: bigint;
  private readonly initiatorName: string;
  private readonly isid: Buffer;
  private gen = 0;
  /** This session holds the LU's persistent reservation (type WE_RO). */
  private holds = false;
  /** A reservation command went unanswered: ask the LU before believing `holds`. */
  private holdUnknown = false;
  private dropRequested = false;
  private connectedOnce = false;
  private loginFailuresInARow = 0;
  private stopped = false;
  private readonly retries: RetryCounts;
  /** The last commands over this session's blocks, to explain a mismatch. */
  private readonly history: Array<{ text: string; lba: number; count: number }> = [];

  constructor(
    readonly plan: SessionPlan,
    private readonly stats: SoakStats,
    private readonly rnd: Random,
  ) {
    this.model = new BlockModel(plan.run, plan.index, plan.firstLba, plan.blocks, plan.blockSize);
    this.key = 0x50a0000000000000n + BigInt(plan.index + 1);
    this.initiatorName = `iqn.2026-12.org.example.soak:s${plan.index}`;
    this.isid = Buffer.from([0x80, 0x00, 0x50, 0xac, (plan.index >> 8) & 0xff, plan.index & 0xff]);
    this.retries = stats.total; // unit attentions and BUSY answers count straight into the totals
  }

  get connected(): boolean {
    return this.conn !== null && !this.conn.isClosed;
  }

  /** Destroy the socket under whatever command is in flight (the soak's fault injection). */
  drop(): boolean {
    if (!this.connected) return false;
    this.dropRequested = true;
    this.stats.total.drops++;
    this.note('connection destroyed by the soak', 0, Number.MAX_SAFE_INTEGER, performance.now());
    this.conn!.socket.destroy();
    return true;
  }

  stop(): void {
    this.stopped = true;
  }

  /** Work until `until` (ms since the epoch) or stop(); then the caller runs finish(). */
  async run(until: number): Promise<void> {
    while (!this.stopped && Date.now() < until) {
      const conn = this.conn ?? (await this.connect());
      if (!conn) continue;
      try {
        if (this.model.unknownRanges().length > 0 || this.holdUnknown) await this.resync(conn, 'resync');
        else await this.step(conn);
      } catch (e) {
        this.failed(conn, e);
      }
    }
  }

  /** Read back every block this session owns (the final sweep), release, log out. */
  async finish(): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const conn = this.conn ?? (await this.connect());
      if (!conn) continue;
      try {
        if (this.model.unknownRanges().length > 0 || this.holdUnknown) await this.resync(conn, 'resync');
        for (let lba = this.plan.firstLba; lba < this.plan.firstLba + this.plan.blocks; lba += MAX_IO_BLOCKS) {
          await this.read(conn, lba, Math.min(MAX_IO_BLOCKS, this.plan.firstLba + this.plan.blocks - lba), 'final sweep');
        }
        if (this.holds) await this.release(conn);
        await conn.logout().catch(() => conn.close());
        this.conn = null;
        return;
      } catch (e) {
        this.failed(conn, e);
      }
    }
    this.stats.error(`session ${this.plan.index}: final sweep did not complete`);
  }

  private async connect(): Promise<IscsiInitiator | null> {
    let conn: IscsiInitiator | null = null;
    try {
      conn = await IscsiInitiator.connect(this.plan.host, this.plan.port, 5000);
      conn.requestTimeoutMs = REQUEST_TIMEOUT_MS;
      await conn.login({ initiatorName: this.initiatorName, targetName: this.plan.targetIqn, isid: this.isid });
      // Register before any I/O: with a WE_RO reservation held elsewhere, an unregistered
      // nexus may not write. A registration outlives the nexus, so this is often a re-register.
      const reg = prRegister(this.key);
      const r = await command(conn, this.plan.lun, reg.cdb, { dataOut: reg.data }, this.retries);
      if (r.status !== GOOD) throw new ScsiError('PR OUT REGISTER AND IGNORE EXISTING KEY', r);
      if (this.connectedOnce) this.stats.total.reconnects++;
      this.note(`logged in, TSIH ${conn.tsih}`, 0, Number.MAX_SAFE_INTEGER, performance.now());
      this.connectedOnce = true;
      this.loginFailuresInARow = 0;
      this.conn = conn;
      this.dropRequested = false;
      return conn;
    } catch (e) {
      conn?.close();
      this.stats.total.loginRetries++;
      // Past 32 connections logging in from one address sanbox closes new ones at once
      // (SANBOX_ISCSI_PENDING_LOGINS_PER_ADDRESS), and on a starved machine logins are slow:
      // a few refusals in a row are normal, a session that cannot get back in is not.
      if (++this.loginFailuresInARow === 10) this.stats.error(`session ${this.plan.index}: 10 logins in a row failed, last: ${String(e)}`);
      await sleep(Math.min(2000, 50 * this.loginFailuresInARow));
      return null;
    }
  }

  private failed(conn: IscsiInitiator, e: unknown): void {
    const why = e instanceof Error ? e.message : String(e);
    if (conn.isClosed) {
      if (!this.dropRequested) this.stats.unexpectedDrop(`session ${this.plan.index}: ${conn.closeError?.message ?? why}`);
    } else if (/not answered within|no answer to ITT/.test(why)) {
      this.stats.error(`session ${this.plan.index}: ${why}`);
      conn.close();
    } else {
      // a wrong SCSI answer: the connection is fine, the outcome of a write is not known
      this.stats.error(`session ${this.plan.index} (${this.plan.targetIqn}): ${why}`);
      return;
    }
    this.conn = null;
    this.dropRequested = false;
  }

  private async step(conn: IscsiInitiator): Promise<void> {
    const x = this.rnd.next();
    const count = this.rnd.int(1, Math.min(MAX_IO_BLOCKS, this.plan.blocks));
    const lba = this.plan.firstLba + this.rnd.int(0, this.plan.blocks - count);
    if (x < 0.4) await this.read(conn, lba, count, 'read');
    else if (x < 0.85) await this.write(conn, lba, count, this.rnd.chance(0.1));
    else if (x < 0.97 && this.plan.zeroesUnmapped) await this.unmap(conn, lba, count);
    else if (x >= 0.97) await this.reservation(conn);
    else await this.read(conn, lba, count, 'read');
  }

  private async read(conn: IscsiInitiator, lba: number, count: number, during: string): Promise<void> {
    const t0 = performance.now();
    const r = await command(conn, this.plan.lun, readCdb(lba, count), { readLength: count * this.plan.blockSize }, this.retries);
    const ms = performance.now() - t0;
    if (r.status !== GOOD) throw new ScsiError(`READ lba ${lba} x${count}`, r);
    if (r.data.length !== count * this.plan.blockSize) throw new Error(`READ lba ${lba} x${count}: ${r.data.length} bytes`);
    this.stats.io('read', r.data.length, ms);
    const bad = this.model.verify(lba, r.data);
    for (const [k, m] of bad.entries()) {
      const history = k === 0 ? this.history.filter((h) => h.lba <= m.lba && m.lba < h.lba + h.count).map((h) => h.text) : undefined;
      this.stats.mismatch({ at: new Date().toISOString(), session: this.plan.index, target: this.plan.targetIqn, during, ...m, history });
    }
    this.note(`${during} ${lba}+${count} -> ${bad.length ? `${bad.length} mismatches` : 'ok'}`, lba, count, t0);
    this.stats.total.unackedLanded += this.model.landed;
    this.stats.total.unackedNotLanded += this.model.notLanded;
    this.model.landed = this.model.notLanded = 0;
  }

  private async write(conn: IscsiInitiator, lba: number, count: number, fua: boolean): Promise<void> {
    const gen = ++this.gen;
    const data = this.model.content(lba, count, gen);
    this.model.begin(lba, count, gen);
    const t0 = performance.now();
    const sent = command(conn, this.plan.lun, writeCdb(lba, count, fua), { dataOut: data }, this.retries);
    // Now and then the connection goes the moment a write is on the wire: the target has
    // the whole command (when it fits the immediate data) and is running it as the session
    // ends. Whatever it does with it must be over before the next session reads the blocks.
    if (this.rnd.chance(MID_WRITE_DROP)) setImmediate(() => this.drop());
    const r = await sent.catch((e: unknown) => {
      this.note(`write${fua ? ' FUA' : ''} ${lba}+${count} gen ${gen} -> ${e instanceof Error ? e.message : String(e)}`, lba, count, t0);
      throw e;
    });
    const ms = performance.now() - t0;
    this.note(`write${fua ? ' FUA' : ''} ${lba}+${count} gen ${gen} -> 0x${r.status.toString(16)}`, lba, count, t0);
    if (r.status !== GOOD) throw new ScsiError(`WRITE lba ${lba} x${count}`, r);
    this.model.commit(lba, count);
    this.stats.io('write', data.length, ms);
  }

  private async unmap(conn: IscsiInitiator, lba: number, count: number): Promise<void> {
    const u = unmapCommand(lba, count);
    this.model.begin(lba, count, 0);
    const t0 = performance.now();
    const r = await command(conn, this.plan.lun, u.cdb, { dataOut: u.parameters }, this.retries).catch((e: unknown) => {
      this.note(`unmap ${lba}+${count} -> ${e instanceof Error ? e.message : String(e)}`, lba, count, t0);
      throw e;
    });
    const ms = performance.now() - t0;
    this.note(`unmap ${lba}+${count} -> 0x${r.status.toString(16)}`, lba, count, t0);
    if (r.status !== GOOD) throw new ScsiError(`UNMAP lba ${lba} x${count}`, r);
    this.model.commit(lba, count);
    this.stats.io('unmap', 0, ms);
  }

  /**
   * Take or give back the LU's WE_RO reservation. Only the holder's key may show in READ
   * RESERVATION after a successful RESERVE; a conflict means someone else holds it.
   */
  private async reservation(conn: IscsiInitiator): Promise<void> {
    if (this.holds) {
      await this.release(conn);
      return;
    }
    const res = prReserve(this.key, PR_TYPE_WE_RO);
    this.holdUnknown = true;
    const r = await command(conn, this.plan.lun, res.cdb, { dataOut: res.data }, this.retries);
    this.stats.total.reservationOps++;
    if (r.status === RESERVATION_CONFLICT) {
      this.stats.total.reservationConflicts++;
      this.holdUnknown = false;
      const now = await this.readReservation(conn);
      if (now?.key === this.key) this.stats.error(`session ${this.plan.index}: RESERVE conflicted, yet READ RESERVATION names its own key`);
      return;
    }
    if (r.status !== GOOD) throw new ScsiError('PR OUT RESERVE', r);
    this.holdUnknown = false;
    this.holds = true;
    const now = await this.readReservation(conn);
    if (now?.key !== this.key || now.type !== PR_TYPE_WE_RO) {
      this.stats.error(
        `session ${this.plan.index}: RESERVE succeeded, but READ RESERVATION shows ${now ? `key ${now.key.toString(16)} type ${now.type}` : 'none'}`,
      );
    }
  }

  private async release(conn: IscsiInitiator): Promise<void> {
    const rel = prRelease(this.key, PR_TYPE_WE_RO);
    this.holdUnknown = true;
    const r = await command(conn, this.plan.lun, rel.cdb, { dataOut: rel.data }, this.retries);
    this.stats.total.reservationOps++;
    if (r.status !== GOOD) throw new ScsiError('PR OUT RELEASE', r);
    this.holdUnknown = false;
    this.holds = false;
    const now = await this.readReservation(conn);
    if (now?.key === this.key) this.stats.error(`session ${this.plan.index}: RELEASE succeeded, but it still holds the reservation`);
  }

  private async readReservation(conn: IscsiInitiator): Promise<{ key: bigint; type: number } | null> {
    const r = await command(conn, this.plan.lun, READ_RESERVATION, { readLength: PR_IN_LENGTH }, this.retries);
    if (r.status !== GOOD) throw new ScsiError('PR IN READ RESERVATION', r);
    return parseReservation(r.data);
  }

  private note(text: string, lba: number, count: number, t0: number): void {
    const ms = performance.now() - t0;
    this.history.push({ text: `${new Date().toISOString().slice(11, 23)} ${text} (${ms.toFixed(1)} ms)`, lba, count });
    if (this.history.length > 200) this.history.splice(0, 100);
  }

  /** After a lost connection or a failed command: learn what the unanswered command did. */
  private async resync(conn: IscsiInitiator, during: string): Promise<void> {
    for (const range of this.model.unknownRanges()) {
      for (let lba = range.lba; lba < range.lba + range.count; lba += MAX_IO_BLOCKS) {
        this.stats.total.resyncReads++;
        await this.read(conn, lba, Math.min(MAX_IO_BLOCKS, range.lba + range.count - lba), during);
      }
    }
    if (this.holdUnknown) {
      this.holds = (await this.readReservation(conn))?.key === this.key;
      this.holdUnknown = false;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

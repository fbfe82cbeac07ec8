/**
 * The state of one SCSI command on its connection: what it is, the Data-Out collected for
 * it (immediate, unsolicited, R2T-solicited), the budget it holds and where it is in its
 * life. Plain data: scsi-task.ts moves it along, tmf.ts aborts it.
 */
import type { LogicalUnit } from '../scsi/types.js';
import type { ScsiCommandPdu } from './pdu/scsi.js';
import type { SessionTask } from './session.js';
import type { BudgetWaiter } from './io-budget.js';
import type { IoCounters } from './counters.js';

export interface PendingR2T {
  offset: number;
  length: number;
  received: number;
  /** Next DataSN and buffer offset expected in this sequence (in-order delivery). */
  nextDataSN: number;
  nextOffset: number;
}

const EMPTY_LUNS: ReadonlyMap<number, LogicalUnit> = new Map();

export class ScsiTask implements SessionTask {
  readonly itt: number;
  readonly lun: number;
  readonly cmdSN: number;
  readonly cdb: Buffer;
  readonly expectedLength: number;
  readonly read: boolean;
  readonly write: boolean;
  readonly attribute: number;
  readonly immediate: boolean;
  readonly lu: LogicalUnit | undefined;
  /** The target's LUNs when the command arrived (REPORT LUNS). */
  luns: ReadonlyMap<number, LogicalUnit> = EMPTY_LUNS;
  aborted = false;
  /** Write data collected so far. */
  buffer: Buffer | null = null;
  /** `buffer` came from the I/O buffer pool: released once the LU has finished the write. */
  pooled = false;
  received = 0;
  /** End of the unsolicited (immediate + unsolicited Data-Out) range. */
  unsolicitedEnd = 0;
  nextR2TOffset = 0;
  r2tSN = 0;
  /** DataSN / offset expected next in the unsolicited Data-Out sequence. */
  unsolDataSN = 0;
  unsolOffset = 0;
  /** Outstanding R2Ts by TTT; created only for writes that need them. */
  private r2tMap: Map<number, PendingR2T> | null = null;
  get r2ts(): Map<number, PendingR2T> {
    if (this.r2tMap === null) this.r2tMap = new Map();
    return this.r2tMap;
  }
  /** R2T and Data-In PDUs sent (ExpDataSN of the response). */
  dataSN = 0;
  /** Bytes of the I/O budget this task holds (io-budget.ts), and its place in line while it waits for more. */
  charge = 0;
  waiter: BudgetWaiter | null = null;
  /** Handed to the logical unit: its buffers are the LU's until execute() settles. */
  executing = false;
  /** When the command arrived (its chunk's performance.now(), ms): its latency runs to its answer. */
  started = 0;
  /** The counters of its logical unit (null: no LU, or nothing keeps them). */
  io: IoCounters | null = null;
  /** Solicited Data-Out is outstanding (an R2T not yet fully answered). */
  get awaitingR2T(): boolean {
    return this.r2tMap !== null && this.r2tMap.size !== 0;
  }

  constructor(c: ScsiCommandPdu, lu: LogicalUnit | undefined) {
    this.itt = c.itt;
    this.lun = c.lun;
    this.cmdSN = c.cmdSN;
    this.cdb = c.cdb;
    this.expectedLength = c.expectedLength;
    this.read = c.read;
    this.write = c.write;
    this.attribute = c.attribute;
    this.immediate = c.immediate;
    this.lu = lu;
  }
}

/**
 * What the full-feature PDU handlers (scsi-task.ts, tmf.ts, nop.ts, text-request.ts,
 * logout.ts) need of the connection a PDU came in on, and nothing more. `Connection`
 * implements it; no handler imports `Connection`, so the handlers sit below the socket
 * and the imports run one way (connection.ts → handlers → this file).
 */
import type { Logger } from 'pino';
import type { TargetNode } from './catalog.js';
import type { RejectReason } from './errors.js';
import type { BudgetAccount, IoBudget } from './io-budget.js';
import type { Negotiated } from './params.js';
import type { Session } from './session.js';
import type { ScsiTask } from './task-state.js';

/**
 * A write buffer the parser already put a command's immediate data into, and the budget
 * bytes it took for it (0 when the buffer holds the immediate data only).
 */
export interface Placement {
  itt: number;
  buf: Buffer;
  pooled: boolean;
  charge: number;
}

/** The NOP-In this connection sent and waits an answer for (nop.ts). */
export interface NopState {
  pendingTtt: number | null;
  sentAt: number;
}

export interface HandlerContext {
  readonly logger: Logger;
  /** The session, once the login completed (always set for full-feature PDUs). */
  readonly session: Session | null;
  /** This connection's negotiated parameters (digests and segment lengths are its own). */
  readonly params: Negotiated;
  /** The connection is closing: nothing more is sent. */
  readonly closed: boolean;
  /** Commands are counted and timed (ConnectionHost.countIo). */
  readonly countIo: boolean;
  /** When the chunk holding the current PDU arrived (performance.now(), ms). */
  readonly chunkAt: number;
  /** When the connection last received anything (Date.now(), ms). */
  readonly lastReceived: number;
  readonly budget: IoBudget;
  /** This session's account in the budget. */
  readonly account: BudgetAccount;
  /** Write tasks waiting for Data-Out on this connection (connection allegiance). */
  readonly dataTasks: Map<number, ScsiTask>;
  /** Tasks waiting in line for the I/O budget. */
  readonly parked: Set<ScsiTask>;
  readonly nop: NopState;
  /** Where the parser put the immediate data of the command being parsed, if it did. */
  prealloc: Placement | null;
  /** Solicited Data-Out bytes received (progress of writes waiting for their R2Ts). */
  dataOutBytes: number;
  /** The session's target as the catalog has it now. */
  currentTarget(): TargetNode | null;
  /** The next Target Transfer Tag (never 0 nor reserved). */
  nextTtt(): number;
  /**
   * Stamp sequence numbers and write one PDU. `statSN`: 0 leave the field alone,
   * 1 the current StatSN, 2 assign the next StatSN. false: nothing was written.
   */
  send(bhs: Buffer, data: Buffer | null, statSN: 0 | 1 | 2): boolean;
  /** Reject a PDU (RFC 7143 11.17). */
  reject(rejected: Buffer | null, reason: RejectReason): void;
  cork(): void;
  uncork(): void;
  /** Give a pooled buffer and budget bytes back once the socket has written what uses them. */
  releaseAfterWrite(buf: Buffer | null, written: boolean, charge?: number): void;
  close(reason: string): void;
  /** TARGET COLD RESET: every session of this target goes away after the response. */
  coldReset(): void;
}

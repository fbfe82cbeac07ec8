/**
 * A session (RFC 7143 4.1): one I_T nexus, its connections, the CmdSN window and its tasks.
 * The window is sized by the target's queue depth: MaxCmdSN = ExpCmdSN + depth - 1 minus
 * the commands still executing, never decreasing.
 */
import type { TargetNode } from './catalog.js';
import type { ItNexus } from '../scsi/types.js';
import type { SessionType } from './login.js';
import type { Negotiated } from './params.js';
import { BudgetAccount } from './io-budget.js';
import { IoCounters, type IoSnapshot, type TargetCounters } from './counters.js';

/** Serial number arithmetic (RFC 1982, 32 bits): a < b. */
export function snLt(a: number, b: number): boolean {
  return a !== b && ((a - b) | 0) < 0;
}
export function snGt(a: number, b: number): boolean {
  return a !== b && ((a - b) | 0) > 0;
}

/** Minimal view of a connection the session needs (connection.ts implements it). */
export interface SessionConnection {
  readonly cid: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Run a PDU the CmdSN gate held back until its turn. */
  processOrdered(item: unknown): void;
  close(reason: string): void;
  readonly closed: boolean;
}

export interface SessionInfo {
  initiatorName: string;
  initiatorAddress: string;
  isid: string;
  tsih: number;
  target: string | null;
  type: 'Discovery' | 'Normal';
  portal: string;
  connections: number;
  parameters: Record<string, string>;
  bytesIn: number;
  bytesOut: number;
  commands: number;
  /** This session's commands by kind, bytes, latency, errors and aborts. */
  io: IoSnapshot;
}

/** A task as the session tracks it, for task management. */
export interface SessionTask {
  readonly itt: number;
  readonly lun: number;
  readonly cmdSN: number;
  aborted: boolean;
}

export function makeNexus(initiatorName: string, isidHex: string, target: TargetNode): ItNexus {
  const initiatorPort = `${initiatorName},i,0x${isidHex}`;
  const targetPort = `${target.name},t,0x${target.portalGroupTag.toString(16).padStart(4, '0')}`;
  return {
    initiatorPort,
    initiatorName,
    isid: isidHex,
    targetPort,
    relativeTargetPortId: target.portalGroupTag,
    targetPortGroupId: target.portalGroupTag,
    key: `${initiatorPort}|${targetPort}`,
    ...(target.readOnly ? { readOnly: true } : {}),
  };
}

export class Session {
  readonly tsih: number;
  readonly type: SessionType;
  readonly initiatorName: string;
  readonly initiatorAlias: string | null;
  readonly isidHex: string;
  readonly target: TargetNode | null;
  readonly nexus: ItNexus | null;
  readonly params: Negotiated;
  readonly parameters: Record<string, string>;
  readonly initiatorAddress: string;
  readonly portal: string;
  readonly queueDepth: number;
  readonly connections = new Map<number, SessionConnection>();
  readonly tasks = new Map<number, SessionTask>();
  expCmdSN: number;
  maxCmdSN: number;
  /** Non-immediate commands accepted and not yet answered. */
  outstanding = 0;
  /** Immediate commands accepted and not yet answered (outside the window, bounded too). */
  immediateOutstanding = 0;
  /** Logins under way that will add a connection to this session (MaxConnections counts them). */
  joining = 0;
  /** What this session's commands hold of the process-wide I/O budget (its share is bounded). */
  readonly ioAccount = new BudgetAccount();
  commands = 0;
  /** This session's I/O counters (counters.ts). */
  readonly io = new IoCounters();
  /** The target's LUs' counters, by LUN, looked up once per session and LUN. */
  private readonly luIoByLun = new Map<number, IoCounters>();
  private readonly counters: TargetCounters | null;
  /** Traffic of connections that already left. */
  private pastBytesIn = 0;
  private pastBytesOut = 0;
  /** Commands that arrived ahead of ExpCmdSN (MC/S), by CmdSN. */
  private readonly held = new Map<number, { conn: SessionConnection; item: unknown }>();
  ended = false;

  constructor(o: {
    tsih: number;
    type: SessionType;
    initiatorName: string;
    initiatorAlias: string | null;
    isidHex: string;
    target: TargetNode | null;
    params: Negotiated;
    parameters: Record<string, string>;
    initiatorAddress: string;
    portal: string;
    initialCmdSN: number;
    /** Where the LUs' counters live; none: only the session counts. */
    counters?: TargetCounters;
  }) {
    this.counters = o.counters ?? null;
    this.tsih = o.tsih;
    this.type = o.type;
    this.initiatorName = o.initiatorName;
    this.initiatorAlias = o.initiatorAlias;
    this.isidHex = o.isidHex;
    this.target = o.target;
    this.nexus = o.target ? makeNexus(o.initiatorName, o.isidHex, o.target) : null;
    this.params = o.params;
    this.parameters = o.parameters;
    this.initiatorAddress = o.initiatorAddress;
    this.portal = o.portal;
    this.queueDepth = Math.max(1, o.target ? o.target.queueDepth : 1);
    this.expCmdSN = o.initialCmdSN >>> 0;
    this.maxCmdSN = (this.expCmdSN + this.queueDepth - 1) >>> 0;
  }

  /**
   * Connections of this session whose initiator is not reading their responses: while any
   * is, MaxCmdSN stays where it is (the initiator gets no room for more commands).
   */
  windowHeld = 0;

  /** Recompute MaxCmdSN after ExpCmdSN moved or a command completed. */
  updateWindow(): void {
    if (this.windowHeld !== 0) return;
    const room = Math.max(0, this.queueDepth - this.outstanding);
    const candidate = (this.expCmdSN + room - 1) >>> 0;
    if (snGt(candidate, this.maxCmdSN)) this.maxCmdSN = candidate;
  }

  /**
   * The CmdSN gate for a non-immediate PDU. Returns 'now' when it is the expected one
   * (ExpCmdSN advanced), 'held' when queued for later, 'drop' when outside the window.
   */
  admitCmdSN(cmdSN: number, conn: SessionConnection, item: unknown): 'now' | 'held' | 'drop' {
    if (cmdSN === this.expCmdSN) {
      this.expCmdSN = (this.expCmdSN + 1) >>> 0;
      return 'now';
    }
    if (snGt(cmdSN, this.expCmdSN) && !snGt(cmdSN, this.maxCmdSN) && !this.held.has(cmdSN)) {
      this.held.set(cmdSN, { conn, item });
      return 'held';
    }
    return 'drop';
  }

  /** Run held commands whose turn has come. */
  drain(): void {
    for (;;) {
      const h = this.held.get(this.expCmdSN);
      if (!h) return;
      this.held.delete(this.expCmdSN);
      this.expCmdSN = (this.expCmdSN + 1) >>> 0;
      if (!h.conn.closed) h.conn.processOrdered(h.item);
    }
  }

  /** The counters of this session's target's LUN `lun` (one that exists), or null when nothing keeps them. */
  luIo(lun: number): IoCounters | null {
    const c = this.luIoByLun.get(lun);
    if (c !== undefined) return c;
    if (this.counters === null || this.target === null) return null;
    const made = this.counters.lu(this.target.name, lun);
    this.luIoByLun.set(lun, made);
    return made;
  }

  connectionLeft(conn: SessionConnection): void {
    if (this.connections.get(conn.cid) === conn) this.connections.delete(conn.cid);
    this.pastBytesIn += conn.bytesIn;
    this.pastBytesOut += conn.bytesOut;
    for (const [sn, h] of this.held) if (h.conn === conn) this.held.delete(sn);
  }

  info(): SessionInfo {
    let bytesIn = this.pastBytesIn;
    let bytesOut = this.pastBytesOut;
    for (const c of this.connections.values()) {
      bytesIn += c.bytesIn;
      bytesOut += c.bytesOut;
    }
    return {
      initiatorName: this.initiatorName,
      initiatorAddress: this.initiatorAddress,
      isid: this.isidHex,
      tsih: this.tsih,
      target: this.target ? this.target.name : null,
      type: this.type,
      portal: this.portal,
      connections: this.connections.size,
      parameters: { ...this.parameters },
      bytesIn,
      bytesOut,
      commands: this.commands,
      io: this.io.snapshot(),
    };
  }
}

/**
 * A SCSI direct-access block device (SPC-4 / SBC-3) over a Backstore.
 *
 * One table (COMMANDS) names every supported command: opcode, service action, CDB usage
 * mask, reservation access class, whether it needs the medium, and its handler. `execute`
 * looks the command up, reports unit attentions and reservation conflicts, runs the
 * handler and turns a thrown ScsiCheckCondition into CHECK CONDITION: it never rejects.
 */
import type { Backstore } from '../backstore/backstore.js';
import { AbsentMedium } from '../backstore/absent.js';
import type { ItNexus, LogicalUnit, LogicalUnitSpec, ScsiCommand, ScsiResult } from './types.js';
import { ScsiStatus } from './types.js';
import { Op, dataOutLength, decodeBlockIo } from './cdb.js';
import {
  ReservationConflictError,
  ScsiCheckCondition,
  SenseKey,
  TaskAbortedError,
  UnitAttention,
  buildFixedSense,
  invalidFieldInCdb,
  invalidOpcode,
  lbaOutOfRange,
  logicalUnitNotSupported,
  notReadyInitializingRequired,
  mediumNotPresent,
  sanitizeCommandFailed,
  sanitizeInProgress,
  spaceAllocationFailed,
  unitAttention,
  unrecoveredReadError,
  writeError,
  writeProtected,
  writeProtectedBySoftware,
} from './sense.js';
import type { BlockLimits } from './inquiry.js';
import { DEFAULT_MODE } from './mode.js';
import type { ModeState } from './mode.js';
import { Reservations } from './reservations.js';
import { loadAptpl } from './persistent.js';
import { BY_OPCODE, BY_SERVICE_ACTION } from './command-table.js';
import type { CommandEntry } from './command-table.js';
import { GOOD, clip, good, ioErrorCode } from './results.js';
import { registerLu, unregisterLu } from './lu-registry.js';
import { forgetCopies } from './copy.js';

const MiB = 1024 * 1024;

/** What a logical unit serves while a SANITIZE runs (SBC-4 4.11.2); the rest is NOT READY. */
const SANITIZE_ALLOWED: ReadonlySet<number> = new Set([Op.Inquiry, Op.ReportLuns, Op.RequestSense, Op.MaintenanceIn]);

export function createLogicalUnit(spec: LogicalUnitSpec): LogicalUnit {
  return new BlockLogicalUnit(spec);
}

/** A command in the task set, for ordering, ABORT TASK and LU RESET. */
export interface Task {
  readonly nexus: ItNexus;
  readonly tag: number;
  aborted: boolean;
  /** Counted in `active` (running, not waiting for its turn). */
  admitted: boolean;
  ordered: boolean;
  /** Set while the task waits behind an ORDERED task. */
  wake: (() => void) | null;
  /** Its I_T nexus ended while it ran: later commands of that nexus wait until it is done. */
  orphaned: boolean;
  /** Waiting for the orphans of its nexus; it has not touched the medium. */
  behindOrphans: boolean;
}

/** Tasks of an ended I_T nexus still running, and the commands of its next session waiting for them. */
interface Orphans {
  left: number;
  waiters: Array<() => void>;
}

const enum TaskAttribute {
  Untagged = 0,
  Simple = 1,
  Ordered = 2,
  HeadOfQueue = 3,
}

/**
 * Per-I_T-nexus state that does not persist across nexus loss. A nexus new to the LU starts
 * with POWER ON, RESET; one formed again after its loss starts with the unit attentions it
 * had not yet been told, led by I_T NEXUS LOSS OCCURRED unless a 29h one is among them
 * (SAM-5 6.3.4; they share the highest precedence).
 */
class NexusState {
  readonly ua: number[];
  prevent = false;
  constructor(
    readonly nexus: ItNexus,
    untold?: readonly number[],
  ) {
    if (untold === undefined) this.ua = [UnitAttention.PowerOnReset];
    else if (untold.some((code) => code >> 8 === 0x29)) this.ua = [...untold];
    else this.ua = [UnitAttention.ItNexusLoss, ...untold];
  }
  queue(code: number): void {
    if (!this.ua.includes(code)) this.ua.push(code);
  }
}

/** Lost nexuses an LU remembers for their I_T NEXUS LOSS OCCURRED unit attention. */
const LOST_NEXUSES = 1024;

/** Block reads and writes: the commands whose transfer the transport budgets from the CDB. */
const BLOCK_READS = new Set<number>([Op.Read6, Op.Read10, Op.Read12, Op.Read16]);
const BLOCK_WRITES = new Set<number>([Op.Write6, Op.Write10, Op.Write12, Op.Write16, Op.WriteAndVerify10, Op.WriteAndVerify12, Op.WriteAndVerify16]);

export class BlockLogicalUnit implements LogicalUnit {
  readonly spec: LogicalUnitSpec;
  /** An AbsentMedium while the medium is missing (hasMedium false). */
  backstore: Backstore;
  hasMedium: boolean;
  /** Blocks when the medium was last present (null: never), to tell a changed size on return. */
  private lastMediumBlocks: number | null;
  readonly blockSize: number;
  readonly blockShift: number;
  readonly limits: BlockLimits;
  /**
   * READ CAPACITY(16) LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT. 0: every LBA is its own
   * physical block. The image is really managed in 4 KiB units, so 3 would be true for
   * 512-byte LUs, but libiscsi 1.19's GetLBAStatus.UnmapSingle then fails on its own bug
   * (it asks for the status at i+1 and expects the descriptor to start at i+LBPPB).
   */
  readonly physicalExponent: number;
  blocks: number;
  mode: ModeState = { ...DEFAULT_MODE };
  stopped = false;
  closed = false;
  /** A SANITIZE is running: only the commands in SANITIZE_ALLOWED are served. */
  sanitizing = false;
  /** The last SANITIZE failed: user data stays inaccessible until one succeeds or EXIT FAILURE MODE. */
  sanitizeFailed = false;
  readonly reservations = new Reservations();
  readonly nexuses = new Map<string, NexusState>();
  /**
   * Nexuses lost (by key) with the unit attentions they had not been told, oldest first;
   * at most LOST_NEXUSES, so initiators that come and go under new ISIDs cannot grow it.
   */
  private readonly lostNexuses = new Map<string, number[]>();
  readonly tasks = new Set<Task>();
  /**
   * Aborting a task cannot stop a pwrite already handed to the kernel or the libuv pool.
   * When a session ends (the connection dropped, or reinstatement) with such a task, the
   * initiator's next session of the same I_T nexus re-reads or re-issues what it never
   * got an answer for; its commands wait here until the old ones are over, so a read
   * cannot see the old content and then have a write of the dead session land after it.
   */
  private readonly orphans = new Map<string, Orphans>();
  /** Task management responses waiting for the tasks they aborted to end (abortsSettled). */
  private abortWaits: Array<{ pending: Set<Task>; resolve: () => void }> = [];
  /**
   * COMPARE AND WRITE / ORWRITE run one at a time (atomicChain) and alone among writes:
   * while one is queued or running (atomicPending) new writes queue behind it, and it
   * starts only when the writes already in flight (writesInFlight) have finished.
   */
  atomicChain: Promise<void> = Promise.resolve();
  atomicPending = 0;
  writesInFlight = 0;
  private writesDrained: (() => void) | null = null;
  /** Task-set ordering (SAM-5 8.6): running tasks, waiting tasks, an ORDERED task running. */
  active = 0;
  readonly waiting: Task[] = [];
  orderedRunning = false;

  constructor(spec: LogicalUnitSpec) {
    if (spec.blockSize !== 512 && spec.blockSize !== 4096) throw new RangeError(`block size ${spec.blockSize} is not 512 or 4096`);
    this.spec = spec;
    this.backstore = spec.backstore ?? new AbsentMedium('file');
    this.hasMedium = spec.backstore !== null;
    this.blockSize = spec.blockSize;
    this.blockShift = spec.blockSize === 512 ? 9 : 12;
    this.blocks = Math.floor(this.backstore.sizeBytes / spec.blockSize);
    this.lastMediumBlocks = this.hasMedium ? this.blocks : null;
    this.physicalExponent = 0;
    const perMiB = MiB / spec.blockSize;
    this.limits = {
      maxCompareAndWriteBlocks: Math.min(255, perMiB),
      optimalGranularityBlocks: 4096 / spec.blockSize,
      maxTransferBlocks: 8 * perMiB,
      optimalTransferBlocks: perMiB,
      maxUnmapBlocks: 1024 * 1024,
      maxUnmapDescriptors: 256,
      unmapGranularityBlocks: 4096 / spec.blockSize,
      // Below 2^16: libiscsi then never sends a single 65536-block WRITE(16) to check it.
      maxWriteSameBlocks: 0xffff,
      // One atomic write is one pwrite of at most 1 MiB (see writeAtomic16).
      maxAtomicTransferBlocks: perMiB,
    };
    if (spec.persistPath) loadAptpl(this.reservations, spec.persistPath);
    registerLu(this);
  }

  // ---- LogicalUnit -------------------------------------------------------------------

  async execute(cmd: ScsiCommand): Promise<ScsiResult> {
    const attr = cmd.attribute;
    const ordered = attr === TaskAttribute.Ordered;
    const task: Task = { nexus: cmd.nexus, tag: cmd.taskTag, aborted: false, admitted: false, ordered, wake: null, orphaned: false, behindOrphans: false };
    this.tasks.add(task);
    try {
      if (this.orphans.size !== 0) {
        const orphans = this.orphans.get(cmd.nexus.key);
        if (orphans !== undefined) {
          task.behindOrphans = true;
          await new Promise<void>((resolve) => orphans.waiters.push(resolve));
          task.behindOrphans = false;
          if (task.aborted) return { status: ScsiStatus.TaskAborted };
        }
      }
      // SIMPLE tasks wait only behind an ORDERED one; ORDERED waits for everything older;
      // HEAD OF QUEUE never waits.
      const mustWait = ordered
        ? this.active !== 0 || this.waiting.length !== 0
        : attr !== TaskAttribute.HeadOfQueue && (this.orderedRunning || this.waiting.length !== 0);
      if (mustWait) {
        await new Promise<void>((resolve) => {
          task.wake = resolve;
          this.waiting.push(task);
        });
        if (!task.admitted) return { status: ScsiStatus.TaskAborted };
      } else {
        this.admit(task);
      }
      const result = await this.run(cmd, task);
      const out = dataOutLength(cmd.cdb, this.blockSize);
      return out === undefined ? result : withDataOutLength(result, out);
    } finally {
      this.tasks.delete(task);
      if (task.orphaned) this.orphanDone(task.nexus.key);
      if (this.abortWaits.length !== 0 && task.aborted) this.abortEnded(task);
      if (task.admitted) {
        this.active--;
        if (task.ordered) this.orderedRunning = false;
        if (this.waiting.length !== 0) this.drain();
      }
    }
  }

  private admit(task: Task): void {
    task.admitted = true;
    this.active++;
    if (task.ordered) this.orderedRunning = true;
  }

  /** Start waiting tasks in order until an ORDERED one has to wait for the running ones. */
  private drain(): void {
    while (this.waiting.length !== 0 && !this.orderedRunning) {
      const next = this.waiting[0]!;
      if (next.ordered && this.active !== 0) return;
      this.waiting.shift();
      this.admit(next);
      const wake = next.wake!;
      next.wake = null;
      wake();
    }
  }

  /** Run one admitted command. Never throws. */
  private async run(cmd: ScsiCommand, task: Task): Promise<ScsiResult> {
    let entry: CommandEntry | undefined;
    try {
      if (this.closed) throw logicalUnitNotSupported();
      const cdb = cmd.cdb;
      const op = cdb[0]!;
      entry = BY_OPCODE.get(op);
      if (entry === undefined) {
        const actions = BY_SERVICE_ACTION.get(op);
        if (actions === undefined) throw invalidOpcode();
        entry = actions.get(cdb[1]! & 0x1f);
        if (entry === undefined) throw invalidFieldInCdb(1, 4);
      }
      // A thin-only service action of an opcode the LU supports otherwise is a bad field.
      if (entry.thinOnly && !this.spec.thin) throw entry.serviceAction === undefined ? invalidOpcode() : invalidFieldInCdb(1, 4);
      const len = entry.usage.length;
      if (cdb.length < len) throw invalidFieldInCdb(0);
      if (cdb[len - 1]! & 0x04) throw invalidFieldInCdb(len - 1, 2); // NACA: no ACA support
      const st = this.nexusState(cmd.nexus);
      if (st.ua.length !== 0) {
        if (op === Op.RequestSense) return this.requestSenseUa(cmd, st);
        if (op !== Op.Inquiry && op !== Op.ReportLuns) throw unitAttention(st.ua.shift()!);
      }
      if (this.sanitizing && !SANITIZE_ALLOWED.has(op)) throw sanitizeInProgress();
      this.reservations.check(cmd.nexus, entry.access);
      if (entry.medium && this.sanitizeFailed) throw sanitizeCommandFailed();
      if (entry.medium && !this.hasMedium) throw mediumNotPresent();
      if (entry.medium && this.stopped) throw notReadyInitializingRequired();
      const result = await entry.handler(this, cmd, task);
      return task.aborted ? { status: ScsiStatus.TaskAborted } : result;
    } catch (err) {
      if (task.aborted || err instanceof TaskAbortedError) return { status: ScsiStatus.TaskAborted };
      return failure(err, entry);
    }
  }

  abortTasks(nexus: ItNexus | undefined, taskTag?: number): number {
    let n = 0;
    for (const t of this.tasks) {
      if (t.aborted) continue;
      if (nexus && t.nexus.key !== nexus.key) continue;
      if (taskTag !== undefined && t.tag !== taskTag) continue;
      t.aborted = true;
      n++;
      if (t.wake) {
        // Still waiting for its turn: leave the queue and finish as TASK ABORTED.
        const i = this.waiting.indexOf(t);
        if (i >= 0) this.waiting.splice(i, 1);
        const wake = t.wake;
        t.wake = null;
        wake();
      }
    }
    if (n !== 0 && this.waiting.length !== 0) this.drain();
    return n;
  }

  reset(_by: ItNexus): void {
    this.abortTasks(undefined);
    this.reservations.legacyHolder = null;
    for (const st of this.nexuses.values()) {
      st.prevent = false;
      st.queue(UnitAttention.LogicalUnitReset);
    }
    this.mode = { ...DEFAULT_MODE };
  }

  abortsSettled(): Promise<void> {
    const pending = new Set<Task>();
    for (const t of this.tasks) if (t.aborted) pending.add(t);
    if (pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.abortWaits.push({ pending, resolve }));
  }

  private abortEnded(task: Task): void {
    this.abortWaits = this.abortWaits.filter((w) => {
      w.pending.delete(task);
      if (w.pending.size !== 0) return true;
      w.resolve();
      return false;
    });
  }

  nexusGone(nexus: ItNexus): void {
    this.abortTasks(nexus);
    let running = 0;
    for (const t of this.tasks) {
      // one waiting behind older orphans has done nothing yet and ends at once when woken
      if (t.nexus.key !== nexus.key || t.orphaned || t.behindOrphans) continue;
      t.orphaned = true;
      running++;
    }
    if (running !== 0) {
      const o = this.orphans.get(nexus.key);
      if (o) o.left += running;
      else this.orphans.set(nexus.key, { left: running, waiters: [] });
    }
    const st = this.nexuses.get(nexus.key);
    this.nexuses.delete(nexus.key);
    // A nexus that never sent this LU a command still has POWER ON owed: nothing to keep.
    if (st) {
      this.lostNexuses.delete(nexus.key);
      this.lostNexuses.set(nexus.key, st.ua);
      if (this.lostNexuses.size > LOST_NEXUSES) this.lostNexuses.delete(this.lostNexuses.keys().next().value!);
    }
    forgetCopies(this, nexus);
    if (this.reservations.legacyHolder === nexus.key) this.reservations.legacyHolder = null;
  }

  private orphanDone(key: string): void {
    const o = this.orphans.get(key);
    if (o === undefined || --o.left !== 0) return;
    this.orphans.delete(key);
    for (const wake of o.waiters) wake();
  }

  async capacityChanged(sizeBytes?: number): Promise<void> {
    if (sizeBytes !== undefined && this.backstore.resize) await this.backstore.resize(sizeBytes);
    const size = await this.backstore.refreshSize();
    const blocks = Math.floor(size / this.blockSize);
    if (blocks === this.blocks) return;
    this.blocks = blocks;
    for (const st of this.nexuses.values()) st.queue(UnitAttention.CapacityDataHasChanged);
  }

  async changeMedium(backstore: Backstore | null): Promise<void> {
    const old = this.backstore;
    this.backstore = backstore ?? new AbsentMedium(old.kind);
    this.hasMedium = backstore !== null;
    this.blocks = Math.floor(this.backstore.sizeBytes / this.blockSize);
    if (backstore) {
      const resized = this.lastMediumBlocks !== null && this.lastMediumBlocks !== this.blocks;
      this.lastMediumBlocks = this.blocks;
      for (const st of this.nexuses.values()) {
        st.queue(UnitAttention.NotReadyToReadyChange);
        if (resized) st.queue(UnitAttention.CapacityDataHasChanged);
      }
    }
    // Commands already reading from the old medium finish first (close waits for them).
    if (old !== this.backstore) await old.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    unregisterLu(this);
    this.abortTasks(undefined);
    await this.backstore.close();
  }

  // ---- helpers the handlers share ---------------------------------------------------

  nexusState(nexus: ItNexus): NexusState {
    let st = this.nexuses.get(nexus.key);
    if (st === undefined) {
      st = new NexusState(nexus, this.lostNexuses.get(nexus.key));
      this.lostNexuses.delete(nexus.key);
      this.nexuses.set(nexus.key, st);
    }
    return st;
  }

  /** Queue a unit attention for every known nexus except `except`. */
  queueUa(code: number, except?: ItNexus, only?: (st: NexusState) => boolean): void {
    for (const st of this.nexuses.values()) {
      if (except && st.nexus.key === except.key) continue;
      if (only && !only(st)) continue;
      st.queue(code);
    }
  }

  queueUaFor(nexusKeyPredicate: (n: ItNexus) => boolean, code: number): void {
    for (const st of this.nexuses.values()) if (nexusKeyPredicate(st.nexus)) st.queue(code);
  }

  transferBytes(cdb: Buffer): number {
    const op = cdb[0]!;
    const read = BLOCK_READS.has(op);
    if (!read && !BLOCK_WRITES.has(op)) return 0;
    let blocks: number;
    try {
      const io = decodeBlockIo(cdb);
      if (io.blocks > this.limits.maxTransferBlocks) return -1;
      this.checkRange(io.lba, io.blocks);
      blocks = io.blocks;
    } catch {
      return -1; // the handler's own checks fail it the same way
    }
    return read ? blocks * this.blockSize : 0;
  }

  checkRange(lba: number, blocks: number): void {
    if (lba > this.blocks || lba + blocks > this.blocks) throw lbaOutOfRange();
  }

  /** Refuses a write to a read-only LU, or from a nexus given read-only access (DATA PROTECT). */
  checkWritable(nexus: ItNexus): void {
    if (this.spec.readOnly || nexus.readOnly || this.backstore.readOnly === true) throw writeProtected();
    if (this.mode.swp) throw writeProtectedBySoftware();
  }

  /**
   * Run `fn` with no other write to the medium in progress: after earlier atomic
   * operations and after the plain writes already in flight; later writes wait for it.
   */
  async atomically<T>(task: Task, fn: () => Promise<T>): Promise<T> {
    this.atomicPending++;
    const prev = this.atomicChain;
    let release!: () => void;
    this.atomicChain = new Promise<void>((r) => (release = r));
    try {
      await prev;
      if (this.writesInFlight !== 0) await new Promise<void>((r) => (this.writesDrained = r));
      if (task.aborted) throw new TaskAbortedError();
      return await fn();
    } finally {
      this.atomicPending--;
      release();
    }
  }

  /** A plain write starts (callers check atomicPending first and queue when it is set). */
  beginWrite(): void {
    this.writesInFlight++;
  }

  endWrite(): void {
    if (--this.writesInFlight === 0 && this.writesDrained) {
      const wake = this.writesDrained;
      this.writesDrained = null;
      wake();
    }
  }

  private requestSenseUa(cmd: ScsiCommand, st: NexusState): ScsiResult {
    const cdb = cmd.cdb;
    if (cdb[1]! & 0x01) throw invalidFieldInCdb(1, 0);
    const code = st.ua.shift()!;
    const sense = buildFixedSense(SenseKey.UnitAttention, code >> 8, code & 0xff);
    return good(clip(sense, cdb[4]!));
  }
}

/**
 * `result` with the Data-Out length its CDB asks for (the transport's write residuals).
 * A plain GOOD, what every successful write answers, gets a two-field literal: no spread
 * per write. Other results are copied whole.
 */
function withDataOutLength(result: ScsiResult, out: number): ScsiResult {
  if (result === GOOD) return { status: ScsiStatus.Good, dataOutLength: out };
  return { ...result, dataOutLength: out };
}

function failure(err: unknown, entry: CommandEntry | undefined): ScsiResult {
  if (err instanceof ScsiCheckCondition) return { status: ScsiStatus.CheckCondition, sense: err.toSense() };
  if (err instanceof ReservationConflictError) return { status: ScsiStatus.ReservationConflict };
  const code = ioErrorCode(err);
  let cc: ScsiCheckCondition;
  if (code === 'ENOSPC') cc = spaceAllocationFailed();
  else if (code === 'EROFS') cc = writeProtected();
  else if (code && /^E[A-Z]+$/.test(code)) cc = entry && entry.access === 'write' ? writeError() : unrecoveredReadError();
  else cc = new ScsiCheckCondition(SenseKey.HardwareError, 0x44, 0x00); // INTERNAL TARGET FAILURE
  return { status: ScsiStatus.CheckCondition, sense: cc.toSense() };
}

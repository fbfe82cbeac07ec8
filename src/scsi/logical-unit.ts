/**
 * A SCSI direct-access block device (SPC-4 / SBC-3) over a Backstore.
 *
 * One table (COMMANDS) names every supported command: opcode, service action, CDB usage
 * mask, reservation access class, whether it needs the medium, and its handler. `execute`
 * looks the command up, reports unit attentions and reservation conflicts, runs the
 * handler and turns a thrown ScsiCheckCondition into CHECK CONDITION: it never rejects.
 */
import type { Backstore } from '../backstore/backstore.js';
import type { ItNexus, LogicalUnit, LogicalUnitSpec, ScsiCommand, ScsiResult } from './types.js';
import { ScsiStatus } from './types.js';
import {
  Op, SA_GET_LBA_STATUS, SA_READ_CAPACITY_16, SA_REPORT_SUPPORTED_OPCODES, SA_REPORT_TARGET_PORT_GROUPS,
  decodeBlockIo, decodeGetLbaStatus, decodeInquiry, decodeModeSelect, decodeModeSense, decodeReportSupportedOpcodes,
  dataOutLength, decodeStartStop, decodeSynchronizeCache, decodeWriteSame, readU64, writeU64,
} from './cdb.js';
import type { BlockIo } from './cdb.js';
import {
  ReservationConflictError, ScsiCheckCondition, SenseKey, TaskAbortedError, UnitAttention, buildFixedSense,
  invalidFieldInCdb, invalidFieldInCommandIu, invalidFieldInParameterList, invalidOpcode, lbaOutOfRange, logicalUnitNotSupported,
  mediumRemovalPrevented, miscompare, notReadyInitializingRequired, parameterListLengthError, spaceAllocationFailed,
  unitAttention, unrecoveredReadError, writeError, writeProtected,
} from './sense.js';
import type { BlockLimits } from './inquiry.js';
import {
  Vpd, standardInquiry, vpdBlockDeviceCharacteristics, vpdBlockLimits, vpdDeviceIdentification,
  vpdLogicalBlockProvisioning, vpdSupportedPages, vpdUnitSerial,
} from './inquiry.js';
import { DEFAULT_MODE, modeSelect, modeSense } from './mode.js';
import type { ModeState } from './mode.js';
import { Reservations } from './reservations.js';
import type { Access } from './reservations.js';
import { persistentReserveIn, persistentReserveOut, loadAptpl } from './persistent.js';

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
}

const enum TaskAttribute {
  Untagged = 0,
  Simple = 1,
  Ordered = 2,
  HeadOfQueue = 3,
}

type Handler = (lu: BlockLogicalUnit, cmd: ScsiCommand, task: Task) => Promise<ScsiResult> | ScsiResult;

export interface CommandEntry {
  readonly opcode: number;
  /** Present for commands selected by a service action (byte 1, bits 4-0). */
  readonly serviceAction?: number;
  readonly name: string;
  /** CDB usage data for REPORT SUPPORTED OPERATION CODES; its length is the CDB length. */
  readonly usage: readonly number[];
  readonly access: Access;
  /** Needs the medium: NOT READY while the unit is stopped. */
  readonly medium: boolean;
  /** Only offered when the LU is thin provisioned. */
  readonly thinOnly?: boolean;
  readonly handler: Handler;
}

/** Per-I_T-nexus state that does not persist across nexus loss. */
class NexusState {
  readonly ua: number[] = [UnitAttention.PowerOnReset];
  prevent = false;
  constructor(readonly nexus: ItNexus) {}
  queue(code: number): void {
    if (!this.ua.includes(code)) this.ua.push(code);
  }
}

const GOOD: Readonly<ScsiResult> = Object.freeze({ status: ScsiStatus.Good });
const MiB = 1024 * 1024;

function good(data?: Buffer): ScsiResult {
  return data ? { status: ScsiStatus.Good, data } : { status: ScsiStatus.Good };
}

function clip(b: Buffer, allocation: number): Buffer {
  return b.length > allocation ? b.subarray(0, allocation) : b;
}

function ioErrorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as NodeJS.ErrnoException).code : undefined;
}

/** Map a backstore failure to sense: ENOSPC on a thin image, else MEDIUM ERROR. */
function ioFailure(err: unknown, lba: number, write: boolean): ScsiCheckCondition {
  if (err instanceof ScsiCheckCondition) return err;
  if (ioErrorCode(err) === 'ENOSPC') return spaceAllocationFailed();
  return write ? writeError(lba) : unrecoveredReadError(lba);
}

export class BlockLogicalUnit implements LogicalUnit {
  readonly spec: LogicalUnitSpec;
  readonly backstore: Backstore;
  readonly blockSize: number;
  readonly blockShift: number;
  readonly limits: BlockLimits;
  blocks: number;
  mode: ModeState = { ...DEFAULT_MODE };
  stopped = false;
  closed = false;
  readonly reservations = new Reservations();
  readonly nexuses = new Map<string, NexusState>();
  readonly tasks = new Set<Task>();
  /** Serializes COMPARE AND WRITE / ORWRITE against each other and overlapping writes. */
  atomicChain: Promise<void> = Promise.resolve();
  atomicActive = 0;
  /** Task-set ordering (SAM-5 8.6): running tasks, waiting tasks, an ORDERED task running. */
  active = 0;
  readonly waiting: Task[] = [];
  orderedRunning = false;

  constructor(spec: LogicalUnitSpec) {
    if (spec.blockSize !== 512 && spec.blockSize !== 4096) throw new RangeError(`block size ${spec.blockSize} is not 512 or 4096`);
    this.spec = spec;
    this.backstore = spec.backstore;
    this.blockSize = spec.blockSize;
    this.blockShift = spec.blockSize === 512 ? 9 : 12;
    this.blocks = Math.floor(spec.backstore.sizeBytes / spec.blockSize);
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
    };
    if (spec.persistPath) loadAptpl(this.reservations, spec.persistPath);
  }

  // ---- LogicalUnit -------------------------------------------------------------------

  async execute(cmd: ScsiCommand): Promise<ScsiResult> {
    const attr = cmd.attribute;
    const ordered = attr === TaskAttribute.Ordered;
    const task: Task = { nexus: cmd.nexus, tag: cmd.taskTag, aborted: false, admitted: false, ordered, wake: null };
    this.tasks.add(task);
    try {
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
      return out === undefined ? result : { ...result, dataOutLength: out };
    } finally {
      this.tasks.delete(task);
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
      if (entry.thinOnly && !this.spec.thin) throw invalidOpcode();
      const len = entry.usage.length;
      if (cdb.length < len) throw invalidFieldInCdb(0);
      if (cdb[len - 1]! & 0x04) throw invalidFieldInCdb(len - 1, 2); // NACA: no ACA support
      const st = this.nexusState(cmd.nexus);
      if (st.ua.length !== 0) {
        if (op === Op.RequestSense) return this.requestSenseUa(cmd, st);
        if (op !== Op.Inquiry && op !== Op.ReportLuns) throw unitAttention(st.ua.shift()!);
      }
      this.reservations.check(cmd.nexus, entry.access);
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

  nexusGone(nexus: ItNexus): void {
    this.abortTasks(nexus);
    this.nexuses.delete(nexus.key);
    if (this.reservations.legacyHolder === nexus.key) this.reservations.legacyHolder = null;
  }

  async capacityChanged(sizeBytes?: number): Promise<void> {
    if (sizeBytes !== undefined && this.backstore.resize) await this.backstore.resize(sizeBytes);
    const size = await this.backstore.refreshSize();
    const blocks = Math.floor(size / this.blockSize);
    if (blocks === this.blocks) return;
    this.blocks = blocks;
    for (const st of this.nexuses.values()) st.queue(UnitAttention.CapacityDataHasChanged);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abortTasks(undefined);
    await this.backstore.close();
  }

  // ---- helpers the handlers share ---------------------------------------------------

  nexusState(nexus: ItNexus): NexusState {
    let st = this.nexuses.get(nexus.key);
    if (st === undefined) {
      st = new NexusState(nexus);
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

  checkRange(lba: number, blocks: number): void {
    if (lba > this.blocks || lba + blocks > this.blocks) throw lbaOutOfRange();
  }

  checkWritable(): void {
    if (this.spec.readOnly) throw writeProtected();
  }

  /** Wait until no COMPARE AND WRITE / ORWRITE is running, then run `fn` exclusively. */
  async atomically<T>(task: Task, fn: () => Promise<T>): Promise<T> {
    const prev = this.atomicChain;
    let release!: () => void;
    this.atomicChain = new Promise<void>((r) => (release = r));
    try {
      await prev;
      if (task.aborted) throw new TaskAbortedError();
      this.atomicActive++;
      try {
        return await fn();
      } finally {
        this.atomicActive--;
      }
    } finally {
      release();
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

function failure(err: unknown, entry: CommandEntry | undefined): ScsiResult {
  if (err instanceof ScsiCheckCondition) return { status: ScsiStatus.CheckCondition, sense: err.toSense() };
  if (err instanceof ReservationConflictError) return { status: ScsiStatus.ReservationConflict };
  const code = ioErrorCode(err);
  let cc: ScsiCheckCondition;
  if (code === 'ENOSPC') cc = spaceAllocationFailed();
  else if (code && /^E[A-Z]+$/.test(code)) cc = entry && entry.access === 'write' ? writeError() : unrecoveredReadError();
  else cc = new ScsiCheckCondition(SenseKey.HardwareError, 0x44, 0x00); // INTERNAL TARGET FAILURE
  return { status: ScsiStatus.CheckCondition, sense: cc.toSense() };
}

// ---- handlers: block I/O ------------------------------------------------------------

/** Byte offset of the transfer length field, per opcode, for field pointers. */
function transferLengthByte(op: number): number {
  switch (op) {
    case Op.Read6: case Op.Write6: return 4;
    case Op.Read10: case Op.Write10: case Op.Verify10: case Op.WriteAndVerify10: case Op.WriteSame10: return 7;
    case Op.Read12: case Op.Write12: case Op.Verify12: case Op.WriteAndVerify12: return 6;
    default: return 10;
  }
}

function checkTransfer(lu: BlockLogicalUnit, op: number, io: BlockIo): void {
  lu.checkRange(io.lba, io.blocks);
  if (io.blocks > lu.limits.maxTransferBlocks) throw invalidFieldInCdb(transferLengthByte(op));
}

async function readBlocks(lu: BlockLogicalUnit, cmd: ScsiCommand): Promise<ScsiResult> {
  const io = decodeBlockIo(cmd.cdb);
  checkTransfer(lu, cmd.cdb[0]!, io);
  if (io.blocks === 0) return GOOD;
  const buf = Buffer.allocUnsafe(io.blocks << lu.blockShift);
  try {
    await lu.backstore.read(buf, io.lba * lu.blockSize);
  } catch (err) {
    throw ioFailure(err, io.lba, false);
  }
  return { status: ScsiStatus.Good, data: buf };
}

/**
 * The Data-Out for `bytes`. An initiator that sent less than the CDB asks for (iSCSI
 * EDTL < SCSI transfer length) gets INVALID FIELD IN COMMAND INFORMATION UNIT and nothing
 * is written (FCP-4 / SAM-5 overflow rule b); more than asked for is ignored.
 */
function dataOutFor(cmd: ScsiCommand, bytes: number): Buffer {
  const d = cmd.dataOut;
  if (!d || d.length < bytes) throw invalidFieldInCommandIu();
  return d.length === bytes ? d : d.subarray(0, bytes);
}

/**
 * The Data-Out a WRITE uses. When the initiator sent less than the CDB asks for (iSCSI
 * EDTL < SCSI transfer length), the command is processed for the bytes it did send and no
 * more (FCP-4 overflow rule a; the transport reports the overflow residual). A trailing
 * partial block is completed from the medium (read-modify-write), so bytes the initiator
 * did not send keep their old contents.
 */
async function writeData(lu: BlockLogicalUnit, cmd: ScsiCommand, lba: number, bytes: number): Promise<Buffer> {
  const d = cmd.dataOut;
  const have = d ? d.length : 0;
  if (have >= bytes) return have === bytes ? d! : d!.subarray(0, bytes);
  if (!d || have === 0) return Buffer.alloc(0);
  const tail = have & (lu.blockSize - 1);
  if (tail === 0) return d;
  const whole = have - tail;
  const merged = await readMedium(lu, lba + whole / lu.blockSize, 1);
  d.copy(merged, 0, whole, have);
  return whole === 0 ? merged : Buffer.concat([d.subarray(0, whole), merged]);
}

async function writeBlocks(lu: BlockLogicalUnit, cmd: ScsiCommand, task: Task): Promise<ScsiResult> {
  lu.checkWritable();
  const op = cmd.cdb[0]!;
  const io = decodeBlockIo(cmd.cdb);
  checkTransfer(lu, op, io);
  if (io.blocks === 0) return GOOD;
  const data = await writeData(lu, cmd, io.lba, io.blocks << lu.blockShift);
  if (data.length === 0) return GOOD;
  const fua = io.fua || !lu.mode.wce;
  if (lu.atomicActive !== 0) await lu.atomically(task, () => writeOut(lu, data, io.lba, fua));
  else await writeOut(lu, data, io.lba, fua);
  if (io.bytchk === 1) await compareMedium(lu, io.lba, data);
  return GOOD;
}

async function writeOut(lu: BlockLogicalUnit, data: Buffer, lba: number, fua: boolean): Promise<void> {
  try {
    await lu.backstore.write(data, lba * lu.blockSize, fua);
  } catch (err) {
    throw ioFailure(err, lba, true);
  }
}

async function readMedium(lu: BlockLogicalUnit, lba: number, blocks: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(blocks << lu.blockShift);
  try {
    await lu.backstore.read(buf, lba * lu.blockSize);
  } catch (err) {
    throw ioFailure(err, lba, false);
  }
  return buf;
}

/** Compare `expected` with the medium at `lba`; MISCOMPARE with the byte offset if they differ. */
async function compareMedium(lu: BlockLogicalUnit, lba: number, expected: Buffer): Promise<void> {
  const medium = await readMedium(lu, lba, expected.length >> lu.blockShift);
  const at = firstDifference(medium, expected);
  if (at >= 0) throw miscompare(at);
}

function firstDifference(a: Buffer, b: Buffer): number {
  if (a.equals(b)) return -1;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

async function verify(lu: BlockLogicalUnit, cmd: ScsiCommand): Promise<ScsiResult> {
  const op = cmd.cdb[0]!;
  const io = decodeBlockIo(cmd.cdb);
  checkTransfer(lu, op, io);
  if (io.blocks === 0) return GOOD;
  const medium = await readMedium(lu, io.lba, io.blocks);
  if (io.bytchk === 0) return GOOD;
  const bs = lu.blockSize;
  if (io.bytchk === 1) {
    const expected = dataOutFor(cmd, io.blocks * bs);
    const at = firstDifference(medium, expected);
    if (at >= 0) throw miscompare(at);
    return GOOD;
  }
  // BYTCHK 11b: one block of Data-Out compared with every block of the range.
  const one = dataOutFor(cmd, bs);
  for (let b = 0; b < io.blocks; b++) {
    const at = firstDifference(medium.subarray(b * bs, (b + 1) * bs), one);
    if (at >= 0) throw miscompare(b * bs + at);
  }
  return GOOD;
}

async function synchronizeCache(lu: BlockLogicalUnit, cmd: ScsiCommand): Promise<ScsiResult> {
  const sc = decodeSynchronizeCache(cmd.cdb);
  lu.checkRange(sc.lba, sc.blocks);
  try {
    await lu.backstore.flush();
  } catch (err) {
    throw ioFailure(err, sc.lba, true);
  }
  return GOOD;
}

/**
 * PRE-FETCH(10/16): the range is checked and GOOD returned. GOOD (not CONDITION MET) is
 * what SBC-3 asks when the blocks were not all brought into a cache; the page cache
 * decides that here, not us.
 */
function preFetch(lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const cdb = cmd.cdb;
  const ten = cdb[0] === Op.PreFetch10;
  const lba = ten ? cdb.readUInt32BE(2) : readU64(cdb, 2);
  const blocks = ten ? cdb.readUInt16BE(7) : cdb.readUInt32BE(10);
  lu.checkRange(lba, blocks);
  return GOOD;
}

/** READ DEFECT DATA(10/12): a virtual medium has no defects, so an empty list. */
function readDefectData(_lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const cdb = cmd.cdb;
  const ten = cdb[0] === Op.ReadDefectData10;
  const flags = ten ? cdb[2]! : cdb[1]!;
  const alloc = ten ? cdb.readUInt16BE(7) : cdb.readUInt32BE(6);
  const b = Buffer.alloc(ten ? 4 : 8);
  b[1] = flags & 0x1f; // PLISTV, GLISTV, format echoed; the list length stays 0
  return good(clip(b, alloc));
}

// ---- handlers: thin provisioning ----------------------------------------------------

function isZeroBuffer(b: Buffer): boolean {
  let i = 0;
  for (; i + 8 <= b.length; i += 8) if (b.readBigUInt64LE(i) !== 0n) return false;
  for (; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

async function discardBlocks(lu: BlockLogicalUnit, lba: number, blocks: number): Promise<void> {
  try {
    await lu.backstore.discard(lba * lu.blockSize, blocks * lu.blockSize);
  } catch (err) {
    throw ioFailure(err, lba, true);
  }
}

async function writeSame(lu: BlockLogicalUnit, cmd: ScsiCommand, task: Task): Promise<ScsiResult> {
  const cdb = cmd.cdb;
  const op = cdb[0]!;
  const ws = decodeWriteSame(cdb);
  lu.checkWritable();
  if (ws.anchor) throw invalidFieldInCdb(1, 4); // ANC_SUP is 0
  if (ws.unmap && !lu.spec.thin) throw invalidFieldInCdb(1, 3);
  lu.checkRange(ws.lba, ws.blocks);
  if (ws.blocks === 0) throw invalidFieldInCdb(op === Op.WriteSame10 ? 7 : 10); // WSNZ
  if (ws.blocks > lu.limits.maxWriteSameBlocks) throw invalidFieldInCdb(op === Op.WriteSame10 ? 7 : 10);
  const bs = lu.blockSize;
  // Exactly one block of Data-Out (none with NDOB).
  const given = cmd.dataOut?.length ?? 0;
  if (ws.ndob ? given !== 0 : given !== bs) throw invalidFieldInCommandIu();
  const block = ws.ndob ? Buffer.alloc(bs) : cmd.dataOut!;
  const run = async (): Promise<void> => {
    // LBPRZ: an unmapped block reads as zeros, so an all-zero pattern with UNMAP may deallocate.
    if (ws.unmap && isZeroBuffer(block)) {
      await discardBlocks(lu, ws.lba, ws.blocks);
      return;
    }
    const chunkBlocks = Math.min(ws.blocks, lu.limits.optimalTransferBlocks);
    const chunk = Buffer.allocUnsafe(chunkBlocks * bs);
    for (let i = 0; i < chunkBlocks; i++) block.copy(chunk, i * bs);
    const fua = !lu.mode.wce;
    for (let done = 0; done < ws.blocks; done += chunkBlocks) {
      if (task.aborted) throw new TaskAbortedError();
      const n = Math.min(chunkBlocks, ws.blocks - done);
      await writeOut(lu, n === chunkBlocks ? chunk : chunk.subarray(0, n * bs), ws.lba + done, fua);
    }
  };
  if (lu.atomicActive !== 0) await lu.atomically(task, run);
  else await run();
  return GOOD;
}

async function unmap(lu: BlockLogicalUnit, cmd: ScsiCommand, task: Task): Promise<ScsiResult> {
  const cdb = cmd.cdb;
  lu.checkWritable();
  if (cdb[1]! & 0x01) throw invalidFieldInCdb(1, 0); // ANCHOR: ANC_SUP is 0
  const listLength = cdb.readUInt16BE(7);
  if (listLength === 0) return GOOD;
  if (listLength < 8) throw parameterListLengthError();
  const data = cmd.dataOut;
  if (!data || data.length < listLength) throw parameterListLengthError();
  const p = data.subarray(0, listLength);
  const descLength = p.readUInt16BE(2);
  if (descLength % 16 !== 0) throw invalidFieldInParameterList(2);
  if (8 + descLength > listLength) throw parameterListLengthError();
  const count = descLength / 16;
  if (count > lu.limits.maxUnmapDescriptors) throw invalidFieldInParameterList(2);
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) {
    const at = 8 + i * 16;
    const lba = readU64(p, at);
    const blocks = p.readUInt32BE(at + 8);
    lu.checkRange(lba, blocks);
    if (blocks > lu.limits.maxUnmapBlocks) throw invalidFieldInParameterList(at + 8);
    if (blocks !== 0) ranges.push([lba, blocks]);
  }
  const run = async (): Promise<void> => {
    for (const [lba, blocks] of ranges) {
      if (task.aborted) throw new TaskAbortedError();
      await discardBlocks(lu, lba, blocks);
    }
  };
  if (lu.atomicActive !== 0) await lu.atomically(task, run);
  else await run();
  return GOOD;
}

async function getLbaStatus(lu: BlockLogicalUnit, cmd: ScsiCommand): Promise<ScsiResult> {
  const req = decodeGetLbaStatus(cmd.cdb);
  if (req.lba >= lu.blocks) throw lbaOutOfRange();
  if (req.allocationLength < 24) {
    // Room for the header only: report the total length, no descriptors.
    const h = Buffer.alloc(8);
    h.writeUInt32BE(20, 0);
    return good(clip(h, req.allocationLength));
  }
  const maxDesc = Math.min(64, Math.floor((req.allocationLength - 8) / 16));
  const bs = lu.blockSize;
  const span = Math.min(lu.blocks - req.lba, lu.limits.maxUnmapBlocks) * bs;
  let extents;
  try {
    extents = await lu.backstore.mapped(req.lba * bs, span);
  } catch (err) {
    throw ioFailure(err, req.lba, false);
  }
  // Round to blocks and merge neighbours with the same state.
  const descs: Array<{ lba: number; blocks: number; status: number }> = [];
  for (const e of extents) {
    const first = Math.floor(e.offset / bs);
    const end = Math.ceil((e.offset + e.length) / bs);
    const startLba = Math.max(first, descs.length ? descs[descs.length - 1]!.lba + descs[descs.length - 1]!.blocks : req.lba);
    if (end <= startLba) continue;
    const status = e.mapped ? 0 : 1;
    const last = descs[descs.length - 1];
    if (last && last.status === status) last.blocks = end - last.lba;
    else descs.push({ lba: startLba, blocks: end - startLba, status });
  }
  const shown = descs.slice(0, maxDesc);
  const b = Buffer.alloc(8 + 16 * shown.length);
  b.writeUInt32BE(4 + 16 * shown.length, 0);
  shown.forEach((d, i) => {
    const at = 8 + i * 16;
    writeU64(b, at, d.lba);
    b.writeUInt32BE(Math.min(d.blocks, 0xffffffff), at + 8);
    b[at + 12] = d.status;
  });
  return good(clip(b, req.allocationLength));
}

// ---- handlers: atomic -----------------------------------------------------------------

async function compareAndWrite(lu: BlockLogicalUnit, cmd: ScsiCommand, task: Task): Promise<ScsiResult> {
  const cdb = cmd.cdb;
  if (cdb[1]! & 0xe0) throw invalidFieldInCdb(1, 7);
  lu.checkWritable();
  const lba = readU64(cdb, 2);
  const blocks = cdb[13]!;
  lu.checkRange(lba, blocks);
  const bytes = blocks << lu.blockShift;
  const data = cmd.dataOut;
  // Data-Out must be exactly the verify and write instances (a 256-block request wraps to 0).
  if ((data?.length ?? 0) !== 2 * bytes) throw invalidFieldInCdb(13);
  if (blocks === 0 || !data) return GOOD;
  if (blocks > lu.limits.maxCompareAndWriteBlocks) throw invalidFieldInCdb(13);
  const verifyPart = data.subarray(0, bytes);
  const writePart = data.subarray(bytes, 2 * bytes);
  const fua = (cdb[1]! & 0x08) !== 0 || !lu.mode.wce;
  await lu.atomically(task, async () => {
    const medium = await readMedium(lu, lba, blocks);
    const at = firstDifference(medium, verifyPart);
    if (at >= 0) throw miscompare(at);
    await writeOut(lu, writePart, lba, fua);
  });
  return GOOD;
}

async function orWrite(lu: BlockLogicalUnit, cmd: ScsiCommand, task: Task): Promise<ScsiResult> {
  lu.checkWritable();
  const io = decodeBlockIo(cmd.cdb);
  checkTransfer(lu, Op.OrWrite16, io);
  if (io.blocks === 0) return GOOD;
  const data = dataOutFor(cmd, io.blocks << lu.blockShift);
  const fua = io.fua || !lu.mode.wce;
  await lu.atomically(task, async () => {
    const medium = await readMedium(lu, io.lba, io.blocks);
    for (let i = 0; i < medium.length; i++) medium[i] = medium[i]! | data[i]!;
    await writeOut(lu, medium, io.lba, fua);
  });
  return GOOD;
}

// ---- handlers: identity, capacity, mode ---------------------------------------------

function testUnitReady(): ScsiResult {
  return GOOD;
}

function requestSense(lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const cdb = cmd.cdb;
  if (cdb[1]! & 0x01) throw invalidFieldInCdb(1, 0); // DESC: fixed format only
  const sense = lu.stopped ? buildFixedSense(SenseKey.NotReady, 0x04, 0x02) : buildFixedSense(SenseKey.NoSense, 0, 0);
  return good(clip(sense, cdb[4]!));
}

function inquiry(lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const req = decodeInquiry(cmd.cdb);
  let data: Buffer;
  if (!req.evpd) data = standardInquiry(lu.spec, { tpgs: true, connected: !lu.closed });
  else {
    switch (req.pageCode) {
      case Vpd.SupportedPages: data = vpdSupportedPages(); break;
      case Vpd.UnitSerialNumber: data = vpdUnitSerial(lu.spec); break;
      case Vpd.DeviceIdentification: data = vpdDeviceIdentification(lu.spec, cmd.nexus); break;
      case Vpd.BlockLimits: data = vpdBlockLimits(lu.limits, lu.spec.thin); break;
      case Vpd.BlockDeviceCharacteristics: data = vpdBlockDeviceCharacteristics(lu.spec.rotationRate); break;
      case Vpd.LogicalBlockProvisioning: data = vpdLogicalBlockProvisioning(lu.spec.thin); break;
      default: throw invalidFieldInCdb(2);
    }
  }
  return good(clip(data, req.allocationLength));
}

function readCapacity10(lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const cdb = cmd.cdb;
  if ((cdb[8]! & 0x01) === 0 && cdb.readUInt32BE(2) !== 0) throw invalidFieldInCdb(2);
  const b = Buffer.alloc(8);
  const last = lu.blocks - 1;
  b.writeUInt32BE(last > 0xffffffff ? 0xffffffff : Math.max(0, last), 0);
  b.writeUInt32BE(lu.blockSize, 4);
  return good(b);
}

function readCapacity16(lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const cdb = cmd.cdb;
  const alloc = cdb.readUInt32BE(10);
  const b = Buffer.alloc(32);
  writeU64(b, 0, Math.max(0, lu.blocks - 1));
  b.writeUInt32BE(lu.blockSize, 8);
  b[13] = 0; // one logical block per physical block: every LBA can be unmapped on its own
  if (lu.spec.thin) b[14] = 0x80 | 0x40; // LBPME, LBPRZ
  return good(clip(b, alloc));
}

function modeSenseHandler(lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const req = decodeModeSense(cmd.cdb);
  const data = modeSense(req, lu.mode, lu.blocks, lu.blockSize, lu.spec.readOnly);
  return good(clip(data, req.allocationLength));
}

function modeSelectHandler(lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const req = decodeModeSelect(cmd.cdb);
  if (req.parameterListLength === 0) return GOOD;
  const data = cmd.dataOut;
  if (!data || data.length < req.parameterListLength) throw parameterListLengthError();
  const next = modeSelect(data.subarray(0, req.parameterListLength), req.ten, req.pf, req.sp, lu.mode, lu.blockSize);
  if (next.wce !== lu.mode.wce) {
    lu.mode = next;
    lu.queueUa(UnitAttention.ModeParametersChanged, cmd.nexus);
  }
  return GOOD;
}

async function startStopUnit(lu: BlockLogicalUnit, cmd: ScsiCommand): Promise<ScsiResult> {
  const ss = decodeStartStop(cmd.cdb);
  if (ss.powerCondition !== 0) return GOOD; // power conditions are accepted and ignored
  if (!ss.start && ss.loej) {
    for (const st of lu.nexuses.values()) if (st.prevent) throw mediumRemovalPrevented();
  }
  if (ss.start) lu.stopped = false;
  else {
    if (!ss.noFlush) await lu.backstore.flush().catch(() => undefined);
    lu.stopped = true;
  }
  return GOOD;
}

function preventAllow(lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const prevent = cmd.cdb[4]! & 0x03;
  if (prevent > 1) throw invalidFieldInCdb(4, 1);
  lu.nexusState(cmd.nexus).prevent = prevent === 1;
  return GOOD;
}

function reportTargetPortGroups(_lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const cdb = cmd.cdb;
  const format = cdb[1]! >> 5;
  if (format > 1) throw invalidFieldInCdb(1, 7);
  const alloc = cdb.readUInt32BE(6);
  const header = format === 1 ? 8 : 4;
  const b = Buffer.alloc(header + 8 + 4);
  b.writeUInt32BE(b.length - 4, 0);
  if (format === 1) {
    b[4] = 0x10; // extended header
    b[5] = 0; // implicit transition time
  }
  const d = header;
  b[d] = 0x80 | 0x00; // PREF, active/optimized
  b[d + 1] = 0x01; // AO_SUP
  b.writeUInt16BE(cmd.nexus.targetPortGroupId & 0xffff, d + 2);
  b[d + 5] = 0; // status code
  b[d + 7] = 1; // target port count
  b.writeUInt16BE(cmd.nexus.relativeTargetPortId & 0xffff, d + 10);
  return good(clip(b, alloc));
}

function reportSupportedOpcodes(lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const req = decodeReportSupportedOpcodes(cmd.cdb);
  const offered = (e: CommandEntry): boolean => !e.thinOnly || lu.spec.thin;
  const timeouts = (b: Buffer, at: number): void => {
    b.writeUInt16BE(0x0a, at); // command timeouts descriptor length
    b.writeUInt32BE(0, at + 4); // nominal: not specified
    b.writeUInt32BE(30, at + 8); // recommended: 30 s
  };
  if (req.options === 0) {
    const list = COMMANDS.filter(offered);
    const size = req.rctd ? 20 : 8;
    const b = Buffer.alloc(4 + list.length * size);
    b.writeUInt32BE(list.length * size, 0);
    list.forEach((e, i) => {
      const at = 4 + i * size;
      b[at] = e.opcode;
      if (e.serviceAction !== undefined) {
        b.writeUInt16BE(e.serviceAction, at + 2);
        b[at + 5] = 0x01; // SERVACTV
      }
      if (req.rctd) {
        b[at + 5] = b[at + 5]! | 0x02; // CTDP
        timeouts(b, at + 8);
      }
      b.writeUInt16BE(e.usage.length, at + 6);
    });
    return good(clip(b, req.allocationLength));
  }
  const hasSa = BY_SERVICE_ACTION.has(req.opcode);
  let entry: CommandEntry | undefined;
  if (req.options === 1) {
    if (hasSa) throw invalidFieldInCdb(2, 2);
    entry = BY_OPCODE.get(req.opcode);
  } else if (req.options === 2) {
    if (!hasSa) throw invalidFieldInCdb(2, 2);
    entry = BY_SERVICE_ACTION.get(req.opcode)?.get(req.serviceAction);
  } else {
    entry = hasSa ? BY_SERVICE_ACTION.get(req.opcode)?.get(req.serviceAction) : BY_OPCODE.get(req.opcode);
  }
  if (entry && !offered(entry)) entry = undefined;
  if (!entry) {
    const b = Buffer.alloc(4);
    b[1] = 0x01; // SUPPORT 001b: not supported
    return good(clip(b, req.allocationLength));
  }
  const usage = Buffer.from(entry.usage);
  const b = Buffer.alloc(4 + usage.length + (req.rctd ? 12 : 0));
  b[1] = (req.rctd ? 0x80 : 0) | 0x03; // CTDP, SUPPORT 011b
  b.writeUInt16BE(usage.length, 2);
  usage.copy(b, 4);
  if (req.rctd) timeouts(b, 4 + usage.length);
  return good(clip(b, req.allocationLength));
}

// ---- handlers: SPC-2 reservations -----------------------------------------------------

function reserve(lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const cdb = cmd.cdb;
  // Third-party and extent reservations are obsolete.
  if (cdb[0] === Op.Reserve10 ? cdb[1]! & 0x12 : cdb[1]! & 0x1f) throw invalidFieldInCdb(1);
  const r = lu.reservations;
  if (r.reservation !== null) throw new ReservationConflictError();
  if (r.legacyHolder !== null && r.legacyHolder !== cmd.nexus.key) throw new ReservationConflictError();
  r.legacyHolder = cmd.nexus.key;
  return GOOD;
}

function release(lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const r = lu.reservations;
  if (r.legacyHolder === cmd.nexus.key) r.legacyHolder = null;
  return GOOD;
}

// ---- the table ------------------------------------------------------------------------

const C6 = 0x07; // control byte usage (NACA, obsolete FLAG/LINK bits)
const CTL = 0x07;

function entry(
  opcode: number, name: string, usage: number[], access: Access, medium: boolean, handler: Handler,
  extra?: { serviceAction?: number; thinOnly?: boolean },
): CommandEntry {
  return { opcode, name, usage, access, medium, handler, ...extra };
}

const rw10 = (op: number): number[] => [op, 0xfa, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, CTL];
const rw12 = (op: number): number[] => [op, 0xfa, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, CTL];
const rw16 = (op: number): number[] => [op, 0xfa, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, CTL];
const vfy10 = (op: number): number[] => [op, 0xf6, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, CTL];
const vfy12 = (op: number): number[] => [op, 0xf6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, CTL];
const vfy16 = (op: number): number[] => [op, 0xf6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, CTL];

/** Every command this logical unit implements, in opcode order. */
export const COMMANDS: readonly CommandEntry[] = [
  entry(Op.TestUnitReady, 'TEST UNIT READY', [0x00, 0, 0, 0, 0, C6], 'meta', true, testUnitReady),
  entry(Op.RequestSense, 'REQUEST SENSE', [0x03, 0x01, 0, 0, 0xff, C6], 'none', false, requestSense),
  entry(Op.Read6, 'READ(6)', [0x08, 0x1f, 0xff, 0xff, 0xff, C6], 'read', true, readBlocks),
  entry(Op.Write6, 'WRITE(6)', [0x0a, 0x1f, 0xff, 0xff, 0xff, C6], 'write', true, writeBlocks),
  entry(Op.Inquiry, 'INQUIRY', [0x12, 0x01, 0xff, 0xff, 0xff, C6], 'none', false, inquiry),
  entry(Op.ModeSelect6, 'MODE SELECT(6)', [0x15, 0x11, 0, 0, 0xff, C6], 'write', false, modeSelectHandler),
  entry(Op.Reserve6, 'RESERVE(6)', [0x16, 0, 0, 0, 0, C6], 'meta', false, reserve),
  entry(Op.Release6, 'RELEASE(6)', [0x17, 0, 0, 0, 0, C6], 'none', false, release),
  entry(Op.ModeSense6, 'MODE SENSE(6)', [0x1a, 0x08, 0xff, 0xff, 0xff, C6], 'meta', false, modeSenseHandler),
  entry(Op.StartStopUnit, 'START STOP UNIT', [0x1b, 0x01, 0, 0x0f, 0xf7, C6], 'write', false, startStopUnit),
  entry(Op.PreventAllowMediumRemoval, 'PREVENT ALLOW MEDIUM REMOVAL', [0x1e, 0, 0, 0, 0x03, C6], 'read', false, preventAllow),
  entry(Op.ReadCapacity10, 'READ CAPACITY(10)', [0x25, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x01, CTL], 'meta', true, readCapacity10),
  entry(Op.Read10, 'READ(10)', rw10(Op.Read10), 'read', true, readBlocks),
  entry(Op.Write10, 'WRITE(10)', rw10(Op.Write10), 'write', true, writeBlocks),
  entry(Op.WriteAndVerify10, 'WRITE AND VERIFY(10)', vfy10(Op.WriteAndVerify10), 'write', true, writeBlocks),
  entry(Op.Verify10, 'VERIFY(10)', vfy10(Op.Verify10), 'read', true, verify),
  entry(Op.PreFetch10, 'PRE-FETCH(10)', [0x34, 0x02, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, CTL], 'read', true, preFetch),
  entry(Op.ReadDefectData10, 'READ DEFECT DATA(10)', [0x37, 0, 0x1f, 0, 0, 0, 0, 0xff, 0xff, CTL], 'meta', true, readDefectData),
  entry(Op.SynchronizeCache10, 'SYNCHRONIZE CACHE(10)', [0x35, 0x02, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, CTL], 'write', true, synchronizeCache),
  entry(Op.WriteSame10, 'WRITE SAME(10)', [0x41, 0xf8, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, CTL], 'write', true, writeSame),
  entry(Op.Unmap, 'UNMAP', [0x42, 0x01, 0, 0, 0, 0, 0x1f, 0xff, 0xff, CTL], 'write', true, unmap, { thinOnly: true }),
  entry(Op.ModeSelect10, 'MODE SELECT(10)', [0x55, 0x11, 0, 0, 0, 0, 0, 0xff, 0xff, CTL], 'write', false, modeSelectHandler),
  entry(Op.Reserve10, 'RESERVE(10)', [0x56, 0, 0, 0, 0, 0, 0, 0, 0, CTL], 'meta', false, reserve),
  entry(Op.Release10, 'RELEASE(10)', [0x57, 0, 0, 0, 0, 0, 0, 0, 0, CTL], 'none', false, release),
  entry(Op.ModeSense10, 'MODE SENSE(10)', [0x5a, 0x18, 0xff, 0xff, 0, 0, 0, 0xff, 0xff, CTL], 'meta', false, modeSenseHandler),
  ...[0, 1, 2, 3].map((sa) => entry(Op.PersistentReserveIn, 'PERSISTENT RESERVE IN', [0x5e, 0x1f, 0, 0, 0, 0, 0, 0xff, 0xff, CTL], 'meta', false, persistentReserveIn, { serviceAction: sa })),
  ...[0, 1, 2, 3, 4, 5, 6, 7].map((sa) => entry(Op.PersistentReserveOut, 'PERSISTENT RESERVE OUT', [0x5f, 0x1f, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff, CTL], 'meta', false, persistentReserveOut, { serviceAction: sa })),
  entry(Op.Read16, 'READ(16)', rw16(Op.Read16), 'read', true, readBlocks),
  entry(Op.CompareAndWrite, 'COMPARE AND WRITE', [0x89, 0xfa, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0xff, 0x1f, CTL], 'write', true, compareAndWrite),
  entry(Op.Write16, 'WRITE(16)', rw16(Op.Write16), 'write', true, writeBlocks),
  entry(Op.OrWrite16, 'ORWRITE(16)', rw16(Op.OrWrite16), 'write', true, orWrite),
  entry(Op.WriteAndVerify16, 'WRITE AND VERIFY(16)', vfy16(Op.WriteAndVerify16), 'write', true, writeBlocks),
  entry(Op.Verify16, 'VERIFY(16)', vfy16(Op.Verify16), 'read', true, verify),
  entry(Op.PreFetch16, 'PRE-FETCH(16)', [0x90, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, CTL], 'read', true, preFetch),
  entry(Op.SynchronizeCache16, 'SYNCHRONIZE CACHE(16)', [0x91, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, CTL], 'write', true, synchronizeCache),
  entry(Op.WriteSame16, 'WRITE SAME(16)', [0x93, 0xf9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, CTL], 'write', true, writeSame),
  entry(Op.ServiceActionIn16, 'READ CAPACITY(16)', [0x9e, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, CTL], 'meta', true, readCapacity16, { serviceAction: SA_READ_CAPACITY_16 }),
  entry(Op.ServiceActionIn16, 'GET LBA STATUS', [0x9e, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, CTL], 'read', true, getLbaStatus, { serviceAction: SA_GET_LBA_STATUS, thinOnly: true }),
  entry(Op.MaintenanceIn, 'REPORT TARGET PORT GROUPS', [0xa3, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, CTL], 'none', false, reportTargetPortGroups, { serviceAction: SA_REPORT_TARGET_PORT_GROUPS }),
  entry(Op.MaintenanceIn, 'REPORT SUPPORTED OPERATION CODES', [0xa3, 0x1f, 0x87, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, CTL], 'none', false, reportSupportedOpcodes, { serviceAction: SA_REPORT_SUPPORTED_OPCODES }),
  entry(Op.Read12, 'READ(12)', rw12(Op.Read12), 'read', true, readBlocks),
  entry(Op.Write12, 'WRITE(12)', rw12(Op.Write12), 'write', true, writeBlocks),
  entry(Op.WriteAndVerify12, 'WRITE AND VERIFY(12)', vfy12(Op.WriteAndVerify12), 'write', true, writeBlocks),
  entry(Op.Verify12, 'VERIFY(12)', vfy12(Op.Verify12), 'read', true, verify),
  entry(Op.ReadDefectData12, 'READ DEFECT DATA(12)', [0xb7, 0x1f, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, CTL], 'meta', true, readDefectData),
];

const BY_OPCODE = new Map<number, CommandEntry>();
const BY_SERVICE_ACTION = new Map<number, Map<number, CommandEntry>>();
for (const e of COMMANDS) {
  if (e.serviceAction === undefined) BY_OPCODE.set(e.opcode, e);
  else {
    let m = BY_SERVICE_ACTION.get(e.opcode);
    if (!m) BY_SERVICE_ACTION.set(e.opcode, (m = new Map()));
    m.set(e.serviceAction, e);
  }
}

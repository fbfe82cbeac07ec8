/**
 * SCSI commands over iSCSI (RFC 7143 4.2.x, 11.3-11.8): collect Data-Out (immediate,
 * unsolicited, R2T-solicited bounded by MaxOutstandingR2T), run the command on the logical
 * unit, answer with Data-In (status in the last PDU when there is no sense) or a SCSI
 * Response, with residual counts. Commands run concurrently; responses go out as they
 * complete, each getting its StatSN when sent.
 */
import { performance } from 'node:perf_hooks';
import type { LogicalUnit, ScsiCommand, ScsiResult } from '../scsi/types.js';
import { ScsiStatus } from '../scsi/types.js';
import { SenseKey, buildFixedSense } from '../scsi/sense.js';
import { answerAtTarget } from '../scsi/target-commands.js';
import { ioBuffers } from '../backstore/buffer-pool.js';
import type { HandlerContext, Placement } from './handler-context.js';
import { RejectReason } from './errors.js';
import { RESERVED_TAG, type Pdu } from './pdu/bhs.js';
import {
  parseDataOut,
  parseScsiCommand,
  serializeDataIn,
  serializeR2T,
  serializeScsiResponse,
  type DataInPdu,
  type R2TPdu,
  type ScsiResponsePdu,
} from './pdu/scsi.js';
import type { Session } from './session.js';
import { ScsiTask, type PendingR2T } from './task-state.js';
import { type IoCounters, ioKind, senseKeyOf } from './counters.js';

/**
 * Data-Out longer than this (the LU's 8 MiB maximum transfer, VPD B0h) is refused before
 * any buffer is allocated, whatever the CDB says.
 */
export const MAX_WRITE_LENGTH = 8 * 1024 * 1024;

/**
 * WRITE(6/10/12/16): the commands whose Data-Out buffer comes from the I/O buffer pool.
 * Their handlers are done with the data when execute() settles (the backstore write has
 * completed); other commands with Data-Out (WRITE BUFFER, EXTENDED COPY, PR OUT...) may
 * keep theirs, so they get plain buffers.
 */
function pooledWrite(op: number): boolean {
  return op === 0x2a || op === 0x8a || op === 0xaa || op === 0x0a;
}

/* ------------------------------------------------------------------ transport sense */

const SENSE_INVALID_FIELD_IN_CDB = buildFixedSense(SenseKey.IllegalRequest, 0x24, 0x00);
const SENSE_DATA_PHASE_ERROR = buildFixedSense(SenseKey.AbortedCommand, 0x4b, 0x00);
const SENSE_DATA_OFFSET_ERROR = buildFixedSense(SenseKey.AbortedCommand, 0x4b, 0x05);
/** HARDWARE ERROR, INTERNAL TARGET FAILURE: the logical unit rejected instead of answering. */
const SENSE_INTERNAL_TARGET_FAILURE = buildFixedSense(SenseKey.HardwareError, 0x44, 0x00);

function checkCondition(sense: Buffer): ScsiResult {
  return { status: ScsiStatus.CheckCondition, sense };
}

/* ------------------------------------------------------------------ receive path */

/**
 * The parser asks where a data segment spanning socket chunks should go (one copy
 * instead of two): Data-Out lands in its task's buffer at its offset, immediate data in a
 * buffer allocated for the whole write. Anything doubtful gets null (a plain buffer).
 */
export function placeData(conn: HandlerContext, bhs: Buffer, length: number): Buffer | null {
  const op = bhs[0]! & 0x3f;
  if (op === 0x05) {
    const task = conn.dataTasks.get(bhs.readUInt32BE(16));
    if (!task || task.aborted || !task.buffer) return null;
    const off = bhs.readUInt32BE(40);
    if (off + length > task.expectedLength || off + length > task.buffer.length) return null;
    return task.buffer.subarray(off, off + length);
  }
  if (op === 0x01 && (bhs[1]! & 0x20) !== 0) {
    // Immediate data goes straight into the whole write's buffer when the budget grants
    // it now (its bytes go with the buffer to the task, or back if the CDB fails), else
    // into a buffer of its own length only (bounded by FirstBurstLength).
    const edtl = bhs.readUInt32BE(20);
    if (edtl < length || edtl > MAX_WRITE_LENGTH) return null;
    const whole = edtl !== length && conn.budget.tryTake(edtl, conn.account);
    const size = whole ? edtl : length;
    const pooled = size === edtl && pooledWrite(bhs[32]!);
    const buf = pooled ? ioBuffers.acquire(size) : Buffer.allocUnsafe(size);
    conn.prealloc = { itt: bhs.readUInt32BE(16), buf, pooled, charge: whole ? edtl : 0 };
    return buf.subarray(0, length);
  }
  return null;
}

function samePlace(a: Buffer, b: Buffer, offset: number): boolean {
  return a.buffer === b.buffer && a.byteOffset === b.byteOffset + offset;
}

export function onScsiCommand(conn: HandlerContext, pdu: Pdu): void {
  const session = conn.session!;
  const c = parseScsiCommand(pdu);
  const placed = takePlaced(conn, c.itt, pdu);
  const current = conn.currentTarget();
  const refusal = current === null ? RejectReason.ProtocolError : refuseCommand(conn, c, pdu.data.length);
  if (refusal !== null) {
    unplace(conn, placed);
    conn.reject(pdu.bhs, refusal);
    return;
  }
  const target = current!;
  const params = conn.params;
  const imm = pdu.data.length;
  const lu = c.lun >= 0 ? target.luns.get(c.lun) : undefined;
  const task = new ScsiTask(c, lu);
  task.started = conn.chunkAt;
  task.luns = target.luns;
  if (lu !== undefined) task.io = session.luIo(c.lun);
  session.tasks.set(task.itt, task);
  session.commands++;
  if (task.immediate) session.immediateOutstanding++;
  else session.outstanding++;

  // The CDB is judged before anything is buffered for it: a command that fails on its
  // CDB alone runs without its Data-Out (the LU answers it as always; Data-Out the
  // initiator still sends for it is discarded as for any finished task).
  const transfer = lu?.transferBytes ? lu.transferBytes(c.cdb) : 0;
  if (transfer < 0) {
    unplace(conn, placed);
    execute(conn, task);
    return;
  }
  if (c.write && c.expectedLength > 0) {
    if (c.expectedLength > MAX_WRITE_LENGTH) {
      unplace(conn, placed);
      finish(conn, task, checkCondition(SENSE_INVALID_FIELD_IN_CDB));
      return;
    }
    const edtl = c.expectedLength;
    task.unsolicitedEnd = Math.max(imm, c.final || params.initialR2T ? imm : Math.min(params.firstBurstLength, edtl));
    task.nextR2TOffset = task.unsolicitedEnd;
    const budget = conn.budget;
    if (placed && placed.charge === edtl) {
      task.charge = edtl; // taken by the parser with the buffer
    } else if (budget.tryTake(edtl, conn.account)) {
      task.charge = edtl;
    } else if (task.unsolicitedEnd >= edtl) {
      budget.force(edtl, conn.account); // every byte is on its way unasked: bounded by FirstBurstLength
      task.charge = edtl;
    } else {
      parkWrite(conn, task, pdu, placed);
      return;
    }
    startWrite(conn, task, pdu, placed);
    return;
  }
  unplace(conn, placed);
  const charge = Math.max(c.read ? c.expectedLength : 0, transfer);
  if (charge > 0 && !conn.budget.tryTake(charge, conn.account)) {
    // Its Data-In would go past the budget: wait in line, holding the CmdSN window slot.
    conn.parked.add(task);
    task.waiter = conn.budget.wait(charge, conn.account, () => {
      task.waiter = null;
      conn.parked.delete(task);
      task.charge = charge;
      if (task.aborted || conn.closed) return dropTask(conn, task);
      execute(conn, task);
    });
    return;
  }
  task.charge = charge;
  execute(conn, task);
}

/** Why a SCSI Command PDU is rejected before it becomes a task, or null. */
function refuseCommand(conn: HandlerContext, c: ReturnType<typeof parseScsiCommand>, imm: number): RejectReason | null {
  const session = conn.session!;
  if (session.tasks.has(c.itt)) return RejectReason.TaskInProgress;
  const params = conn.params;
  if (imm > 0 && (!c.write || !params.immediateData || imm > c.expectedLength || imm > params.firstBurstLength)) {
    return RejectReason.ProtocolError;
  }
  // Immediate commands bypass the CmdSN window; they are bounded here instead.
  if (c.immediate && session.immediateOutstanding >= session.queueDepth) return RejectReason.ImmediateCommandReject;
  return null;
}

/** The buffer the parser put this command's immediate data into, if it did. */
function takePlaced(conn: HandlerContext, itt: number, pdu: Pdu): Placement | null {
  const pre = conn.prealloc;
  if (pre === null) return null;
  conn.prealloc = null;
  if (pre.itt === itt && pdu.data.length !== 0 && samePlace(pdu.data, pre.buf, 0)) return pre;
  unplace(conn, pre);
  return null;
}

/** A placement the command will not use: its buffer and its budget go back. */
function unplace(conn: HandlerContext, placed: Placement | null): void {
  if (placed === null) return;
  if (placed.pooled) ioBuffers.release(placed.buf);
  if (placed.charge !== 0) conn.budget.give(placed.charge, conn.account);
}

/** The task's Data-Out buffer: the parser's placement, the PDU's own view, or a new one. */
function writeBuffer(task: ScsiTask, pdu: Pdu, placed: Placement | null, size: number): void {
  const imm = pdu.data.length;
  if (placed && placed.buf.length === size) {
    task.buffer = placed.buf; // immediate data already placed by the parser
    task.pooled = placed.pooled;
  } else if (imm === size) {
    task.buffer = pdu.data; // the whole payload in one view: no copy
  } else {
    task.pooled = size === task.expectedLength && pooledWrite(task.cdb[0]!);
    task.buffer = task.pooled ? ioBuffers.acquire(size) : Buffer.allocUnsafe(size);
    if (imm) pdu.data.copy(task.buffer, 0);
  }
  task.received = imm;
  task.unsolOffset = imm;
}

/** A write whose bytes are held: collect the rest of its Data-Out (R2Ts) or run it. */
function startWrite(conn: HandlerContext, task: ScsiTask, pdu: Pdu, placed: Placement | null): void {
  writeBuffer(task, pdu, placed, task.expectedLength);
  if (task.received < task.expectedLength) {
    conn.dataTasks.set(task.itt, task);
    issueR2Ts(conn, task);
    return;
  }
  execute(conn, task);
}

/**
 * A write that does not fit the budget: no R2T goes out until it does. Unsolicited
 * Data-Out the initiator sends meanwhile lands in a buffer of just that size, moved into
 * the whole write's buffer once the budget grants it.
 */
function parkWrite(conn: HandlerContext, task: ScsiTask, pdu: Pdu, placed: Placement | null): void {
  const budget = conn.budget;
  const early = task.unsolicitedEnd;
  if (early > 0) {
    budget.force(early, conn.account);
    task.charge = early;
    writeBuffer(task, pdu, placed, early);
    conn.dataTasks.set(task.itt, task);
  }
  conn.parked.add(task);
  task.waiter = budget.wait(task.expectedLength - task.charge, conn.account, () => {
    task.waiter = null;
    conn.parked.delete(task);
    task.charge = task.expectedLength;
    if (task.aborted || conn.closed) return dropTask(conn, task);
    const part = task.buffer;
    const got = task.unsolOffset;
    task.pooled = pooledWrite(task.cdb[0]!);
    task.buffer = task.pooled ? ioBuffers.acquire(task.expectedLength) : Buffer.allocUnsafe(task.expectedLength);
    if (part && got) part.copy(task.buffer, 0, 0, got);
    conn.dataTasks.set(task.itt, task);
    issueR2Ts(conn, task);
  });
}

export function onDataOut(conn: HandlerContext, pdu: Pdu): void {
  const d = parseDataOut(pdu);
  const task = conn.dataTasks.get(d.itt);
  if (!task) return; // aborted or unknown: discard silently
  const len = pdu.data.length;
  if (d.bufferOffset + len > task.expectedLength) {
    conn.reject(pdu.bhs, RejectReason.InvalidPduField);
    return;
  }
  let r2t: PendingR2T | undefined;
  if (d.ttt !== RESERVED_TAG) {
    r2t = task.r2ts.get(d.ttt);
    if (!r2t || d.bufferOffset < r2t.offset || d.bufferOffset + len > r2t.offset + r2t.length) {
      conn.reject(pdu.bhs, RejectReason.InvalidPduField);
      return;
    }
    if (d.dataSN !== r2t.nextDataSN || d.bufferOffset !== r2t.nextOffset) return sequenceError(conn, task, d.dataSN === r2t.nextDataSN);
    r2t.nextDataSN++;
    r2t.nextOffset += len;
  } else {
    if (d.bufferOffset + len > task.unsolicitedEnd) {
      conn.reject(pdu.bhs, RejectReason.ProtocolError);
      return;
    }
    if (d.dataSN !== task.unsolDataSN || d.bufferOffset !== task.unsolOffset) return sequenceError(conn, task, d.dataSN === task.unsolDataSN);
    task.unsolDataSN++;
    task.unsolOffset += len;
  }
  if (task.aborted) return;
  if (!samePlace(pdu.data, task.buffer!, d.bufferOffset)) pdu.data.copy(task.buffer!, d.bufferOffset);
  task.received += len;
  conn.dataOutBytes += len;
  if (r2t) {
    r2t.received += len;
    if (r2t.received >= r2t.length || d.final) {
      task.r2ts.delete(d.ttt);
      issueR2Ts(conn, task);
    }
  }
  if (task.received >= task.expectedLength) {
    conn.dataTasks.delete(task.itt);
    execute(conn, task);
  }
}

/**
 * Data-Out out of sequence (DataPDUInOrder/DataSequenceInOrder are Yes): the command ends
 * with ABORTED COMMAND / DATA PHASE ERROR (or DATA OFFSET ERROR), its remaining Data-Out
 * is discarded, and the connection carries on.
 */
function sequenceError(conn: HandlerContext, task: ScsiTask, offsetWrong: boolean): void {
  conn.logger.info({ itt: task.itt, offsetWrong }, 'Data-Out DataSN or offset out of order');
  conn.dataTasks.delete(task.itt);
  task.r2ts.clear();
  finish(conn, task, checkCondition(offsetWrong ? SENSE_DATA_OFFSET_ERROR : SENSE_DATA_PHASE_ERROR));
}

function issueR2Ts(conn: HandlerContext, task: ScsiTask): void {
  const p = conn.params;
  const edtl = task.expectedLength;
  while (task.r2ts.size < p.maxOutstandingR2T && task.nextR2TOffset < edtl) {
    const offset = task.nextR2TOffset;
    const length = Math.min(p.maxBurstLength, edtl - offset);
    const ttt = conn.nextTtt();
    task.r2ts.set(ttt, { offset, length, received: 0, nextDataSN: 0, nextOffset: offset });
    task.nextR2TOffset += length;
    const h = R2T_FIELDS;
    h.lun = task.lun < 0 ? 0 : task.lun;
    h.itt = task.itt;
    h.ttt = ttt;
    h.r2tSN = task.r2tSN++;
    h.bufferOffset = offset;
    h.desiredLength = length;
    const bhs = serializeR2T(h);
    task.dataSN++;
    conn.send(bhs, null, 1);
  }
}

/* ------------------------------------------------------------------ execution */

function execute(conn: HandlerContext, task: ScsiTask): void {
  const session = conn.session!;
  const local = answerAtTarget(task.cdb, task.lu, task.luns);
  if (local) {
    finish(conn, task, local);
    return;
  }
  const cmd: ScsiCommand = {
    cdb: task.cdb,
    dataOut: task.write ? task.buffer : null,
    expectedLength: task.expectedLength,
    nexus: session.nexus!,
    taskTag: task.itt,
    attribute: task.attribute,
  };
  task.buffer = null;
  task.executing = true;
  void run(conn, task, task.lu!, cmd);
}

async function run(conn: HandlerContext, task: ScsiTask, lu: LogicalUnit, cmd: ScsiCommand): Promise<void> {
  let result: ScsiResult;
  try {
    result = await lu.execute(cmd);
    // The WRITE has settled, so its backstore write completed: the Data-Out is free. (On a
    // rejection it is left to the GC: nothing says the LU is done with it.)
    if (task.pooled) {
      task.pooled = false;
      ioBuffers.release(cmd.dataOut!);
    }
  } catch (e) {
    conn.logger.error({ err: e }, 'logical unit rejected a command');
    result = checkCondition(SENSE_INTERNAL_TARGET_FAILURE);
  }
  task.executing = false;
  try {
    finish(conn, task, result);
  } catch (e) {
    // A malformed result must not become an unhandled rejection (process exit).
    conn.logger.error({ err: e }, 'could not send a command result');
    conn.close('internal error');
  }
}

/**
 * Give back what the task holds of the budget: its place in line, and its bytes unless
 * the logical unit still has them (they come back when execute() settles). Data-In
 * handed to the socket is given back by the write's completion instead (sendResult).
 */
function releaseHold(conn: HandlerContext, task: ScsiTask): void {
  if (task.waiter) {
    conn.budget.cancel(task.waiter);
    task.waiter = null;
    conn.parked.delete(task);
  }
  if (task.charge !== 0 && !task.executing) {
    conn.budget.give(task.charge, conn.account);
    task.charge = 0;
  }
}

/** Forget a task that will never be answered (aborted, connection gone). */
export function dropTask(conn: HandlerContext, task: ScsiTask): void {
  releaseHold(conn, task);
  const session = conn.session;
  if (!session) return;
  if (session.tasks.get(task.itt) === task) {
    session.tasks.delete(task.itt);
    if (task.immediate) session.immediateOutstanding--;
    else session.outstanding--;
    session.updateWindow();
  }
  conn.dataTasks.delete(task.itt);
}

function finish(conn: HandlerContext, task: ScsiTask, result: ScsiResult): void {
  const session = conn.session;
  if (!session || session.tasks.get(task.itt) !== task || task.aborted || conn.closed) {
    // Dropped, aborted or the connection is gone: nothing is sent.
    if (result.pooled && result.data) ioBuffers.release(result.data); // never written
    releaseHold(conn, task);
    if (session && session.tasks.get(task.itt) === task) forget(session, conn, task);
    return;
  }
  forget(session, conn, task);
  if (conn.countIo) count(session.io, task, result);
  sendResult(conn, task, result);
}

/** One answered command into its session's and its LU's counters: numbers only, nothing allocated. */
function count(sessionIo: IoCounters, task: ScsiTask, result: ScsiResult): void {
  const kind = ioKind(task.cdb[0]!);
  const bytesIn = task.write ? task.received : 0;
  const data = result.data;
  const bytesOut = task.read && data ? Math.min(data.length, task.expectedLength) : 0;
  const seconds = (performance.now() - task.started) / 1000;
  const key = result.status === ScsiStatus.CheckCondition ? senseKeyOf(result.sense) : -1;
  sessionIo.record(kind, bytesIn, bytesOut, seconds, key);
  if (task.io !== null) task.io.record(kind, bytesIn, bytesOut, seconds, key);
}

function forget(session: Session, conn: HandlerContext, task: ScsiTask): void {
  session.tasks.delete(task.itt);
  if (task.immediate) session.immediateOutstanding--;
  else session.outstanding--;
  session.updateWindow();
  conn.dataTasks.delete(task.itt);
}

const EMPTY_SENSE_HDR = Buffer.alloc(0);

/*
 * The fields of the R2T, Data-In and SCSI Response headers being written, one object of
 * each for the whole process: the serializers copy them into a fresh 48-byte header at
 * once (the header itself cannot be shared: the socket keeps it until its writev), so no
 * object is built per PDU. StatSN/ExpCmdSN/MaxCmdSN stay 0: send() stamps them.
 */
const R2T_FIELDS: R2TPdu = { lun: 0, itt: 0, ttt: 0, statSN: 0, expCmdSN: 0, maxCmdSN: 0, r2tSN: 0, bufferOffset: 0, desiredLength: 0 };
const DATA_IN_FIELDS: DataInPdu = {
  final: false,
  hasStatus: false,
  overflow: false,
  underflow: false,
  status: 0,
  lun: 0,
  itt: 0,
  statSN: 0,
  expCmdSN: 0,
  maxCmdSN: 0,
  dataSN: 0,
  bufferOffset: 0,
  residualCount: 0,
};
const RESPONSE_FIELDS: ScsiResponsePdu = {
  overflow: false,
  underflow: false,
  response: 0,
  status: 0,
  itt: 0,
  statSN: 0,
  expCmdSN: 0,
  maxCmdSN: 0,
  expDataSN: 0,
  residualCount: 0,
};

/** Data-In PDUs (status in the last one when possible) or a SCSI Response. */
export function sendResult(conn: HandlerContext, task: ScsiTask, result: ScsiResult): void {
  const edtl = task.expectedLength;
  const data = result.data;
  let len = data && task.read ? data.length : 0;
  let overflow = false;
  let underflow = false;
  let residual = 0;
  if (task.write && !task.read) {
    const want = result.dataOutLength;
    if (want !== undefined && want !== edtl) {
      if (want > edtl) {
        overflow = true;
        residual = want - edtl;
      } else {
        underflow = true;
        residual = edtl - want;
      }
    }
  } else if (task.read || edtl > 0) {
    if (len > edtl) {
      overflow = true;
      residual = len - edtl;
      len = edtl;
    } else if (len < edtl) {
      underflow = true;
      residual = edtl - len;
    }
  }
  const sense = result.sense;
  const statusInData = len > 0 && !sense;
  let written = false;
  conn.cork();
  if (len > 0) {
    const seg = conn.params.initiatorMaxRecvDataSegmentLength;
    const burst = conn.params.maxBurstLength;
    const lun = task.lun < 0 ? 0 : task.lun;
    const h = DATA_IN_FIELDS;
    let off = 0;
    let burstLeft = burst;
    while (off < len) {
      const n = Math.min(seg, len - off, burstLeft);
      const last = off + n >= len;
      burstLeft -= n;
      const final = last || burstLeft === 0;
      if (burstLeft === 0) burstLeft = burst;
      const withStatus = last && statusInData;
      // Every field, every PDU: nothing is left over from another command's Data-In.
      h.final = final;
      h.hasStatus = withStatus;
      h.overflow = overflow;
      h.underflow = underflow;
      h.status = result.status;
      h.lun = lun;
      h.itt = task.itt;
      h.dataSN = task.dataSN++;
      h.bufferOffset = off;
      h.residualCount = residual;
      const bhs = serializeDataIn(h);
      written = conn.send(bhs, data!.subarray(off, off + n), withStatus ? 2 : 0);
      off += n;
    }
  }
  if (!statusInData) {
    const h = RESPONSE_FIELDS;
    h.overflow = overflow;
    h.underflow = underflow;
    h.status = result.status;
    h.itt = task.itt;
    h.expDataSN = task.dataSN;
    h.residualCount = residual;
    const bhs = serializeScsiResponse(h);
    let seg: Buffer = EMPTY_SENSE_HDR;
    if (sense && sense.length) {
      seg = Buffer.allocUnsafe(2 + sense.length);
      seg.writeUInt16BE(sense.length, 0);
      sense.copy(seg, 2);
    }
    conn.send(bhs, seg.length ? seg : null, 2);
  }
  // The budget's bytes come back with the buffer: when the socket has taken the Data-In.
  const charge = task.charge;
  task.charge = 0;
  if ((result.pooled && data) || charge !== 0) conn.releaseAfterWrite(result.pooled && data ? data : null, written, charge);
  conn.uncork();
}

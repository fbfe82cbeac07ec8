/**
 * SBC-3 data commands: READ/WRITE/VERIFY/WRITE AND VERIFY in every size, SYNCHRONIZE
 * CACHE, PRE-FETCH, thin provisioning (WRITE SAME, UNMAP, GET LBA STATUS) and the atomic
 * read-modify-write commands (COMPARE AND WRITE, ORWRITE). Handlers take the logical unit
 * and the command, throw ScsiCheckCondition on failure and return a ScsiResult.
 */
import type { ScsiCommand, ScsiResult } from './types.js';
import { ScsiStatus } from './types.js';
import type { BlockLogicalUnit, Task } from './logical-unit.js';
import { Op, decodeBlockIo, decodeGetLbaStatus, decodeSynchronizeCache, decodeWriteSame, readU64, writeU64 } from './cdb.js';
import type { BlockIo } from './cdb.js';
import {
  ScsiCheckCondition,
  TaskAbortedError,
  invalidFieldInCdb,
  invalidFieldInCommandIu,
  invalidFieldInParameterList,
  lbaOutOfRange,
  miscompare,
  parameterListLengthError,
  sanitizeInProgress,
  unrecoveredReadError,
} from './sense.js';
import { GOOD, clip, good, ioFailure } from './results.js';
import { ioBuffers } from '../backstore/buffer-pool.js';
import { MediumEndError } from '../backstore/backstore.js';

/** Byte offset of the transfer length field, per opcode, for field pointers. */
function transferLengthByte(op: number): number {
  switch (op) {
    case Op.Read6:
    case Op.Write6:
      return 4;
    case Op.Read10:
    case Op.Write10:
    case Op.Verify10:
    case Op.WriteAndVerify10:
    case Op.WriteSame10:
      return 7;
    case Op.Read12:
    case Op.Write12:
    case Op.Verify12:
    case Op.WriteAndVerify12:
      return 6;
    default:
      return 10;
  }
}

function checkTransfer(lu: BlockLogicalUnit, op: number, io: BlockIo): void {
  lu.checkRange(io.lba, io.blocks);
  if (io.blocks > lu.limits.maxTransferBlocks) throw invalidFieldInCdb(transferLengthByte(op));
}

export async function readBlocks(lu: BlockLogicalUnit, cmd: ScsiCommand): Promise<ScsiResult> {
  const io = decodeBlockIo(cmd.cdb);
  checkTransfer(lu, cmd.cdb[0]!, io);
  if (io.blocks === 0) return GOOD;
  const buf = ioBuffers.acquire(io.blocks << lu.blockShift);
  try {
    await lu.backstore.read(buf, io.lba * lu.blockSize);
  } catch (err) {
    ioBuffers.release(buf); // the backstore settles only after its last read finished
    throw await readFailure(lu, err, io.lba);
  }
  return { status: ScsiStatus.Good, data: buf, pooled: true };
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

export async function writeBlocks(lu: BlockLogicalUnit, cmd: ScsiCommand, task: Task): Promise<ScsiResult> {
  lu.checkWritable(cmd.nexus);
  const op = cmd.cdb[0]!;
  const io = decodeBlockIo(cmd.cdb);
  checkTransfer(lu, op, io);
  if (io.blocks === 0) return GOOD;
  const data = await writeData(lu, cmd, io.lba, io.blocks << lu.blockShift);
  if (data.length === 0) return GOOD;
  const fua = io.fua || !lu.mode.wce;
  if (lu.atomicPending !== 0) await lu.atomically(task, () => writeOut(lu, data, io.lba, fua));
  else {
    lu.beginWrite();
    try {
      await writeOut(lu, data, io.lba, fua);
    } finally {
      lu.endWrite();
    }
  }
  if (io.bytchk === 1) await compareMedium(lu, io.lba, data);
  return GOOD;
}

export async function writeOut(lu: BlockLogicalUnit, data: Buffer, lba: number, fua: boolean): Promise<void> {
  // A write that waited behind a SANITIZE must not land on the erased medium.
  if (lu.sanitizing) throw sanitizeInProgress();
  try {
    await lu.backstore.write(data, lba * lu.blockSize, fua);
  } catch (err) {
    throw ioFailure(err, lba, true);
  }
}

export async function readMedium(lu: BlockLogicalUnit, lba: number, blocks: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(blocks << lu.blockShift);
  try {
    await lu.backstore.read(buf, lba * lu.blockSize);
  } catch (err) {
    throw await readFailure(lu, err, lba);
  }
  return buf;
}

/**
 * A read that ran into the image's real end (truncated under the LU) is MEDIUM ERROR /
 * UNRECOVERED READ ERROR with the first LBA that is not wholly there, and the LU takes the
 * smaller size: every nexus gets CAPACITY DATA HAS CHANGED, later I/O past the new end
 * LBA OUT OF RANGE. Other failures map as ioFailure says.
 */
async function readFailure(lu: BlockLogicalUnit, err: unknown, lba: number): Promise<ScsiCheckCondition> {
  if (!(err instanceof MediumEndError)) return ioFailure(err, lba, false);
  await lu.capacityChanged().catch(() => undefined);
  return unrecoveredReadError(Math.floor(err.endOffset / lu.blockSize));
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

export async function verify(lu: BlockLogicalUnit, cmd: ScsiCommand): Promise<ScsiResult> {
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

export async function synchronizeCache(lu: BlockLogicalUnit, cmd: ScsiCommand): Promise<ScsiResult> {
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
export function preFetch(lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const cdb = cmd.cdb;
  const ten = cdb[0] === Op.PreFetch10;
  const lba = ten ? cdb.readUInt32BE(2) : readU64(cdb, 2);
  const blocks = ten ? cdb.readUInt16BE(7) : cdb.readUInt32BE(10);
  lu.checkRange(lba, blocks);
  return GOOD;
}

/** READ DEFECT DATA(10/12): a virtual medium has no defects, so an empty list. */
export function readDefectData(_lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const cdb = cmd.cdb;
  const ten = cdb[0] === Op.ReadDefectData10;
  const flags = ten ? cdb[2]! : cdb[1]!;
  const alloc = ten ? cdb.readUInt16BE(7) : cdb.readUInt32BE(6);
  const b = Buffer.alloc(ten ? 4 : 8);
  b[1] = flags & 0x1f; // PLISTV, GLISTV, format echoed; the list length stays 0
  return good(clip(b, alloc));
}

// ---- handlers: thin provisioning ----------------------------------------------------

/** Run a multi-step medium change as a plain write (see BlockLogicalUnit.atomically). */
export async function plainWrite(lu: BlockLogicalUnit, task: Task, run: () => Promise<void>): Promise<void> {
  if (lu.atomicPending !== 0) return lu.atomically(task, run);
  lu.beginWrite();
  try {
    await run();
  } finally {
    lu.endWrite();
  }
}

function isZeroBuffer(b: Buffer): boolean {
  let i = 0;
  for (; i + 8 <= b.length; i += 8) if (b.readBigUInt64LE(i) !== 0n) return false;
  for (; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

async function discardBlocks(lu: BlockLogicalUnit, lba: number, blocks: number): Promise<void> {
  if (lu.sanitizing) throw sanitizeInProgress();
  try {
    await lu.backstore.discard(lba * lu.blockSize, blocks * lu.blockSize);
  } catch (err) {
    throw ioFailure(err, lba, true);
  }
}

async function zeroBlocks(lu: BlockLogicalUnit, lba: number, blocks: number, fua: boolean): Promise<void> {
  if (lu.sanitizing) throw sanitizeInProgress();
  const backstore = lu.backstore;
  try {
    await backstore.writeZeroes!(lba * lu.blockSize, blocks * lu.blockSize);
    if (fua) await backstore.flush();
  } catch (err) {
    throw ioFailure(err, lba, true);
  }
}

export async function writeSame(lu: BlockLogicalUnit, cmd: ScsiCommand, task: Task): Promise<ScsiResult> {
  const cdb = cmd.cdb;
  const op = cdb[0]!;
  const ws = decodeWriteSame(cdb);
  lu.checkWritable(cmd.nexus);
  if (ws.anchor) throw invalidFieldInCdb(1, 4); // ANC_SUP is 0
  if (ws.unmap && !lu.spec.thin) throw invalidFieldInCdb(1, 3);
  lu.checkRange(ws.lba, ws.blocks);
  // WSNZ is 1: a WRITE SAME of 0 blocks is refused rather than run to the end of the
  // medium. (With WSNZ 0, libiscsi 1.19's WriteSame10.UnmapUntilEnd sends a non-zero block
  // with UNMAP and expects zeros back, which SBC-4 forbids: reads after WRITE SAME return
  // the block sent, unmapped or not.)
  if (ws.blocks === 0) throw invalidFieldInCdb(op === Op.WriteSame10 ? 7 : 10);
  const blocks = ws.blocks;
  if (blocks > lu.limits.maxWriteSameBlocks) throw invalidFieldInCdb(op === Op.WriteSame10 ? 7 : 10);
  const bs = lu.blockSize;
  // Exactly one block of Data-Out (none with NDOB).
  const given = cmd.dataOut?.length ?? 0;
  if (ws.ndob ? given !== 0 : given !== bs) throw invalidFieldInCommandIu();
  const block = ws.ndob ? Buffer.alloc(bs) : cmd.dataOut!;
  const run = async (): Promise<void> => {
    // LBPRZ: an unmapped block reads as zeros, so an all-zero pattern with UNMAP may deallocate.
    if (ws.unmap && isZeroBuffer(block)) {
      await discardBlocks(lu, ws.lba, blocks);
      return;
    }
    // Zeros where the medium can write them itself (rbd: no buffer of zeros crosses to the OSDs).
    if (lu.backstore.writeZeroes && isZeroBuffer(block)) {
      await zeroBlocks(lu, ws.lba, blocks, !lu.mode.wce);
      return;
    }
    const chunkBlocks = Math.min(blocks, lu.limits.optimalTransferBlocks);
    const chunk = Buffer.allocUnsafe(chunkBlocks * bs);
    for (let i = 0; i < chunkBlocks; i++) block.copy(chunk, i * bs);
    const fua = !lu.mode.wce;
    for (let done = 0; done < blocks; done += chunkBlocks) {
      if (task.aborted) throw new TaskAbortedError();
      const n = Math.min(chunkBlocks, blocks - done);
      await writeOut(lu, n === chunkBlocks ? chunk : chunk.subarray(0, n * bs), ws.lba + done, fua);
    }
  };
  await plainWrite(lu, task, run);
  return GOOD;
}

export async function unmap(lu: BlockLogicalUnit, cmd: ScsiCommand, task: Task): Promise<ScsiResult> {
  const cdb = cmd.cdb;
  lu.checkWritable(cmd.nexus);
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
  await plainWrite(lu, task, run);
  return GOOD;
}

export async function getLbaStatus(lu: BlockLogicalUnit, cmd: ScsiCommand): Promise<ScsiResult> {
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
  let extents: Awaited<ReturnType<typeof lu.backstore.mapped>>;
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

export async function compareAndWrite(lu: BlockLogicalUnit, cmd: ScsiCommand, task: Task): Promise<ScsiResult> {
  const cdb = cmd.cdb;
  if (cdb[1]! & 0xe0) throw invalidFieldInCdb(1, 7);
  lu.checkWritable(cmd.nexus);
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
    // The medium's own compare and write where it takes this length (rbd: atomic in the
    // whole cluster); else read, compare and write here, atomic among this LU's commands.
    if (await mediumCompareAndWrite(lu, verifyPart, writePart, lba, fua)) return;
    const medium = await readMedium(lu, lba, blocks);
    const at = firstDifference(medium, verifyPart);
    if (at >= 0) throw miscompare(at);
    await writeOut(lu, writePart, lba, fua);
  });
  return GOOD;
}

/** false when the backstore has no compare and write of its own for this range; MISCOMPARE as the SCSI path gives it. */
async function mediumCompareAndWrite(lu: BlockLogicalUnit, cmp: Buffer, data: Buffer, lba: number, fua: boolean): Promise<boolean> {
  const backstore = lu.backstore;
  if (!backstore.compareAndWrite) return false;
  if (lu.sanitizing) throw sanitizeInProgress();
  let at: number;
  try {
    const done = backstore.compareAndWrite(cmp, data, lba * lu.blockSize);
    if (done === null) return false;
    at = await done;
    if (at < 0 && fua) await backstore.flush();
  } catch (err) {
    throw ioFailure(err, lba, true);
  }
  if (at >= 0) throw miscompare(at);
  return true;
}

export async function orWrite(lu: BlockLogicalUnit, cmd: ScsiCommand, task: Task): Promise<ScsiResult> {
  lu.checkWritable(cmd.nexus);
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

/**
 * WRITE ATOMIC(16) (SBC-4 5.48): the blocks are written all or none, and no other write to
 * the medium interleaves with them. The write runs alone among writes (as COMPARE AND
 * WRITE does) and reaches the backstore as one positioned write of the whole Data-Out, so
 * a file backstore puts it down in a single pwrite(2) of at most MAXIMUM ATOMIC TRANSFER
 * LENGTH (1 MiB). A short Data-Out is refused rather than written in part.
 */
export async function writeAtomic16(lu: BlockLogicalUnit, cmd: ScsiCommand, task: Task): Promise<ScsiResult> {
  const cdb = cmd.cdb;
  if (cdb[1]! & 0xe0) throw invalidFieldInCdb(1, 7); // WRPROTECT: no protection information
  lu.checkWritable(cmd.nexus);
  const lba = readU64(cdb, 2);
  const blocks = cdb.readUInt16BE(12);
  lu.checkRange(lba, blocks);
  if (blocks === 0) return GOOD;
  if (blocks > lu.limits.maxAtomicTransferBlocks) throw invalidFieldInCdb(12);
  const data = dataOutFor(cmd, blocks << lu.blockShift);
  const fua = (cdb[1]! & 0x08) !== 0 || !lu.mode.wce;
  await lu.atomically(task, () => writeOut(lu, data, lba, fua));
  return GOOD;
}

/**
 * The copy manager (SPC-4 6.3, 6.18, 7.8.17): EXTENDED COPY (LID1, 83h/00h) with
 * identification descriptor CSCD descriptors (E4h) naming LUs this process serves by their
 * NAA designator, and block-device-to-block-device segment descriptors (02h); RECEIVE COPY
 * RESULTS (84h) COPY STATUS and OPERATING PARAMETERS; the Third-party Copy VPD page (8Fh).
 * This is what VMware VAAI "XCOPY" offload uses to clone and move virtual disks.
 *
 * A parameter list is checked whole before any block moves: format problems are ILLEGAL
 * REQUEST (PARAMETER LIST LENGTH ERROR, TOO MANY ... DESCRIPTORS, UNSUPPORTED ... TYPE
 * CODE, INVALID FIELD IN PARAMETER LIST); a copy that cannot be carried out (a copy target
 * not found or not ready, a segment beyond a target's capacity) is COPY ABORTED. Source and
 * destination are checked for reservation conflicts against the nexus that sent the
 * command, and the destination for write protection.
 */
import type { ItNexus, ScsiCommand, ScsiResult } from './types.js';
import type { BlockLogicalUnit, Task } from './logical-unit.js';
import { readU64 } from './cdb.js';
import {
  TaskAbortedError,
  copyAborted,
  invalidFieldInCdb,
  invalidFieldInCommandIu,
  invalidFieldInParameterList,
  operationInProgress,
  parameterListLengthError,
  tooManySegmentDescriptors,
  tooManyTargetDescriptors,
  unreachableCopyTarget,
  unsupportedSegmentDescriptorType,
  unsupportedTargetDescriptorType,
} from './sense.js';
import { GOOD, clip, good } from './results.js';
import { findLuByNaa } from './lu-registry.js';
import { plainWrite, readMedium, writeOut } from './block-commands.js';

/** What RECEIVE COPY RESULTS (OPERATING PARAMETERS) advertises; EXTENDED COPY enforces it. */
export const COPY_LIMITS = {
  maxTargetDescriptors: 4,
  maxSegmentDescriptors: 16,
  maxDescriptorListLength: 1024,
  maxConcurrentCopies: 16,
} as const;

const HEADER = 16;
const TARGET_DESCRIPTOR = 32;
const TD_IDENTIFICATION = 0xe4;
const SD_BLOCK_TO_BLOCK = 0x02;
const BLOCK_TO_BLOCK_LENGTH = 0x18; // DESCRIPTOR LENGTH of a 02h segment descriptor
const IMPLEMENTED_DESCRIPTORS = [SD_BLOCK_TO_BLOCK, TD_IDENTIFICATION];
/** Bytes moved per read/write step. */
const CHUNK = 1024 * 1024;

const enum ListIdUsage {
  Hold = 0,
  NoHold = 2,
  None = 3,
}

const enum CopyManagerStatus {
  InProgress = 0x00,
  Completed = 0x01,
  CompletedWithError = 0x02,
}

interface HeldStatus {
  status: CopyManagerStatus;
  segmentsProcessed: number;
  bytes: number;
}

/** Held copy status per LU, by nexus key and list identifier (LIST ID USAGE 00b). */
const held = new WeakMap<BlockLogicalUnit, Map<string, HeldStatus>>();
/** How many finished copies' status one LU keeps; the oldest go first. */
const HELD_MAX = 64;

function heldFor(lu: BlockLogicalUnit): Map<string, HeldStatus> {
  let m = held.get(lu);
  if (!m) {
    m = new Map();
    held.set(lu, m);
  }
  return m;
}

const heldKey = (nexus: ItNexus, listId: number): string => `${nexus.key}#${listId}`;

/** The nexus is gone: its held copy status goes with it. */
export function forgetCopies(lu: BlockLogicalUnit, nexus: ItNexus): void {
  const m = held.get(lu);
  if (!m) return;
  const prefix = `${nexus.key}#`;
  for (const k of m.keys()) if (k.startsWith(prefix)) m.delete(k);
}

interface Segment {
  /** Offset of the descriptor in the parameter list, for field pointers. */
  at: number;
  src: number;
  dst: number;
  blocks: number;
  srcLba: number;
  dstLba: number;
}

interface Target {
  at: number;
  designator: Buffer | null;
  blockLength: number;
}

interface ParsedList {
  listId: number;
  usage: number;
  targets: Target[];
  segments: Segment[];
}

/** Decode and check an LID1 parameter list (SPC-4 6.3.3); throws on the first problem. */
export function parseCopyParameters(p: Buffer): ParsedList {
  if (p.length < HEADER) throw parameterListLengthError();
  const listId = p[0]!;
  const usage = (p[1]! >> 3) & 0x03;
  if (usage === 1) throw invalidFieldInParameterList(1, 4);
  if (usage === ListIdUsage.None && listId !== 0) throw invalidFieldInParameterList(0);
  const tdLength = p.readUInt16BE(2);
  const sdLength = p.readUInt32BE(8);
  const inlineLength = p.readUInt32BE(12);
  if (tdLength + sdLength > COPY_LIMITS.maxDescriptorListLength) throw parameterListLengthError();
  if (HEADER + tdLength + sdLength + inlineLength > p.length) throw parameterListLengthError();
  if (inlineLength !== 0) throw invalidFieldInParameterList(12); // MAXIMUM INLINE DATA LENGTH is 0

  // CSCD descriptors: 32 bytes, 64 for the IPv6 and IP copy service types.
  const tdStarts: number[] = [];
  for (let at = HEADER; at < HEADER + tdLength; ) {
    tdStarts.push(at);
    const type = p[at]!;
    at += type === 0xea || type === 0xeb ? 64 : TARGET_DESCRIPTOR;
    if (at > HEADER + tdLength) throw parameterListLengthError();
  }
  const sdStart = HEADER + tdLength;
  const sdStarts: number[] = [];
  for (let at = sdStart; at < sdStart + sdLength; ) {
    if (at + 4 > sdStart + sdLength) throw parameterListLengthError();
    sdStarts.push(at);
    at += 4 + p.readUInt16BE(at + 2);
    if (at > sdStart + sdLength) throw parameterListLengthError();
  }
  if (tdStarts.length > COPY_LIMITS.maxTargetDescriptors) throw tooManyTargetDescriptors();
  if (sdStarts.length > COPY_LIMITS.maxSegmentDescriptors) throw tooManySegmentDescriptors();

  const targets = tdStarts.map((at): Target => {
    if (p[at] !== TD_IDENTIFICATION) throw unsupportedTargetDescriptorType(at);
    // Byte 1: LU ID TYPE (ignored, SPC-4), NUL (obsolete), PERIPHERAL DEVICE TYPE.
    if ((p[at + 1]! & 0x1f) !== 0) throw invalidFieldInParameterList(at + 1, 4);
    // Designation descriptor at +4: code set, association/type, length, designator.
    const assocType = p[at + 5]!;
    const len = p[at + 7]!;
    if (len > 20) throw invalidFieldInParameterList(at + 7);
    const isNaa = (assocType & 0x30) === 0 && (assocType & 0x0f) === 3 && (p[at + 4]! & 0x0f) === 1;
    const designator = isNaa ? Buffer.from(p.subarray(at + 8, at + 8 + len)) : null;
    // Block device type specific parameters: PAD bit, DISK BLOCK LENGTH.
    const blockLength = (p[at + 29]! << 16) | (p[at + 30]! << 8) | p[at + 31]!;
    return { at, designator, blockLength };
  });
  const segments = sdStarts.map((at): Segment => {
    if (p[at] !== SD_BLOCK_TO_BLOCK) throw unsupportedSegmentDescriptorType(at);
    if (p.readUInt16BE(at + 2) !== BLOCK_TO_BLOCK_LENGTH) throw invalidFieldInParameterList(at + 2);
    return {
      at,
      src: p.readUInt16BE(at + 4),
      dst: p.readUInt16BE(at + 6),
      blocks: p.readUInt16BE(at + 10),
      srcLba: readU64(p, at + 12),
      dstLba: readU64(p, at + 20),
    };
  });
  return { listId, usage, targets, segments };
}

/** A copy target named by a CSCD descriptor, ready for I/O, or COPY ABORTED. */
function resolveTarget(lu: BlockLogicalUnit, t: Target | undefined): BlockLogicalUnit {
  if (!t || !t.designator) throw unreachableCopyTarget();
  const found = findLuByNaa(t.designator, lu);
  if (!found || found.stopped || found.sanitizing || found.sanitizeFailed) throw unreachableCopyTarget();
  if (t.blockLength !== found.blockSize) throw invalidFieldInParameterList(t.at + 29);
  return found;
}

interface Plan {
  src: BlockLogicalUnit;
  dst: BlockLogicalUnit;
  srcLba: number;
  dstLba: number;
  blocks: number;
}

function plan(lu: BlockLogicalUnit, nexus: ItNexus, list: ParsedList): Plan[] {
  return list.segments.map((s) => {
    const src = resolveTarget(lu, list.targets[s.src]);
    const dst = resolveTarget(lu, list.targets[s.dst]);
    if (src.blockSize !== dst.blockSize) throw copyAborted();
    if (s.srcLba + s.blocks > src.blocks || s.dstLba + s.blocks > dst.blocks) throw copyAborted();
    src.reservations.check(nexus, 'read');
    dst.reservations.check(nexus, 'write');
    dst.checkWritable(nexus);
    return { src, dst, srcLba: s.srcLba, dstLba: s.dstLba, blocks: s.blocks };
  });
}

/** Copy one segment in CHUNK steps; backwards when it overlaps itself further on. */
async function copySegment(seg: Plan, task: Task): Promise<void> {
  const { src, dst, blocks } = seg;
  if (blocks === 0) return;
  const step = Math.max(1, Math.floor(CHUNK / src.blockSize));
  const backwards = src === dst && seg.dstLba > seg.srcLba && seg.dstLba < seg.srcLba + blocks;
  const fua = !dst.mode.wce;
  for (let done = 0; done < blocks; done += step) {
    if (task.aborted) throw new TaskAbortedError();
    const n = Math.min(step, blocks - done);
    const off = backwards ? blocks - done - n : done;
    const data = await readMedium(src, seg.srcLba + off, n);
    await plainWrite(dst, task, () => writeOut(dst, data, seg.dstLba + off, fua));
  }
}

/** EXTENDED COPY (LID1). */
export async function extendedCopy(lu: BlockLogicalUnit, cmd: ScsiCommand, task: Task): Promise<ScsiResult> {
  const listLength = cmd.cdb.readUInt32BE(10);
  if (listLength === 0) return GOOD;
  const d = cmd.dataOut;
  if (!d || d.length < listLength) throw invalidFieldInCommandIu();
  const list = parseCopyParameters(d.subarray(0, listLength));
  const hold = list.usage === ListIdUsage.Hold || list.usage === ListIdUsage.NoHold;
  const results = heldFor(lu);
  const key = heldKey(cmd.nexus, list.listId);
  if (hold && results.get(key)?.status === CopyManagerStatus.InProgress) throw operationInProgress();
  const state: HeldStatus = { status: CopyManagerStatus.InProgress, segmentsProcessed: 0, bytes: 0 };
  if (list.usage === ListIdUsage.Hold) {
    results.delete(key);
    results.set(key, state);
    while (results.size > HELD_MAX) results.delete(results.keys().next().value!);
  }
  try {
    const segments = plan(lu, cmd.nexus, list);
    for (const seg of segments) {
      await copySegment(seg, task);
      state.segmentsProcessed++;
      state.bytes += seg.blocks * seg.src.blockSize;
    }
    state.status = CopyManagerStatus.Completed;
    return GOOD;
  } catch (err) {
    state.status = CopyManagerStatus.CompletedWithError;
    throw err;
  }
}

const SA_COPY_STATUS = 0x00;
const SA_OPERATING_PARAMETERS = 0x03;
export const RECEIVE_COPY_RESULTS_ACTIONS = [SA_COPY_STATUS, SA_OPERATING_PARAMETERS];

/** RECEIVE COPY RESULTS (84h): COPY STATUS and OPERATING PARAMETERS. */
export function receiveCopyResults(lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const cdb = cmd.cdb;
  const sa = cdb[1]! & 0x1f;
  const alloc = cdb.readUInt32BE(10);
  if (sa === SA_OPERATING_PARAMETERS) return good(clip(operatingParameters(lu), alloc));
  // COPY STATUS of an EXTENDED COPY this nexus sent with LIST ID USAGE 00b.
  const st = held.get(lu)?.get(heldKey(cmd.nexus, cdb[2]!));
  if (!st) throw invalidFieldInCdb(2);
  const b = Buffer.alloc(12);
  b.writeUInt32BE(8, 0);
  b[4] = st.status; // HDD 0
  b.writeUInt16BE(st.segmentsProcessed, 5);
  b[7] = 0x01; // TRANSFER COUNT UNITS: kibibytes
  b.writeUInt32BE(Math.min(0xffffffff, Math.floor(st.bytes / 1024)), 8);
  return good(clip(b, alloc));
}

function operatingParameters(lu: BlockLogicalUnit): Buffer {
  const b = Buffer.alloc(44 + IMPLEMENTED_DESCRIPTORS.length);
  b.writeUInt32BE(b.length - 4, 0);
  b[4] = 0x01; // SNLID: LIST ID USAGE 11b (no list identifier) is supported
  b.writeUInt16BE(COPY_LIMITS.maxTargetDescriptors, 8);
  b.writeUInt16BE(COPY_LIMITS.maxSegmentDescriptors, 10);
  b.writeUInt32BE(COPY_LIMITS.maxDescriptorListLength, 12);
  b.writeUInt32BE(0xffff * lu.blockSize, 16); // MAXIMUM SEGMENT LENGTH: what 16 bits of blocks can say
  b.writeUInt32BE(0, 20); // MAXIMUM INLINE DATA LENGTH
  b.writeUInt32BE(0, 24); // HELD DATA LIMIT
  b.writeUInt32BE(0, 28); // MAXIMUM STREAM DEVICE TRANSFER SIZE
  b.writeUInt16BE(COPY_LIMITS.maxConcurrentCopies, 34); // TOTAL CONCURRENT COPIES
  b[36] = COPY_LIMITS.maxConcurrentCopies; // MAXIMUM CONCURRENT COPIES
  b[37] = lu.blockShift; // DATA SEGMENT GRANULARITY (log2 bytes)
  b[38] = 0; // INLINE DATA GRANULARITY
  b[39] = 0; // HELD DATA GRANULARITY
  b[43] = IMPLEMENTED_DESCRIPTORS.length;
  for (let i = 0; i < IMPLEMENTED_DESCRIPTORS.length; i++) b[44 + i] = IMPLEMENTED_DESCRIPTORS[i]!;
  return b;
}

/**
 * Third-party Copy VPD page (8Fh, SPC-4 7.8.17): the Supported Commands descriptor
 * (EXTENDED COPY LID1, RECEIVE COPY RESULTS), Parameter Data, Supported Descriptors and
 * General Copy Operations, each padded to a multiple of 4 bytes.
 */
export function vpdThirdPartyCopy(blockSize: number): Buffer {
  const descriptor = (type: number, body: Buffer): Buffer => {
    const padded = Buffer.alloc((body.length + 3) & ~3);
    body.copy(padded);
    const h = Buffer.alloc(4);
    h.writeUInt16BE(type, 0);
    h.writeUInt16BE(padded.length, 2);
    return Buffer.concat([h, padded]);
  };
  const commands = Buffer.from([0x83, 1, 0x00, 0x84, RECEIVE_COPY_RESULTS_ACTIONS.length, ...RECEIVE_COPY_RESULTS_ACTIONS]);
  const supportedCommands = descriptor(0x0001, Buffer.concat([Buffer.from([commands.length]), commands]));
  const params = Buffer.alloc(28);
  params.writeUInt16BE(COPY_LIMITS.maxTargetDescriptors, 4);
  params.writeUInt16BE(COPY_LIMITS.maxSegmentDescriptors, 6);
  params.writeUInt32BE(COPY_LIMITS.maxDescriptorListLength, 8);
  params.writeUInt32BE(0, 12); // MAXIMUM INLINE DATA LENGTH
  const parameterData = descriptor(0x0008, params);
  const supportedDescriptors = descriptor(0x8001, Buffer.from([IMPLEMENTED_DESCRIPTORS.length, ...IMPLEMENTED_DESCRIPTORS]));
  const general = Buffer.alloc(28);
  general.writeUInt32BE(COPY_LIMITS.maxConcurrentCopies, 0); // TOTAL CONCURRENT COPIES
  general.writeUInt32BE(COPY_LIMITS.maxConcurrentCopies, 4); // MAXIMUM IDENTIFIED CONCURRENT COPIES
  general.writeUInt32BE(0xffff * blockSize, 8); // MAXIMUM SEGMENT LENGTH
  general[12] = Math.log2(blockSize); // DATA SEGMENT GRANULARITY
  general[13] = 0; // INLINE DATA GRANULARITY
  const generalCopy = descriptor(0x8003, general);
  const body = Buffer.concat([supportedCommands, parameterData, supportedDescriptors, generalCopy]);
  const page = Buffer.alloc(4 + body.length);
  page[1] = 0x8f;
  page.writeUInt16BE(body.length, 2);
  body.copy(page, 4);
  return page;
}

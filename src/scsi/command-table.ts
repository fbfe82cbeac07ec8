/**
 * The command table: every command this logical unit implements, indexed by opcode (and
 * service action), each naming its handler, its CDB usage mask (for REPORT SUPPORTED
 * OPERATION CODES), its reservation access class and whether it needs the medium. This is
 * the one place that says what the device supports, as tgt's sbc.c does.
 */
import type { ScsiCommand, ScsiResult } from './types.js';
import type { BlockLogicalUnit, Task } from './logical-unit.js';
import { Op, SA_GET_LBA_STATUS, SA_READ_CAPACITY_16, SA_REPORT_SUPPORTED_OPCODES, SA_REPORT_TARGET_PORT_GROUPS, decodeReportSupportedOpcodes } from './cdb.js';
import { invalidFieldInCdb } from './sense.js';
import type { Access } from './reservations.js';
import { clip, good } from './results.js';
import {
  compareAndWrite,
  getLbaStatus,
  orWrite,
  preFetch,
  readBlocks,
  readDefectData,
  synchronizeCache,
  unmap,
  verify,
  writeAtomic16,
  writeBlocks,
  writeSame,
} from './block-commands.js';
import {
  inquiry,
  modeSelectHandler,
  modeSenseHandler,
  preventAllow,
  readCapacity10,
  readCapacity16,
  release,
  reportTargetPortGroups,
  requestSense,
  reserve,
  startStopUnit,
  testUnitReady,
} from './spc-commands.js';
import { persistentReserveIn, persistentReserveOut } from './persistent.js';
import { RECEIVE_COPY_RESULTS_ACTIONS, extendedCopy, receiveCopyResults } from './copy.js';
import { SA_BLOCK_ERASE, SA_EXIT_FAILURE_MODE, sanitizeBlockErase, sanitizeExitFailureMode } from './sanitize.js';

export type Handler = (lu: BlockLogicalUnit, cmd: ScsiCommand, task: Task) => Promise<ScsiResult> | ScsiResult;

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

/** REPORT SUPPORTED OPERATION CODES (SPC-4 6.35): all commands, or one with its usage mask. */
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

const C6 = 0x07; // control byte usage (NACA, obsolete FLAG/LINK bits)
const CTL = 0x07;

function entry(
  opcode: number,
  name: string,
  usage: number[],
  access: Access,
  medium: boolean,
  handler: Handler,
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
// biome-ignore format: one opcode per line, read as a table (tgt's sbc.c habit)
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
  entry(Op.Sanitize, 'SANITIZE', [0x48, 0xbf, 0, 0, 0, 0, 0, 0xff, 0xff, CTL], 'write', true, sanitizeBlockErase, { serviceAction: SA_BLOCK_ERASE, thinOnly: true }),
  entry(Op.Sanitize, 'SANITIZE', [0x48, 0xbf, 0, 0, 0, 0, 0, 0xff, 0xff, CTL], 'write', false, sanitizeExitFailureMode, { serviceAction: SA_EXIT_FAILURE_MODE }),
  entry(Op.ModeSelect10, 'MODE SELECT(10)', [0x55, 0x11, 0, 0, 0, 0, 0, 0xff, 0xff, CTL], 'write', false, modeSelectHandler),
  entry(Op.Reserve10, 'RESERVE(10)', [0x56, 0, 0, 0, 0, 0, 0, 0, 0, CTL], 'meta', false, reserve),
  entry(Op.Release10, 'RELEASE(10)', [0x57, 0, 0, 0, 0, 0, 0, 0, 0, CTL], 'none', false, release),
  entry(Op.ModeSense10, 'MODE SENSE(10)', [0x5a, 0x18, 0xff, 0xff, 0, 0, 0, 0xff, 0xff, CTL], 'meta', false, modeSenseHandler),
  ...[0, 1, 2, 3].map((sa) => entry(Op.PersistentReserveIn, 'PERSISTENT RESERVE IN', [0x5e, 0x1f, 0, 0, 0, 0, 0, 0xff, 0xff, CTL], 'meta', false, persistentReserveIn, { serviceAction: sa })),
  ...[0, 1, 2, 3, 4, 5, 6, 7].map((sa) => entry(Op.PersistentReserveOut, 'PERSISTENT RESERVE OUT', [0x5f, 0x1f, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff, CTL], 'meta', false, persistentReserveOut, { serviceAction: sa })),
  entry(Op.ExtendedCopy, 'EXTENDED COPY', [0x83, 0x1f, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, CTL], 'write', true, extendedCopy, { serviceAction: 0x00 }),
  ...RECEIVE_COPY_RESULTS_ACTIONS.map((sa) => entry(Op.ReceiveCopyResults, 'RECEIVE COPY RESULTS', [0x84, 0x1f, 0xff, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, CTL], 'read', false, receiveCopyResults, { serviceAction: sa })),
  entry(Op.Read16, 'READ(16)', rw16(Op.Read16), 'read', true, readBlocks),
  entry(Op.CompareAndWrite, 'COMPARE AND WRITE', [0x89, 0xfa, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0xff, 0x1f, CTL], 'write', true, compareAndWrite),
  entry(Op.Write16, 'WRITE(16)', rw16(Op.Write16), 'write', true, writeBlocks),
  entry(Op.OrWrite16, 'ORWRITE(16)', rw16(Op.OrWrite16), 'write', true, orWrite),
  entry(Op.WriteAndVerify16, 'WRITE AND VERIFY(16)', vfy16(Op.WriteAndVerify16), 'write', true, writeBlocks),
  entry(Op.Verify16, 'VERIFY(16)', vfy16(Op.Verify16), 'read', true, verify),
  entry(Op.PreFetch16, 'PRE-FETCH(16)', [0x90, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, CTL], 'read', true, preFetch),
  entry(Op.SynchronizeCache16, 'SYNCHRONIZE CACHE(16)', [0x91, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, CTL], 'write', true, synchronizeCache),
  entry(Op.WriteSame16, 'WRITE SAME(16)', [0x93, 0xf9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, CTL], 'write', true, writeSame),
  entry(Op.WriteAtomic16, 'WRITE ATOMIC(16)', [0x9c, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0xff, 0xff, 0x1f, CTL], 'write', true, writeAtomic16),
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

export const BY_OPCODE = new Map<number, CommandEntry>();
export const BY_SERVICE_ACTION = new Map<number, Map<number, CommandEntry>>();
for (const e of COMMANDS) {
  if (e.serviceAction === undefined) BY_OPCODE.set(e.opcode, e);
  else {
    let m = BY_SERVICE_ACTION.get(e.opcode);
    if (!m) {
      m = new Map();
      BY_SERVICE_ACTION.set(e.opcode, m);
    }
    m.set(e.serviceAction, e);
  }
}

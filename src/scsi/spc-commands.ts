/**
 * SPC-4 commands of a block device: TEST UNIT READY, REQUEST SENSE, INQUIRY, READ
 * CAPACITY, MODE SENSE/SELECT, START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL, REPORT
 * TARGET PORT GROUPS and SPC-2 RESERVE/RELEASE.
 */
import type { ScsiCommand, ScsiResult } from './types.js';
import type { BlockLogicalUnit } from './logical-unit.js';
import { Op, decodeInquiry, decodeModeSelect, decodeModeSense, decodeStartStop, writeU64 } from './cdb.js';
import {
  ReservationConflictError,
  SenseKey,
  UnitAttention,
  buildFixedSense,
  invalidFieldInCdb,
  mediumRemovalPrevented,
  mediumNotPresent,
  parameterListLengthError,
} from './sense.js';
import {
  Vpd,
  standardInquiry,
  vpdBlockDeviceCharacteristics,
  vpdBlockLimits,
  vpdDeviceIdentification,
  vpdLogicalBlockProvisioning,
  vpdSupportedPages,
  vpdUnitSerial,
} from './inquiry.js';
import { modeSelect, modeSense } from './mode.js';
import { vpdThirdPartyCopy } from './copy.js';
import { GOOD, clip, good } from './results.js';

export function testUnitReady(): ScsiResult {
  return GOOD;
}

export function requestSense(lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const cdb = cmd.cdb;
  if (cdb[1]! & 0x01) throw invalidFieldInCdb(1, 0); // DESC: fixed format only
  const sense = lu.sanitizing
    ? buildFixedSense(SenseKey.NotReady, 0x04, 0x1b)
    : !lu.hasMedium
      ? mediumNotPresent().toSense()
      : lu.stopped
        ? buildFixedSense(SenseKey.NotReady, 0x04, 0x02)
        : buildFixedSense(SenseKey.NoSense, 0, 0);
  return good(clip(sense, cdb[4]!));
}

export function inquiry(lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const req = decodeInquiry(cmd.cdb);
  let data: Buffer;
  if (!req.evpd) data = standardInquiry(lu.spec, { tpgs: true, connected: !lu.closed });
  else {
    switch (req.pageCode) {
      case Vpd.SupportedPages:
        data = vpdSupportedPages();
        break;
      case Vpd.UnitSerialNumber:
        data = vpdUnitSerial(lu.spec);
        break;
      case Vpd.DeviceIdentification:
        data = vpdDeviceIdentification(lu.spec, cmd.nexus);
        break;
      case Vpd.ThirdPartyCopy:
        data = vpdThirdPartyCopy(lu.blockSize);
        break;
      case Vpd.BlockLimits:
        data = vpdBlockLimits(lu.limits, lu.spec.thin);
        break;
      case Vpd.BlockDeviceCharacteristics:
        data = vpdBlockDeviceCharacteristics(lu.spec.rotationRate, lu.spec.thin);
        break;
      case Vpd.LogicalBlockProvisioning:
        data = vpdLogicalBlockProvisioning(lu.spec.thin);
        break;
      default:
        throw invalidFieldInCdb(2);
    }
  }
  return good(clip(data, req.allocationLength));
}

export function readCapacity10(lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const cdb = cmd.cdb;
  if ((cdb[8]! & 0x01) === 0 && cdb.readUInt32BE(2) !== 0) throw invalidFieldInCdb(2);
  const b = Buffer.alloc(8);
  const last = lu.blocks - 1;
  b.writeUInt32BE(last > 0xffffffff ? 0xffffffff : Math.max(0, last), 0);
  b.writeUInt32BE(lu.blockSize, 4);
  return good(b);
}

export function readCapacity16(lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const cdb = cmd.cdb;
  const alloc = cdb.readUInt32BE(10);
  const b = Buffer.alloc(32);
  writeU64(b, 0, Math.max(0, lu.blocks - 1));
  b.writeUInt32BE(lu.blockSize, 8);
  // LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT (see BlockLogicalUnit.physicalExponent);
  // LOWEST ALIGNED LBA 0.
  b[13] = lu.physicalExponent & 0x0f;
  if (lu.spec.thin) b[14] = 0x80 | 0x40; // LBPME, LBPRZ
  return good(clip(b, alloc));
}

export function modeSenseHandler(lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const req = decodeModeSense(cmd.cdb);
  const data = modeSense(
    req,
    lu.mode,
    lu.blocks,
    lu.blockSize,
    lu.spec.readOnly || lu.backstore.readOnly === true || lu.mode.swp || cmd.nexus.readOnly === true,
  );
  return good(clip(data, req.allocationLength));
}

export function modeSelectHandler(lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const req = decodeModeSelect(cmd.cdb);
  if (req.parameterListLength === 0) return GOOD;
  const data = cmd.dataOut;
  if (!data || data.length < req.parameterListLength) throw parameterListLengthError();
  const next = modeSelect(data.subarray(0, req.parameterListLength), req.ten, req.pf, req.sp, lu.mode, lu.blockSize);
  if (next.wce !== lu.mode.wce || next.swp !== lu.mode.swp) {
    lu.mode = next;
    lu.queueUa(UnitAttention.ModeParametersChanged, cmd.nexus);
  }
  return GOOD;
}

export async function startStopUnit(lu: BlockLogicalUnit, cmd: ScsiCommand): Promise<ScsiResult> {
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

export function preventAllow(lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const prevent = cmd.cdb[4]! & 0x03;
  if (prevent > 1) throw invalidFieldInCdb(4, 1);
  lu.nexusState(cmd.nexus).prevent = prevent === 1;
  return GOOD;
}

export function reportTargetPortGroups(_lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
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

// ---- handlers: SPC-2 reservations -----------------------------------------------------

export function reserve(lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const cdb = cmd.cdb;
  // Third-party and extent reservations are obsolete.
  if (cdb[0] === Op.Reserve10 ? cdb[1]! & 0x12 : cdb[1]! & 0x1f) throw invalidFieldInCdb(1);
  const r = lu.reservations;
  // CRH (reported in PR REPORT CAPABILITIES): with a persistent reservation in place the
  // holder's RESERVE succeeds without effect and everyone else's conflicts (SPC-4 5.13.3).
  if (r.reservation !== null) {
    if (r.isHolder(cmd.nexus)) return GOOD;
    throw new ReservationConflictError();
  }
  if (r.legacyHolder !== null && r.legacyHolder !== cmd.nexus.key) throw new ReservationConflictError();
  r.legacyHolder = cmd.nexus.key;
  return GOOD;
}

export function release(lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const r = lu.reservations;
  if (r.legacyHolder === cmd.nexus.key) r.legacyHolder = null;
  return GOOD;
}

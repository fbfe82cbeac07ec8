/**
 * The commands the target answers itself, whatever logical unit is addressed: REPORT
 * LUNS for any LUN (SPC-4 6.33), and INQUIRY, REQUEST SENSE and everything else sent to
 * a LUN with no logical unit behind it (SAM-5 5.9.5: LOGICAL UNIT NOT SUPPORTED).
 * Pure functions of the CDB and the LUN map the command arrived with.
 */
import { Op } from './cdb.js';
import { SenseKey, buildFixedSense } from './sense.js';
import { ScsiStatus, type LogicalUnit, type ScsiResult } from './types.js';

const SENSE_LUN_NOT_SUPPORTED = buildFixedSense(SenseKey.IllegalRequest, 0x25, 0x00);
const SENSE_INVALID_FIELD_IN_CDB = buildFixedSense(SenseKey.IllegalRequest, 0x24, 0x00);
const SENSE_INVALID_OPCODE = buildFixedSense(SenseKey.IllegalRequest, 0x20, 0x00);

function checkCondition(sense: Buffer): ScsiResult {
  return { status: ScsiStatus.CheckCondition, sense };
}

/**
 * The target's own answer to a command, or null when the logical unit `lu` runs it:
 * REPORT LUNS always, anything at all when there is no logical unit.
 */
export function answerAtTarget(cdb: Buffer, lu: LogicalUnit | undefined, luns: ReadonlyMap<number, LogicalUnit>): ScsiResult | null {
  const op = cdb[0]!;
  if (op === Op.ReportLuns) return reportLuns(cdb, luns.keys());
  if (lu) return null;
  if (op === Op.Inquiry) return inquiryNoLun(cdb);
  if (op === Op.RequestSense) {
    const alloc = cdb[4]!;
    return { status: ScsiStatus.Good, data: SENSE_LUN_NOT_SUPPORTED.subarray(0, Math.min(alloc, 18)) };
  }
  return checkCondition(SENSE_LUN_NOT_SUPPORTED);
}

/** REPORT LUNS, answered by the target for any LUN (SPC-4 6.33). */
function reportLuns(cdb: Buffer, luns: Iterable<number>): ScsiResult {
  if (cdb.length < 12) return checkCondition(SENSE_INVALID_OPCODE);
  const select = cdb[2]!;
  const alloc = cdb.readUInt32BE(6);
  if (alloc < 16) return checkCondition(SENSE_INVALID_FIELD_IN_CDB);
  const list = select === 0x01 ? [] : [...luns].sort((a, b) => a - b);
  if (select > 0x02 && select !== 0x10 && select !== 0x11 && select !== 0x12) return checkCondition(SENSE_INVALID_FIELD_IN_CDB);
  const out = Buffer.alloc(8 + list.length * 8);
  out.writeUInt32BE(list.length * 8, 0);
  list.forEach((lun, i) => {
    const off = 8 + i * 8;
    if (lun < 256) out[off + 1] = lun;
    else {
      out[off] = 0x40 | ((lun >>> 8) & 0x3f);
      out[off + 1] = lun & 0xff;
    }
  });
  return { status: ScsiStatus.Good, data: out.subarray(0, Math.min(alloc, out.length)) };
}

/** INQUIRY to a LUN with no logical unit: peripheral qualifier 3, device type 1Fh. */
function inquiryNoLun(cdb: Buffer): ScsiResult {
  const alloc = cdb.readUInt16BE(3);
  const evpd = (cdb[1]! & 1) !== 0;
  let data: Buffer;
  if (evpd) {
    data = Buffer.alloc(4);
    data[0] = 0x7f;
    data[1] = cdb[2]!;
  } else {
    if (cdb[2] !== 0) return checkCondition(SENSE_INVALID_FIELD_IN_CDB);
    data = Buffer.alloc(36, 0x20);
    data[0] = 0x7f;
    data[1] = 0;
    data[2] = 0x06;
    data[3] = 0x02;
    data[4] = 31;
    data[5] = 0;
    data[6] = 0;
    data[7] = 0x02; // CmdQue
    data.write('SANBOX  ', 8, 'latin1');
  }
  return { status: ScsiStatus.Good, data: data.subarray(0, Math.min(alloc, data.length)) };
}

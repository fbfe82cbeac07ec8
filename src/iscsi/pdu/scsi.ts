/**
 * The SCSI I/O messages (RFC 7143 11.3-11.8): SCSI Command, SCSI Response, Data-Out,
 * Data-In and R2T. One parse and one serialize per message.
 */
import { BHS_LENGTH, Opcode, RESERVED_TAG, decodeLun, encodeLun, isFinal, isImmediate, newBhs, writeSeq, type Pdu, type SeqNumbers } from './bhs.js';

export interface ScsiCommandPdu {
  immediate: boolean;
  final: boolean;
  read: boolean;
  write: boolean;
  attribute: number;
  lun: number;
  itt: number;
  expectedLength: number;
  cmdSN: number;
  expStatSN: number;
  cdb: Buffer;
}

export function parseScsiCommand(pdu: Pdu): ScsiCommandPdu {
  const b = pdu.bhs;
  let cdb = b.subarray(32, 48);
  if (pdu.ahs) {
    // Extended CDB AHS (type 1): length(2) type(1) reserved(1) then CDB bytes 16..
    const ahsLen = pdu.ahs.readUInt16BE(0);
    if (pdu.ahs[2] === 1 && ahsLen >= 1 && ahsLen - 1 + 4 <= pdu.ahs.length) {
      cdb = Buffer.concat([cdb, pdu.ahs.subarray(4, 4 + ahsLen - 1)]);
    }
  }
  return {
    immediate: isImmediate(b),
    final: (b[1]! & 0x80) !== 0,
    read: (b[1]! & 0x40) !== 0,
    write: (b[1]! & 0x20) !== 0,
    attribute: b[1]! & 0x07,
    lun: decodeLun(b),
    itt: b.readUInt32BE(16),
    expectedLength: b.readUInt32BE(20),
    cmdSN: b.readUInt32BE(24),
    expStatSN: b.readUInt32BE(28),
    cdb,
  };
}

export function serializeScsiCommand(c: Omit<ScsiCommandPdu, 'cdb'> & { cdb: Buffer }): Buffer {
  const b = newBhs(Opcode.ScsiCommand | (c.immediate ? 0x40 : 0), (c.final ? 0x80 : 0) | (c.read ? 0x40 : 0) | (c.write ? 0x20 : 0) | (c.attribute & 7));
  encodeLun(c.lun, b);
  b.writeUInt32BE(c.itt >>> 0, 16);
  b.writeUInt32BE(c.expectedLength >>> 0, 20);
  b.writeUInt32BE(c.cmdSN >>> 0, 24);
  b.writeUInt32BE(c.expStatSN >>> 0, 28);
  c.cdb.copy(b, 32, 0, Math.min(16, c.cdb.length));
  return b;
}

export interface DataOutPdu {
  final: boolean;
  lun: number;
  itt: number;
  ttt: number;
  expStatSN: number;
  dataSN: number;
  bufferOffset: number;
}

export function parseDataOut(pdu: Pdu): DataOutPdu {
  const b = pdu.bhs;
  return {
    final: isFinal(b),
    lun: decodeLun(b),
    itt: b.readUInt32BE(16),
    ttt: b.readUInt32BE(20),
    expStatSN: b.readUInt32BE(28),
    dataSN: b.readUInt32BE(36),
    bufferOffset: b.readUInt32BE(40),
  };
}

export function serializeDataOut(d: DataOutPdu): Buffer {
  const b = newBhs(Opcode.DataOut, d.final ? 0x80 : 0);
  encodeLun(d.lun, b);
  b.writeUInt32BE(d.itt >>> 0, 16);
  b.writeUInt32BE(d.ttt >>> 0, 20);
  b.writeUInt32BE(d.expStatSN >>> 0, 28);
  b.writeUInt32BE(d.dataSN >>> 0, 36);
  b.writeUInt32BE(d.bufferOffset >>> 0, 40);
  return b;
}
export interface ScsiResponsePdu extends SeqNumbers {
  overflow: boolean;
  underflow: boolean;
  response: number;
  status: number;
  itt: number;
  expDataSN: number;
  residualCount: number;
}

export function serializeScsiResponse(r: ScsiResponsePdu): Buffer {
  const b = newBhs(Opcode.ScsiResponse, 0x80 | (r.overflow ? 0x04 : 0) | (r.underflow ? 0x02 : 0));
  b[2] = r.response;
  b[3] = r.status;
  b.writeUInt32BE(r.itt >>> 0, 16);
  writeSeq(b, r);
  b.writeUInt32BE(r.expDataSN >>> 0, 36);
  b.writeUInt32BE(r.residualCount >>> 0, 44);
  return b;
}

export function parseScsiResponse(pdu: Pdu): ScsiResponsePdu & { sense: Buffer | null } {
  const b = pdu.bhs;
  let sense: Buffer | null = null;
  if (pdu.data.length >= 2) {
    const sl = pdu.data.readUInt16BE(0);
    sense = pdu.data.subarray(2, 2 + sl);
  }
  return {
    overflow: (b[1]! & 0x04) !== 0,
    underflow: (b[1]! & 0x02) !== 0,
    response: b[2]!,
    status: b[3]!,
    itt: b.readUInt32BE(16),
    statSN: b.readUInt32BE(24),
    expCmdSN: b.readUInt32BE(28),
    maxCmdSN: b.readUInt32BE(32),
    expDataSN: b.readUInt32BE(36),
    residualCount: b.readUInt32BE(44),
    sense,
  };
}

export interface DataInPdu extends SeqNumbers {
  final: boolean;
  /** S bit: status in this PDU. */
  hasStatus: boolean;
  overflow: boolean;
  underflow: boolean;
  status: number;
  lun: number;
  itt: number;
  dataSN: number;
  bufferOffset: number;
  residualCount: number;
}

/** Write a Data-In header into a 48-byte buffer (reusable by the caller). */
export function serializeDataIn(d: DataInPdu, b: Buffer = Buffer.allocUnsafe(BHS_LENGTH)): Buffer {
  b.fill(0);
  b[0] = Opcode.DataIn;
  b[1] = (d.final ? 0x80 : 0) | (d.hasStatus ? 0x01 | (d.overflow ? 0x04 : 0) | (d.underflow ? 0x02 : 0) : 0);
  if (d.hasStatus) b[3] = d.status;
  encodeLun(d.lun, b);
  b.writeUInt32BE(d.itt >>> 0, 16);
  b.writeUInt32BE(RESERVED_TAG, 20);
  b.writeUInt32BE(d.hasStatus ? d.statSN >>> 0 : 0, 24);
  b.writeUInt32BE(d.expCmdSN >>> 0, 28);
  b.writeUInt32BE(d.maxCmdSN >>> 0, 32);
  b.writeUInt32BE(d.dataSN >>> 0, 36);
  b.writeUInt32BE(d.bufferOffset >>> 0, 40);
  b.writeUInt32BE(d.hasStatus ? d.residualCount >>> 0 : 0, 44);
  return b;
}

export function parseDataIn(pdu: Pdu): DataInPdu {
  const b = pdu.bhs;
  return {
    final: (b[1]! & 0x80) !== 0,
    hasStatus: (b[1]! & 0x01) !== 0,
    overflow: (b[1]! & 0x04) !== 0,
    underflow: (b[1]! & 0x02) !== 0,
    status: b[3]!,
    lun: decodeLun(b),
    itt: b.readUInt32BE(16),
    statSN: b.readUInt32BE(24),
    expCmdSN: b.readUInt32BE(28),
    maxCmdSN: b.readUInt32BE(32),
    dataSN: b.readUInt32BE(36),
    bufferOffset: b.readUInt32BE(40),
    residualCount: b.readUInt32BE(44),
  };
}

export interface R2TPdu extends SeqNumbers {
  lun: number;
  itt: number;
  ttt: number;
  r2tSN: number;
  bufferOffset: number;
  desiredLength: number;
}

export function serializeR2T(r: R2TPdu): Buffer {
  const b = newBhs(Opcode.R2T, 0x80);
  encodeLun(r.lun, b);
  b.writeUInt32BE(r.itt >>> 0, 16);
  b.writeUInt32BE(r.ttt >>> 0, 20);
  writeSeq(b, r);
  b.writeUInt32BE(r.r2tSN >>> 0, 36);
  b.writeUInt32BE(r.bufferOffset >>> 0, 40);
  b.writeUInt32BE(r.desiredLength >>> 0, 44);
  return b;
}

export function parseR2T(pdu: Pdu): R2TPdu {
  const b = pdu.bhs;
  return {
    lun: decodeLun(b),
    itt: b.readUInt32BE(16),
    ttt: b.readUInt32BE(20),
    statSN: b.readUInt32BE(24),
    expCmdSN: b.readUInt32BE(28),
    maxCmdSN: b.readUInt32BE(32),
    r2tSN: b.readUInt32BE(36),
    bufferOffset: b.readUInt32BE(40),
    desiredLength: b.readUInt32BE(44),
  };
}

/**
 * CDB decoding: pure functions over the CDB bytes, no state and no I/O. Field errors throw
 * ScsiCheckCondition with the sense-key-specific field pointer of the offending byte.
 */
import { invalidFieldInCdb } from './sense.js';

export const enum Op {
  TestUnitReady = 0x00,
  RequestSense = 0x03,
  Read6 = 0x08,
  Write6 = 0x0a,
  Inquiry = 0x12,
  ModeSelect6 = 0x15,
  Reserve6 = 0x16,
  Release6 = 0x17,
  ModeSense6 = 0x1a,
  StartStopUnit = 0x1b,
  PreventAllowMediumRemoval = 0x1e,
  ReadCapacity10 = 0x25,
  Read10 = 0x28,
  Write10 = 0x2a,
  WriteAndVerify10 = 0x2e,
  Verify10 = 0x2f,
  Sanitize = 0x48,
  PreFetch10 = 0x34,
  SynchronizeCache10 = 0x35,
  ReadDefectData10 = 0x37,
  WriteSame10 = 0x41,
  Unmap = 0x42,
  ModeSelect10 = 0x55,
  Reserve10 = 0x56,
  Release10 = 0x57,
  ModeSense10 = 0x5a,
  PersistentReserveIn = 0x5e,
  PersistentReserveOut = 0x5f,
  ExtendedCopy = 0x83,
  ReceiveCopyResults = 0x84,
  Read16 = 0x88,
  CompareAndWrite = 0x89,
  Write16 = 0x8a,
  OrWrite16 = 0x8b,
  WriteAndVerify16 = 0x8e,
  Verify16 = 0x8f,
  SynchronizeCache16 = 0x91,
  PreFetch16 = 0x90,
  WriteSame16 = 0x93,
  WriteAtomic16 = 0x9c,
  ServiceActionIn16 = 0x9e,
  ReportLuns = 0xa0,
  MaintenanceIn = 0xa3,
  Read12 = 0xa8,
  Write12 = 0xaa,
  WriteAndVerify12 = 0xae,
  Verify12 = 0xaf,
  ReadDefectData12 = 0xb7,
}

/** Service actions of SERVICE ACTION IN(16) (9Eh) and MAINTENANCE IN (A3h). */
export const SA_READ_CAPACITY_16 = 0x10;
export const SA_GET_LBA_STATUS = 0x12;
export const SA_REPORT_TARGET_PORT_GROUPS = 0x0a;
export const SA_REPORT_SUPPORTED_OPCODES = 0x0c;

/** Length of a CDB by its group code (SPC-4 4.2.5.1); 0 for vendor-specific groups. */
export function cdbLength(opcode: number): number {
  switch (opcode >> 5) {
    case 0:
      return 6;
    case 1:
    case 2:
      return 10;
    case 4:
      return 16;
    case 5:
      return 12;
    default:
      return 0;
  }
}

/** A 64-bit big-endian field as a JS number (values past 2^53 only ever mean "out of range"). */
export function readU64(b: Buffer, at: number): number {
  return b.readUInt32BE(at) * 0x1_0000_0000 + b.readUInt32BE(at + 4);
}

export function writeU64(b: Buffer, at: number, v: number): void {
  b.writeUInt32BE(Math.floor(v / 0x1_0000_0000) >>> 0, at);
  b.writeUInt32BE(v >>> 0, at + 4);
}

/** READ/WRITE/VERIFY/WRITE AND VERIFY/ORWRITE in their 6/10/12/16-byte forms. */
export interface BlockIo {
  lba: number;
  /** Number of logical blocks (READ(6)/WRITE(6): 0 already turned into 256). */
  blocks: number;
  fua: boolean;
  dpo: boolean;
  /** VERIFY / WRITE AND VERIFY: BYTCHK (0 no data, 1 compare, 3 one block for all). */
  bytchk: number;
}

/**
 * Decode the LBA and transfer length of a block I/O CDB. Rejects protection information
 * (RDPROTECT/WRPROTECT/VRPROTECT) because this target formats without it.
 */
export function decodeBlockIo(cdb: Buffer): BlockIo {
  const op = cdb[0]!;
  let lba: number;
  let blocks: number;
  let flags = 0;
  switch (op) {
    case Op.Read6:
    case Op.Write6: {
      lba = ((cdb[1]! & 0x1f) << 16) | (cdb[2]! << 8) | cdb[3]!;
      blocks = cdb[4]! === 0 ? 256 : cdb[4]!;
      return { lba, blocks, fua: false, dpo: false, bytchk: 0 };
    }
    case Op.Read10:
    case Op.Write10:
    case Op.Verify10:
    case Op.WriteAndVerify10:
      flags = cdb[1]!;
      lba = cdb.readUInt32BE(2);
      blocks = cdb.readUInt16BE(7);
      break;
    case Op.Read12:
    case Op.Write12:
    case Op.Verify12:
    case Op.WriteAndVerify12:
      flags = cdb[1]!;
      lba = cdb.readUInt32BE(2);
      blocks = cdb.readUInt32BE(6);
      break;
    case Op.Read16:
    case Op.Write16:
    case Op.Verify16:
    case Op.WriteAndVerify16:
    case Op.OrWrite16:
      flags = cdb[1]!;
      lba = readU64(cdb, 2);
      blocks = cdb.readUInt32BE(10);
      break;
    default:
      throw invalidFieldInCdb(0);
  }
  if (flags & 0xe0) throw invalidFieldInCdb(1, 7);
  const isVerify =
    op === Op.Verify10 || op === Op.Verify12 || op === Op.Verify16 || op === Op.WriteAndVerify10 || op === Op.WriteAndVerify12 || op === Op.WriteAndVerify16;
  let bytchk = 0;
  if (isVerify) {
    bytchk = (flags >> 1) & 0x3;
    const isWav = op === Op.WriteAndVerify10 || op === Op.WriteAndVerify12 || op === Op.WriteAndVerify16;
    // BYTCHK 10b is reserved; WRITE AND VERIFY only knows 00b and 01b.
    if (bytchk === 2 || (isWav && bytchk === 3)) throw invalidFieldInCdb(1, 2);
  }
  return {
    lba,
    blocks,
    fua: !isVerify && (flags & 0x08) !== 0,
    dpo: (flags & 0x10) !== 0,
    bytchk,
  };
}

export interface SyncCache {
  lba: number;
  /** 0 means "to the end of the medium". */
  blocks: number;
  immed: boolean;
}

export function decodeSynchronizeCache(cdb: Buffer): SyncCache {
  if (cdb[0] === Op.SynchronizeCache10) {
    return { lba: cdb.readUInt32BE(2), blocks: cdb.readUInt16BE(7), immed: (cdb[1]! & 0x02) !== 0 };
  }
  return { lba: readU64(cdb, 2), blocks: cdb.readUInt32BE(10), immed: (cdb[1]! & 0x02) !== 0 };
}

export interface WriteSame {
  lba: number;
  /** 0 means "to the end of the medium" (only when WSNZ is 0). */
  blocks: number;
  unmap: boolean;
  anchor: boolean;
  ndob: boolean;
}

export function decodeWriteSame(cdb: Buffer): WriteSame {
  const flags = cdb[1]!;
  if (flags & 0xe0) throw invalidFieldInCdb(1, 7);
  if (cdb[0] === Op.WriteSame10) {
    return { lba: cdb.readUInt32BE(2), blocks: cdb.readUInt16BE(7), unmap: (flags & 0x08) !== 0, anchor: (flags & 0x10) !== 0, ndob: false };
  }
  return { lba: readU64(cdb, 2), blocks: cdb.readUInt32BE(10), unmap: (flags & 0x08) !== 0, anchor: (flags & 0x10) !== 0, ndob: (flags & 0x01) !== 0 };
}

export interface Inquiry {
  evpd: boolean;
  pageCode: number;
  allocationLength: number;
}

export function decodeInquiry(cdb: Buffer): Inquiry {
  if (cdb[1]! & 0x02) throw invalidFieldInCdb(1, 1); // CMDDT (obsolete)
  const evpd = (cdb[1]! & 0x01) !== 0;
  const pageCode = cdb[2]!;
  if (!evpd && pageCode !== 0) throw invalidFieldInCdb(2);
  return { evpd, pageCode, allocationLength: cdb.readUInt16BE(3) };
}

export interface ModeSense {
  ten: boolean;
  dbd: boolean;
  llbaa: boolean;
  /** 0 current, 1 changeable, 2 default, 3 saved. */
  pageControl: number;
  pageCode: number;
  subpageCode: number;
  allocationLength: number;
}

export function decodeModeSense(cdb: Buffer): ModeSense {
  const ten = cdb[0] === Op.ModeSense10;
  return {
    ten,
    dbd: (cdb[1]! & 0x08) !== 0,
    llbaa: ten && (cdb[1]! & 0x10) !== 0,
    pageControl: cdb[2]! >> 6,
    pageCode: cdb[2]! & 0x3f,
    subpageCode: cdb[3]!,
    allocationLength: ten ? cdb.readUInt16BE(7) : cdb[4]!,
  };
}

export interface ModeSelect {
  ten: boolean;
  pf: boolean;
  sp: boolean;
  parameterListLength: number;
}

export function decodeModeSelect(cdb: Buffer): ModeSelect {
  const ten = cdb[0] === Op.ModeSelect10;
  return {
    ten,
    pf: (cdb[1]! & 0x10) !== 0,
    sp: (cdb[1]! & 0x01) !== 0,
    parameterListLength: ten ? cdb.readUInt16BE(7) : cdb[4]!,
  };
}

export interface StartStop {
  immed: boolean;
  powerCondition: number;
  loej: boolean;
  start: boolean;
  noFlush: boolean;
}

export function decodeStartStop(cdb: Buffer): StartStop {
  return {
    immed: (cdb[1]! & 0x01) !== 0,
    powerCondition: cdb[4]! >> 4,
    noFlush: (cdb[4]! & 0x04) !== 0,
    loej: (cdb[4]! & 0x02) !== 0,
    start: (cdb[4]! & 0x01) !== 0,
  };
}

export interface ReportSupportedOpcodes {
  rctd: boolean;
  options: number;
  opcode: number;
  serviceAction: number;
  allocationLength: number;
}

export function decodeReportSupportedOpcodes(cdb: Buffer): ReportSupportedOpcodes {
  const options = cdb[2]! & 0x07;
  if (options > 3) throw invalidFieldInCdb(2, 2);
  return {
    rctd: (cdb[2]! & 0x80) !== 0,
    options,
    opcode: cdb[3]!,
    serviceAction: cdb.readUInt16BE(4),
    allocationLength: cdb.readUInt32BE(6),
  };
}

export interface LbaStatusRequest {
  lba: number;
  allocationLength: number;
}

export function decodeGetLbaStatus(cdb: Buffer): LbaStatusRequest {
  return { lba: readU64(cdb, 2), allocationLength: cdb.readUInt32BE(10) };
}

/**
 * Bytes of Data-Out a CDB asks for (SPDTL), or undefined for commands without Data-Out.
 * The transport derives write residuals from it (ScsiResult.dataOutLength).
 */
export function dataOutLength(cdb: Buffer, blockSize: number): number | undefined {
  if (cdb.length === 0 || cdb.length < cdbLength(cdb[0]!)) return undefined;
  switch (cdb[0]) {
    case Op.Write6:
      return (cdb[4]! === 0 ? 256 : cdb[4]!) * blockSize;
    case Op.Write10:
    case Op.WriteAndVerify10:
      return cdb.readUInt16BE(7) * blockSize;
    case Op.Write12:
    case Op.WriteAndVerify12:
      return cdb.readUInt32BE(6) * blockSize;
    case Op.Write16:
    case Op.WriteAndVerify16:
    case Op.OrWrite16:
      return cdb.readUInt32BE(10) * blockSize;
    case Op.Verify10:
    case Op.Verify12:
    case Op.Verify16: {
      const bytchk = (cdb[1]! >> 1) & 3;
      if (bytchk === 0) return 0;
      if (bytchk === 3) return blockSize;
      const blocks = cdb[0] === Op.Verify10 ? cdb.readUInt16BE(7) : cdb[0] === Op.Verify12 ? cdb.readUInt32BE(6) : cdb.readUInt32BE(10);
      return blocks * blockSize;
    }
    case Op.WriteSame10:
      return blockSize;
    case Op.WriteSame16:
      return cdb[1]! & 0x01 ? 0 : blockSize;
    case Op.CompareAndWrite:
      return 2 * cdb[13]! * blockSize;
    case Op.WriteAtomic16:
      return cdb.readUInt16BE(12) * blockSize;
    case Op.Unmap:
    case Op.ModeSelect10:
    case Op.Sanitize:
      return cdb.readUInt16BE(7);
    case Op.ModeSelect6:
      return cdb[4]!;
    case Op.PersistentReserveOut:
      return cdb.readUInt32BE(5);
    case Op.ExtendedCopy:
      return cdb.readUInt32BE(10);
    default:
      return undefined;
  }
}

/** REPORT LUNS (SPC-4 6.33): the LUN list for the LUNs given, single-level peripheral addressing. */
export function buildReportLuns(luns: readonly number[], allocation: number): Buffer {
  const sorted = [...luns].sort((a, b) => a - b);
  const b = Buffer.alloc(8 + 8 * sorted.length);
  b.writeUInt32BE(8 * sorted.length, 0);
  sorted.forEach((lun, i) => {
    if (lun < 256) b[8 + i * 8 + 1] = lun;
    else b.writeUInt16BE(0x4000 | (lun & 0x3fff), 8 + i * 8); // flat space addressing
  });
  return allocation < b.length ? b.subarray(0, allocation) : b;
}

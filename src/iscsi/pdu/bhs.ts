/**
 * The Basic Header Segment (RFC 7143 11.2): opcodes, the fields every PDU shares (opcode,
 * I bit, F bit, DataSegmentLength, LUN) and the sequence numbers of target PDUs. Pure
 * functions over the 48 header bytes; the framer and every message codec build on them.
 */

export const BHS_LENGTH = 48;
export const RESERVED_TAG = 0xffffffff;

export const enum Opcode {
  // initiator → target
  NopOut = 0x00,
  ScsiCommand = 0x01,
  TaskMgmtRequest = 0x02,
  LoginRequest = 0x03,
  TextRequest = 0x04,
  DataOut = 0x05,
  LogoutRequest = 0x06,
  Snack = 0x10,
  // target → initiator
  NopIn = 0x20,
  ScsiResponse = 0x21,
  TaskMgmtResponse = 0x22,
  LoginResponse = 0x23,
  TextResponse = 0x24,
  DataIn = 0x25,
  LogoutResponse = 0x26,
  R2T = 0x31,
  AsyncMessage = 0x32,
  Reject = 0x3f,
}

export interface Pdu {
  /** The 48-byte BHS. */
  readonly bhs: Buffer;
  /** Additional header segments, or null. */
  readonly ahs: Buffer | null;
  /** The data segment without padding (possibly empty). */
  readonly data: Buffer;
}

export function opcodeOf(bhs: Buffer): number {
  return bhs[0]! & 0x3f;
}
export function isImmediate(bhs: Buffer): boolean {
  return (bhs[0]! & 0x40) !== 0;
}
export function isFinal(bhs: Buffer): boolean {
  return (bhs[1]! & 0x80) !== 0;
}
export function dataSegmentLength(bhs: Buffer): number {
  return (bhs[5]! << 16) | (bhs[6]! << 8) | bhs[7]!;
}
export function setDataSegmentLength(bhs: Buffer, len: number): void {
  bhs[5] = (len >>> 16) & 0xff;
  bhs[6] = (len >>> 8) & 0xff;
  bhs[7] = len & 0xff;
}
export function padLength(len: number): number {
  return (4 - (len & 3)) & 3;
}

/* ------------------------------------------------------------------ LUN field */

/**
 * Decode the 8-byte LUN field (SAM: peripheral or flat addressing); -1 if unsupported.
 * Peripheral addressing with a non-zero bus byte is read like flat addressing, as
 * libiscsi and Linux put LUNs >= 256 on the wire as plain 16-bit numbers.
 */
export function decodeLun(bhs: Buffer, off = 8): number {
  const b0 = bhs[off]!;
  const method = b0 >>> 6;
  if (method === 0 || method === 1) return ((b0 & 0x3f) << 8) | bhs[off + 1]!;
  return -1;
}

/** Encode a LUN number as the 8-byte field: <256 peripheral (00 lun), else flat (0x40|hi). */
export function encodeLun(lun: number, buf: Buffer, off = 8): void {
  buf.fill(0, off, off + 8);
  if (lun < 256) {
    buf[off + 1] = lun;
  } else {
    buf[off] = 0x40 | ((lun >>> 8) & 0x3f);
    buf[off + 1] = lun & 0xff;
  }
}

/** A zeroed BHS with its opcode byte and flags byte set. */
export function newBhs(opcode: number, flags: number): Buffer {
  const b = Buffer.alloc(BHS_LENGTH);
  b[0] = opcode;
  b[1] = flags;
  return b;
}

/** Fields every target PDU carrying sequence numbers has. */
export interface SeqNumbers {
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
}

export function writeSeq(b: Buffer, s: SeqNumbers): void {
  b.writeUInt32BE(s.statSN >>> 0, 24);
  b.writeUInt32BE(s.expCmdSN >>> 0, 28);
  b.writeUInt32BE(s.maxCmdSN >>> 0, 32);
}

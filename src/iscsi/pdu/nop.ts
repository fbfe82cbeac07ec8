/** NOP-Out and NOP-In (RFC 7143 11.18, 11.19). */
import { Opcode, decodeLun, encodeLun, isImmediate, newBhs, writeSeq, type Pdu, type SeqNumbers } from './bhs.js';

export interface NopOutPdu {
  immediate: boolean;
  lun: number;
  itt: number;
  ttt: number;
  cmdSN: number;
  expStatSN: number;
}

export function parseNopOut(pdu: Pdu): NopOutPdu {
  const b = pdu.bhs;
  return {
    immediate: isImmediate(b),
    lun: decodeLun(b),
    itt: b.readUInt32BE(16),
    ttt: b.readUInt32BE(20),
    cmdSN: b.readUInt32BE(24),
    expStatSN: b.readUInt32BE(28),
  };
}

export function serializeNopOut(n: NopOutPdu): Buffer {
  const b = newBhs(Opcode.NopOut | (n.immediate ? 0x40 : 0), 0x80);
  encodeLun(n.lun, b);
  b.writeUInt32BE(n.itt >>> 0, 16);
  b.writeUInt32BE(n.ttt >>> 0, 20);
  b.writeUInt32BE(n.cmdSN >>> 0, 24);
  b.writeUInt32BE(n.expStatSN >>> 0, 28);
  return b;
}
export interface NopInPdu extends SeqNumbers {
  lun: number;
  itt: number;
  ttt: number;
}

export function serializeNopIn(n: NopInPdu): Buffer {
  const b = newBhs(Opcode.NopIn, 0x80);
  encodeLun(n.lun, b);
  b.writeUInt32BE(n.itt >>> 0, 16);
  b.writeUInt32BE(n.ttt >>> 0, 20);
  writeSeq(b, n);
  return b;
}

export function parseNopIn(pdu: Pdu): NopInPdu {
  const b = pdu.bhs;
  return {
    lun: decodeLun(b),
    itt: b.readUInt32BE(16),
    ttt: b.readUInt32BE(20),
    statSN: b.readUInt32BE(24),
    expCmdSN: b.readUInt32BE(28),
    maxCmdSN: b.readUInt32BE(32),
  };
}

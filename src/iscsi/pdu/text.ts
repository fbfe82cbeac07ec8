/** Text Request and Text Response headers (RFC 7143 11.10, 11.11); the key=value pairs are ../text.ts. */
import { Opcode, decodeLun, encodeLun, isImmediate, newBhs, writeSeq, type Pdu, type SeqNumbers } from './bhs.js';

export interface TextRequestPdu {
  immediate: boolean;
  final: boolean;
  cont: boolean;
  lun: number;
  itt: number;
  ttt: number;
  cmdSN: number;
  expStatSN: number;
}

export function parseTextRequest(pdu: Pdu): TextRequestPdu {
  const b = pdu.bhs;
  return {
    immediate: isImmediate(b),
    final: (b[1]! & 0x80) !== 0,
    cont: (b[1]! & 0x40) !== 0,
    lun: decodeLun(b),
    itt: b.readUInt32BE(16),
    ttt: b.readUInt32BE(20),
    cmdSN: b.readUInt32BE(24),
    expStatSN: b.readUInt32BE(28),
  };
}

export function serializeTextRequest(t: TextRequestPdu): Buffer {
  const b = newBhs(Opcode.TextRequest | (t.immediate ? 0x40 : 0), (t.final ? 0x80 : 0) | (t.cont ? 0x40 : 0));
  encodeLun(t.lun, b);
  b.writeUInt32BE(t.itt >>> 0, 16);
  b.writeUInt32BE(t.ttt >>> 0, 20);
  b.writeUInt32BE(t.cmdSN >>> 0, 24);
  b.writeUInt32BE(t.expStatSN >>> 0, 28);
  return b;
}
export interface TextResponsePdu extends SeqNumbers {
  final: boolean;
  cont: boolean;
  lun: number;
  itt: number;
  ttt: number;
}

export function serializeTextResponse(t: TextResponsePdu): Buffer {
  const b = newBhs(Opcode.TextResponse, (t.final ? 0x80 : 0) | (t.cont ? 0x40 : 0));
  encodeLun(t.lun, b);
  b.writeUInt32BE(t.itt >>> 0, 16);
  b.writeUInt32BE(t.ttt >>> 0, 20);
  writeSeq(b, t);
  return b;
}

export function parseTextResponse(pdu: Pdu): TextResponsePdu {
  const b = pdu.bhs;
  return {
    final: (b[1]! & 0x80) !== 0,
    cont: (b[1]! & 0x40) !== 0,
    lun: decodeLun(b),
    itt: b.readUInt32BE(16),
    ttt: b.readUInt32BE(20),
    statSN: b.readUInt32BE(24),
    expCmdSN: b.readUInt32BE(28),
    maxCmdSN: b.readUInt32BE(32),
  };
}

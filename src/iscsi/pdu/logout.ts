/** Logout Request and Logout Response (RFC 7143 11.14, 11.15). */
import { Opcode, isImmediate, newBhs, writeSeq, type Pdu, type SeqNumbers } from './bhs.js';

export const enum LogoutReason {
  CloseSession = 0,
  CloseConnection = 1,
  RemoveConnectionForRecovery = 2,
}

export interface LogoutRequestPdu {
  immediate: boolean;
  reason: number;
  itt: number;
  cid: number;
  cmdSN: number;
  expStatSN: number;
}

export function parseLogoutRequest(pdu: Pdu): LogoutRequestPdu {
  const b = pdu.bhs;
  return {
    immediate: isImmediate(b),
    reason: b[1]! & 0x7f,
    itt: b.readUInt32BE(16),
    cid: b.readUInt16BE(20),
    cmdSN: b.readUInt32BE(24),
    expStatSN: b.readUInt32BE(28),
  };
}

export function serializeLogoutRequest(l: LogoutRequestPdu): Buffer {
  const b = newBhs(Opcode.LogoutRequest | (l.immediate ? 0x40 : 0), 0x80 | (l.reason & 0x7f));
  b.writeUInt32BE(l.itt >>> 0, 16);
  b.writeUInt16BE(l.cid, 20);
  b.writeUInt32BE(l.cmdSN >>> 0, 24);
  b.writeUInt32BE(l.expStatSN >>> 0, 28);
  return b;
}
export interface LogoutResponsePdu extends SeqNumbers {
  response: number;
  itt: number;
  time2Wait: number;
  time2Retain: number;
}

export function serializeLogoutResponse(l: LogoutResponsePdu): Buffer {
  const b = newBhs(Opcode.LogoutResponse, 0x80);
  b[2] = l.response;
  b.writeUInt32BE(l.itt >>> 0, 16);
  writeSeq(b, l);
  b.writeUInt16BE(l.time2Wait, 40);
  b.writeUInt16BE(l.time2Retain, 42);
  return b;
}

export function parseLogoutResponse(pdu: Pdu): LogoutResponsePdu {
  const b = pdu.bhs;
  return {
    response: b[2]!,
    itt: b.readUInt32BE(16),
    statSN: b.readUInt32BE(24),
    expCmdSN: b.readUInt32BE(28),
    maxCmdSN: b.readUInt32BE(32),
    time2Wait: b.readUInt16BE(40),
    time2Retain: b.readUInt16BE(42),
  };
}

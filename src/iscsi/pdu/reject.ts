/** Reject (RFC 7143 11.17): its data segment is the rejected PDU's BHS. */
import { Opcode, RESERVED_TAG, newBhs, writeSeq, type Pdu, type SeqNumbers } from './bhs.js';

export interface RejectPdu extends SeqNumbers {
  reason: number;
  dataSN: number;
}

/** Reject header; its data segment is the rejected PDU's BHS. */
export function serializeReject(r: RejectPdu): Buffer {
  const b = newBhs(Opcode.Reject, 0x80);
  b[2] = r.reason;
  b.writeUInt32BE(RESERVED_TAG, 16);
  writeSeq(b, r);
  b.writeUInt32BE(r.dataSN >>> 0, 36);
  return b;
}

export function parseReject(pdu: Pdu): RejectPdu & { rejectedBhs: Buffer } {
  const b = pdu.bhs;
  return {
    reason: b[2]!,
    statSN: b.readUInt32BE(24),
    expCmdSN: b.readUInt32BE(28),
    maxCmdSN: b.readUInt32BE(32),
    dataSN: b.readUInt32BE(36),
    rejectedBhs: pdu.data,
  };
}

/** Login Request and Login Response (RFC 7143 11.12, 11.13), and the login stages. */
import { Opcode, newBhs, writeSeq, type Pdu, type SeqNumbers } from './bhs.js';

export const enum Stage {
  Security = 0,
  Operational = 1,
  FullFeature = 3,
}

export interface LoginRequestPdu {
  transit: boolean;
  cont: boolean;
  csg: number;
  nsg: number;
  versionMax: number;
  versionMin: number;
  isid: Buffer;
  tsih: number;
  itt: number;
  cid: number;
  cmdSN: number;
  expStatSN: number;
}

export function parseLoginRequest(pdu: Pdu): LoginRequestPdu {
  const b = pdu.bhs;
  return {
    transit: (b[1]! & 0x80) !== 0,
    cont: (b[1]! & 0x40) !== 0,
    csg: (b[1]! >>> 2) & 3,
    nsg: b[1]! & 3,
    versionMax: b[2]!,
    versionMin: b[3]!,
    isid: Buffer.from(b.subarray(8, 14)),
    tsih: b.readUInt16BE(14),
    itt: b.readUInt32BE(16),
    cid: b.readUInt16BE(20),
    cmdSN: b.readUInt32BE(24),
    expStatSN: b.readUInt32BE(28),
  };
}

export function serializeLoginRequest(l: LoginRequestPdu): Buffer {
  const b = newBhs(Opcode.LoginRequest | 0x40, (l.transit ? 0x80 : 0) | (l.cont ? 0x40 : 0) | ((l.csg & 3) << 2) | (l.transit ? l.nsg & 3 : 0));
  b[2] = l.versionMax;
  b[3] = l.versionMin;
  l.isid.copy(b, 8, 0, 6);
  b.writeUInt16BE(l.tsih, 14);
  b.writeUInt32BE(l.itt >>> 0, 16);
  b.writeUInt16BE(l.cid, 20);
  b.writeUInt32BE(l.cmdSN >>> 0, 24);
  b.writeUInt32BE(l.expStatSN >>> 0, 28);
  return b;
}
export interface LoginResponsePdu extends SeqNumbers {
  transit: boolean;
  cont: boolean;
  csg: number;
  nsg: number;
  versionMax: number;
  versionActive: number;
  isid: Buffer;
  tsih: number;
  itt: number;
  statusClass: number;
  statusDetail: number;
}

export function serializeLoginResponse(l: LoginResponsePdu): Buffer {
  const b = newBhs(Opcode.LoginResponse, (l.transit ? 0x80 : 0) | (l.cont ? 0x40 : 0) | ((l.csg & 3) << 2) | (l.transit ? l.nsg & 3 : 0));
  b[2] = l.versionMax;
  b[3] = l.versionActive;
  l.isid.copy(b, 8, 0, 6);
  b.writeUInt16BE(l.tsih, 14);
  b.writeUInt32BE(l.itt >>> 0, 16);
  writeSeq(b, l);
  b[36] = l.statusClass;
  b[37] = l.statusDetail;
  return b;
}

export function parseLoginResponse(pdu: Pdu): LoginResponsePdu {
  const b = pdu.bhs;
  return {
    transit: (b[1]! & 0x80) !== 0,
    cont: (b[1]! & 0x40) !== 0,
    csg: (b[1]! >>> 2) & 3,
    nsg: b[1]! & 3,
    versionMax: b[2]!,
    versionActive: b[3]!,
    isid: Buffer.from(b.subarray(8, 14)),
    tsih: b.readUInt16BE(14),
    itt: b.readUInt32BE(16),
    statSN: b.readUInt32BE(24),
    expCmdSN: b.readUInt32BE(28),
    maxCmdSN: b.readUInt32BE(32),
    statusClass: b[36]!,
    statusDetail: b[37]!,
  };
}

/**
 * INQUIRY data (SPC-4 6.6) and the vital product data pages this target reports:
 * 00h supported pages, 80h unit serial number, 83h device identification, B0h block
 * limits, B1h block device characteristics, B2h logical block provisioning.
 * Pure builders: the logical unit passes in what they describe.
 */
import { createHash } from 'node:crypto';
import type { ItNexus, LogicalUnitSpec } from './types.js';
import { writeU64 } from './cdb.js';

export const enum Vpd {
  SupportedPages = 0x00,
  UnitSerialNumber = 0x80,
  DeviceIdentification = 0x83,
  ThirdPartyCopy = 0x8f,
  BlockLimits = 0xb0,
  BlockDeviceCharacteristics = 0xb1,
  LogicalBlockProvisioning = 0xb2,
}

export const SUPPORTED_VPD_PAGES: readonly number[] = [
  Vpd.SupportedPages,
  Vpd.UnitSerialNumber,
  Vpd.DeviceIdentification,
  Vpd.ThirdPartyCopy,
  Vpd.BlockLimits,
  Vpd.BlockDeviceCharacteristics,
  Vpd.LogicalBlockProvisioning,
];

/** What block limits (B0h) advertise; the logical unit enforces the same numbers. */
export interface BlockLimits {
  maxCompareAndWriteBlocks: number;
  optimalGranularityBlocks: number;
  maxTransferBlocks: number;
  optimalTransferBlocks: number;
  maxUnmapBlocks: number;
  maxUnmapDescriptors: number;
  unmapGranularityBlocks: number;
  maxWriteSameBlocks: number;
  /** WRITE ATOMIC(16): the most blocks one atomic write may carry (alignment and granularity 1). */
  maxAtomicTransferBlocks: number;
}

/** Space-pad (or cut) ASCII text into a fixed-width field. */
export function asciiField(text: string, width: number): Buffer {
  const b = Buffer.alloc(width, 0x20);
  b.write(text.replace(/[^\x20-\x7e]/g, ' ').slice(0, width), 'ascii');
  return b;
}

/** Standard INQUIRY data, 96 bytes. */
export function standardInquiry(spec: LogicalUnitSpec, opts: { tpgs: boolean; connected: boolean }): Buffer {
  const b = Buffer.alloc(96);
  // Peripheral qualifier 000b (connected) or 001b (not currently connected), device type 00h.
  b[0] = opts.connected ? 0x00 : 0x20;
  b[1] = 0x00; // RMB 0
  b[2] = 0x06; // SPC-4
  b[3] = 0x12; // HISUP, response data format 2
  b[4] = b.length - 5;
  // TPGS 01b: implicit ALUA; 3PC: EXTENDED COPY (see copy.ts).
  b[5] = (opts.tpgs ? 0x10 : 0x00) | 0x08;
  b[6] = 0x00;
  b[7] = 0x02; // CMDQUE
  asciiField(spec.vendor, 8).copy(b, 8);
  asciiField(spec.product, 16).copy(b, 16);
  asciiField(spec.revision, 4).copy(b, 32);
  // Version descriptors: SAM-5, iSCSI, SPC-4, SBC-3.
  b.writeUInt16BE(0x00a0, 58);
  b.writeUInt16BE(0x0960, 60);
  b.writeUInt16BE(0x0460, 62);
  b.writeUInt16BE(0x04c0, 64);
  return b;
}

function vpdPage(code: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(4 + payload.length);
  b[1] = code;
  b.writeUInt16BE(payload.length, 2);
  payload.copy(b, 4);
  return b;
}

export function vpdSupportedPages(): Buffer {
  return vpdPage(Vpd.SupportedPages, Buffer.from(SUPPORTED_VPD_PAGES));
}

export function vpdUnitSerial(spec: LogicalUnitSpec): Buffer {
  const serial = spec.serial.replace(/[^\x20-\x7e]/g, '') || ' ';
  return vpdPage(Vpd.UnitSerialNumber, Buffer.from(serial, 'ascii'));
}

/**
 * The NAA designator bytes for `naa` (hex), always a valid length for its NAA type:
 * - 16 digits starting with 5: NAA 5, IEEE registered, 8 bytes, as is;
 * - 32 digits starting with 6: NAA 6, IEEE registered extended, 16 bytes, as is;
 * - 16 digits starting with 6 (what the domain generates): NAA 6 needs 16 bytes, so the
 *   64-bit vendor specific identifier extension is zero;
 * - anything else: NAA 6 from the digits given, padded, with an extension hashed from
 *   them. It depends on `naa` alone, so VPD 83h never changes while the extent lives.
 */
export function naaDesignator(naa: string): Buffer {
  const hex = naa
    .toLowerCase()
    .replace(/^0x/, '')
    .replace(/[^0-9a-f]/g, '');
  if (hex.length === 16 && hex[0] === '5') return Buffer.from(hex, 'hex');
  if (hex.length === 32 && hex[0] === '6') return Buffer.from(hex, 'hex');
  if (hex.length === 16 && hex[0] === '6') return Buffer.from(hex + '0'.repeat(16), 'hex');
  const body = hex.length >= 16 ? hex.slice(1, 16) : hex.padStart(15, '0');
  const ext = createHash('sha256').update(naa).digest('hex').slice(0, 16);
  return Buffer.from('6' + body + ext, 'hex');
}

function designator(codeSet: number, piv: boolean, association: number, type: number, value: Buffer): Buffer {
  const b = Buffer.alloc(4 + value.length);
  // Protocol identifier 5 (iSCSI) is meaningful only with PIV set.
  b[0] = (piv ? 0x50 : 0x00) | codeSet;
  b[1] = (piv ? 0x80 : 0x00) | (association << 4) | type;
  b[3] = value.length;
  value.copy(b, 4);
  return b;
}

/** A null-terminated UTF-8 SCSI name string padded to a multiple of 4 bytes. */
function scsiName(name: string): Buffer {
  const raw = Buffer.from(name, 'utf8');
  const len = (raw.length + 1 + 3) & ~3;
  const b = Buffer.alloc(len);
  raw.copy(b);
  return b;
}

export function vpdDeviceIdentification(spec: LogicalUnitSpec, nexus: ItNexus | undefined): Buffer {
  const parts: Buffer[] = [];
  // NAA (binary, LU association, designator type 3).
  parts.push(designator(1, false, 0, 3, naaDesignator(spec.naa)));
  // T10 vendor ID (ASCII, type 1): vendor id + unit serial.
  const t10 = Buffer.concat([asciiField(spec.vendor, 8), Buffer.from(spec.serial.replace(/[^\x20-\x7e]/g, '') || spec.naa, 'ascii')]);
  parts.push(designator(2, false, 0, 1, t10));
  if (nexus) {
    // Relative target port identifier (type 4) and target port group (type 5), target port association.
    const rel = Buffer.alloc(4);
    rel.writeUInt16BE(nexus.relativeTargetPortId & 0xffff, 2);
    parts.push(designator(1, true, 1, 4, rel));
    const tpg = Buffer.alloc(4);
    tpg.writeUInt16BE(nexus.targetPortGroupId & 0xffff, 2);
    parts.push(designator(1, true, 1, 5, tpg));
    // SCSI name strings (type 8, UTF-8): the target port and the target device.
    parts.push(designator(3, true, 1, 8, scsiName(nexus.targetPort)));
    const targetName = nexus.targetPort.split(',')[0] ?? nexus.targetPort;
    parts.push(designator(3, true, 2, 8, scsiName(targetName)));
  }
  return vpdPage(Vpd.DeviceIdentification, Buffer.concat(parts));
}

export function vpdBlockLimits(l: BlockLimits, thin: boolean): Buffer {
  const p = Buffer.alloc(0x3c);
  // Offsets below are page offsets minus the 4-byte header.
  p[0] = 0x01; // WSNZ: WRITE SAME with 0 blocks is not "the whole medium" (see writeSame)
  p[1] = Math.min(255, l.maxCompareAndWriteBlocks);
  p.writeUInt16BE(l.optimalGranularityBlocks, 2);
  p.writeUInt32BE(l.maxTransferBlocks, 4);
  p.writeUInt32BE(l.optimalTransferBlocks, 8);
  p.writeUInt32BE(0, 12); // max prefetch
  if (thin) {
    p.writeUInt32BE(l.maxUnmapBlocks, 16);
    p.writeUInt32BE(l.maxUnmapDescriptors, 20);
    p.writeUInt32BE(l.unmapGranularityBlocks, 24);
    p.writeUInt32BE(0x8000_0000, 28); // UGAVALID, alignment 0
  }
  writeU64(p, 32, l.maxWriteSameBlocks);
  p.writeUInt32BE(l.maxAtomicTransferBlocks, 40); // MAXIMUM ATOMIC TRANSFER LENGTH
  p.writeUInt32BE(0, 44); // ATOMIC ALIGNMENT: any LBA
  p.writeUInt32BE(0, 48); // ATOMIC TRANSFER LENGTH GRANULARITY: any length
  // MAXIMUM ATOMIC TRANSFER LENGTH WITH ATOMIC BOUNDARY, MAXIMUM ATOMIC BOUNDARY SIZE: 0,
  // the ATOMIC BOUNDARY field is not supported.
  return vpdPage(Vpd.BlockLimits, p);
}

export function vpdBlockDeviceCharacteristics(rotationRate: number, blockErase: boolean): Buffer {
  const p = Buffer.alloc(0x3c);
  p.writeUInt16BE(rotationRate & 0xffff, 0);
  // WABEREQ 01b: a read after SANITIZE BLOCK ERASE succeeds (it reads zeros: LBPRZ).
  if (blockErase) p[3] = 0x40;
  return vpdPage(Vpd.BlockDeviceCharacteristics, p);
}

export function vpdLogicalBlockProvisioning(thin: boolean): Buffer {
  const p = Buffer.alloc(4);
  p[0] = 0; // threshold exponent
  // LBPU, LBPWS, LBPWS10, LBPRZ when thin; nothing otherwise.
  p[1] = thin ? 0x80 | 0x40 | 0x20 | 0x04 : 0x00;
  p[2] = thin ? 0x02 : 0x00; // provisioning type: thin
  return vpdPage(Vpd.LogicalBlockProvisioning, p);
}

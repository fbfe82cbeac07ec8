/**
 * The CDBs the initiator sends to a remote array's block device, and the answers it
 * decodes: pure functions over Buffers, so they are tested with byte vectors and the
 * session code never builds bytes itself. READ/WRITE pick the 10-byte form when it can
 * say the LBA and length, else the 16-byte form (LUNs past 2 TiB at 512-byte blocks).
 */

const TEN_MAX_LBA = 0xffffffff;
const TEN_MAX_BLOCKS = 0xffff;
/** FUA: the write is on the array's stable storage before it answers (SBC-3 5.40). */
const FUA = 0x08;

function rw(op10: number, op16: number, lba: number, blocks: number, fua: boolean): Buffer {
  const small = lba + blocks - 1 <= TEN_MAX_LBA && blocks <= TEN_MAX_BLOCKS;
  const cdb = Buffer.alloc(small ? 10 : 16);
  if (small) {
    cdb[0] = op10;
    cdb.writeUInt32BE(lba, 2);
    cdb.writeUInt16BE(blocks, 7);
  } else {
    cdb[0] = op16;
    cdb.writeBigUInt64BE(BigInt(lba), 2);
    cdb.writeUInt32BE(blocks, 10);
  }
  if (fua) cdb[1] = FUA;
  return cdb;
}

export function readCdb(lba: number, blocks: number): Buffer {
  return rw(0x28, 0x88, lba, blocks, false);
}

export function writeCdb(lba: number, blocks: number, fua: boolean): Buffer {
  return rw(0x2a, 0x8a, lba, blocks, fua);
}

export const TEST_UNIT_READY = Buffer.alloc(6);

/** SYNCHRONIZE CACHE(10) over the whole LU (LBA 0, 0 blocks: to the end). */
export const SYNCHRONIZE_CACHE = Buffer.from([0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

export const READ_CAPACITY_10 = Buffer.from([0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
export const RC16_LENGTH = 32;
/** SERVICE ACTION IN(16) / READ CAPACITY(16). */
export const READ_CAPACITY_16 = Buffer.from([0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, RC16_LENGTH, 0, 0]);

export interface Capacity {
  readonly blocks: number;
  readonly blockSize: number;
  /** LBPME: the LU is thin, UNMAP may deallocate. */
  readonly thin: boolean;
  /** LBPRZ: deallocated blocks read as zeros. */
  readonly zeroesUnmapped: boolean;
}

export function parseCapacity16(data: Buffer): Capacity {
  if (data.length < 14) throw new Error(`READ CAPACITY(16) returned ${data.length} bytes`);
  const lastLba = data.readBigUInt64BE(0);
  const b14 = data.length > 14 ? data[14]! : 0;
  return { blocks: Number(lastLba + 1n), blockSize: data.readUInt32BE(8), thin: (b14 & 0x80) !== 0, zeroesUnmapped: (b14 & 0x40) !== 0 };
}

/** `null`: the LU is too large for the 10-byte answer; ask with READ CAPACITY(16). */
export function parseCapacity10(data: Buffer): Capacity | null {
  if (data.length < 8) throw new Error(`READ CAPACITY(10) returned ${data.length} bytes`);
  const lastLba = data.readUInt32BE(0);
  if (lastLba === 0xffffffff) return null;
  return { blocks: lastLba + 1, blockSize: data.readUInt32BE(4), thin: false, zeroesUnmapped: false };
}

/** Enough for the Block Limits page (3Ch + 4 bytes) and the provisioning page. */
export const VPD_LENGTH = 64;

export function inquiryVpdCdb(page: number): Buffer {
  return Buffer.from([0x12, 0x01, page, 0, VPD_LENGTH, 0]);
}

export const BLOCK_LIMITS_PAGE = 0xb0;
export const PROVISIONING_PAGE = 0xb2;

export interface BlockLimits {
  /** Largest READ/WRITE the array takes, in blocks; 0: no limit stated. */
  readonly maxTransferBlocks: number;
  /** Largest UNMAP in blocks; 0: no UNMAP, FFFFFFFFh: no limit. */
  readonly maxUnmapBlocks: number;
}

export function parseBlockLimits(data: Buffer): BlockLimits {
  if (data.length < 8 || data[1] !== BLOCK_LIMITS_PAGE) return { maxTransferBlocks: 0, maxUnmapBlocks: 0 };
  return {
    maxTransferBlocks: data.length >= 12 ? data.readUInt32BE(8) : 0,
    maxUnmapBlocks: data.length >= 24 ? data.readUInt32BE(20) : 0,
  };
}

/** LBPU in the Logical Block Provisioning VPD page: the array implements UNMAP. */
export function parseUnmapSupported(data: Buffer): boolean {
  return data.length >= 6 && data[1] === PROVISIONING_PAGE && (data[5]! & 0x80) !== 0;
}

/** UNMAP with one block descriptor: the CDB and its parameter list. */
export function unmapCommand(lba: number, blocks: number): { cdb: Buffer; parameters: Buffer } {
  const parameters = Buffer.alloc(24);
  parameters.writeUInt16BE(22, 0);
  parameters.writeUInt16BE(16, 2);
  parameters.writeBigUInt64BE(BigInt(lba), 8);
  parameters.writeUInt32BE(blocks, 16);
  const cdb = Buffer.alloc(10);
  cdb[0] = 0x42;
  cdb.writeUInt16BE(parameters.length, 7);
  return { cdb, parameters };
}

export interface Sense {
  readonly key: number;
  readonly asc: number;
  readonly ascq: number;
}

/** Fixed (70h/71h) or descriptor (72h/73h) sense data; null when it is neither. */
export function parseSense(sense: Buffer | null): Sense | null {
  if (!sense || sense.length < 1) return null;
  const code = sense[0]! & 0x7f;
  if ((code === 0x70 || code === 0x71) && sense.length >= 14) return { key: sense[2]! & 0x0f, asc: sense[12]!, ascq: sense[13]! };
  if ((code === 0x72 || code === 0x73) && sense.length >= 4) return { key: sense[1]! & 0x0f, asc: sense[2]!, ascq: sense[3]! };
  return null;
}

export function describeSense(s: Sense | null): string {
  if (!s) return 'no sense data';
  const h = (n: number) => n.toString(16).padStart(2, '0');
  return `sense ${h(s.key)}/${h(s.asc)}/${h(s.ascq)}`;
}

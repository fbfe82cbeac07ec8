/**
 * WRITE SAME(10) and (16) (block-commands.ts) on a real LU: the fuzzer sets the CDB's
 * flags (UNMAP, ANCHOR, NDOB), LBA and block count, and the block of data. Ranges past
 * the extent must be refused, never written.
 */
import { BLOCK, withLu } from '../lu.js';

/** What Jazzer instruments for coverage (scripts/fuzz.mjs reads this line). */
export const instrument = ['src/scsi/', 'src/backstore/'];

export async function fuzz(data: Buffer): Promise<void> {
  if (data.length < 10) return;
  const sixteen = (data[0]! & 0x80) !== 0;
  const flags = data[1]! & 0xff;
  const cdb = Buffer.alloc(16);
  if (sixteen) {
    cdb[0] = 0x93;
    cdb[1] = flags;
    cdb.writeUInt32BE(data[2]! & 0x01 ? 0xffffffff : 0, 2);
    cdb.writeUInt32BE(data.readUInt32BE(2), 6);
    cdb.writeUInt32BE(data.readUInt32BE(6) & 0x1ff, 10);
  } else {
    cdb[0] = 0x41;
    cdb[1] = flags;
    cdb.writeUInt32BE(data.readUInt32BE(2), 2);
    cdb.writeUInt16BE(data.readUInt16BE(6) & 0x1ff, 7);
  }
  const block = data.subarray(10, 10 + BLOCK);
  await withLu(async (u) => {
    await u.run(cdb, block.length > 0 ? block : null);
  });
}

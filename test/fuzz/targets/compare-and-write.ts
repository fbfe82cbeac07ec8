/**
 * COMPARE AND WRITE (block-commands.ts) on a real LU over a zeroed image: the fuzzer
 * sets the LBA, the block count and the verify + write data (whose first half compares
 * equal when it is zeros). Out-of-range LBAs must be refused, never written.
 */
import { withLu } from '../lu.js';

/** What Jazzer instruments for coverage (scripts/fuzz.mjs reads this line). */
export const instrument = ['src/scsi/', 'src/backstore/'];

export async function fuzz(data: Buffer): Promise<void> {
  if (data.length < 6) return;
  const lba = data.readUInt32BE(0);
  const blocks = data[4]!;
  const hi = data[5]! & 0x80 ? 0xffffffff : 0;
  const cdb = Buffer.alloc(16);
  cdb[0] = 0x89;
  cdb.writeUInt32BE(hi, 2);
  cdb.writeUInt32BE(lba, 6);
  cdb[13] = blocks;
  const body = data.subarray(6);
  await withLu(async (u) => {
    await u.run(cdb, body.length > 0 ? body : null);
  });
}

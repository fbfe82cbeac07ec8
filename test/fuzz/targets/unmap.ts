/**
 * UNMAP's parameter list (block descriptors) on a real LU: byte 0 sets ANCHOR and how
 * the CDB's parameter list length relates to the data sent; the rest is the list.
 */
import { BLOCK, BLOCKS, u16, withLu } from '../lu.js';
import { check } from '../contract.js';

/** What Jazzer instruments for coverage (scripts/fuzz.mjs reads this line). */
export const instrument = ['src/scsi/', 'src/backstore/'];

export async function fuzz(data: Buffer): Promise<void> {
  if (data.length < 1) return;
  const list = data.subarray(1);
  const declared = data[0]! & 0x80 ? list.length : Math.min(0xffff, list.length + (data[0]! & 0x1f) - 8);
  await withLu(async (u) => {
    await u.run(Buffer.from([0x42, data[0]! & 1, 0, 0, 0, 0, 0, ...u16(Math.max(0, declared)), 0]), list);
    // The LU still reads its last block.
    const r = await u.run(Buffer.from([0x28, 0, 0, 0, (BLOCKS - 1) >> 8, (BLOCKS - 1) & 0xff, 0, 0, 1, 0]), null, undefined, BLOCK);
    check(r.status === 0 && r.data?.length === BLOCK, 'READ of the last block still works after UNMAP');
  });
}

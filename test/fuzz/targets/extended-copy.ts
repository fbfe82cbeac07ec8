/**
 * EXTENDED COPY (copy.ts) parameter lists on a real LU: target descriptors (the LU's
 * own NAA designator is offered in the seeds) and segment descriptors with fuzzed LBAs
 * and block counts. Byte 0 picks LID1 or LID4; copies must stay inside the extent.
 */
import { u32, withLu } from '../lu.js';

/** What Jazzer instruments for coverage (scripts/fuzz.mjs reads this line). */
export const instrument = ['src/scsi/', 'src/backstore/'];

export async function fuzz(data: Buffer): Promise<void> {
  if (data.length < 1) return;
  const params = data.subarray(1);
  const sa = data[0]! & 1;
  await withLu(async (u) => {
    await u.run(Buffer.from([0x83, sa, 0, 0, 0, 0, 0, 0, 0, 0, ...u32(params.length), 0, 0]), params);
    // RECEIVE COPY RESULTS (operating parameters and status) must still answer.
    await u.run(Buffer.from([0x84, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0]), null, undefined, 4096);
  });
}

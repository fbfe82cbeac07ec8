/**
 * MODE SELECT(6) and (10) parameter data (mode.ts) on a real LU: byte 0 picks the CDB
 * and its PF/SP bits; the rest is the header, block descriptors and pages. MODE SENSE
 * of every page must still answer afterwards.
 */
import { check } from '../contract.js';
import { u16, withLu } from '../lu.js';

/** What Jazzer instruments for coverage (scripts/fuzz.mjs reads this line). */
export const instrument = ['src/scsi/'];

export async function fuzz(data: Buffer): Promise<void> {
  if (data.length < 1) return;
  const params = data.subarray(1);
  const flags = (data[0]! & 0x11) as number;
  const cdb =
    data[0]! & 0x80 ? Buffer.from([0x55, flags, 0, 0, 0, 0, 0, ...u16(params.length), 0]) : Buffer.from([0x15, flags, 0, 0, Math.min(255, params.length), 0]);
  await withLu(async (u) => {
    await u.run(cdb, data[0]! & 0x80 ? params : params.subarray(0, 255));
    const r = await u.run(Buffer.from([0x5a, 0, 0x3f, 0xff, 0, 0, 0, 0x10, 0, 0]), null, undefined, 4096);
    check(r.status === 0, 'MODE SENSE(10) of all pages still answers');
  });
}

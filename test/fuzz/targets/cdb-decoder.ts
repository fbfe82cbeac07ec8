/**
 * The CDB decoders (cdb.ts) over arbitrary bytes: each returns fields or throws
 * ScsiCheckCondition, and a decoded block I/O stays in u64 range with a transfer length
 * that fits its CDB. Then the same CDB runs on a real LU, which answers with a status.
 */
import { check, only } from '../contract.js';
import * as c from '../../../src/scsi/cdb.js';
import { ScsiCheckCondition } from '../../../src/scsi/sense.js';
import { withLu } from '../lu.js';

/** What Jazzer instruments for coverage (scripts/fuzz.mjs reads this line). */
export const instrument = ['src/scsi/', 'src/backstore/'];

const decoders: ((cdb: Buffer) => unknown)[] = [
  c.decodeSynchronizeCache,
  c.decodeWriteSame,
  c.decodeInquiry,
  c.decodeModeSense,
  c.decodeModeSelect,
  c.decodeStartStop,
  c.decodeReportSupportedOpcodes,
  c.decodeGetLbaStatus,
];

export async function fuzz(data: Buffer): Promise<void> {
  if (data.length < 1) return;
  // The transport always hands the LU at least the BHS's 16 CDB bytes (more with an
  // extended-CDB AHS), so decoders may assume 16.
  const cdb = Buffer.alloc(Math.max(16, Math.min(32, data.length)));
  data.copy(cdb, 0, 0, cdb.length);
  const io = only([ScsiCheckCondition], () => c.decodeBlockIo(cdb));
  // An LBA past 2^53 is inexact by design (readU64): it only ever means out of range.
  if (io) check(io.lba >= 0 && Number.isFinite(io.lba) && Number.isSafeInteger(io.blocks) && io.blocks >= 0, 'block I/O LBA and length are non-negative');
  for (const d of decoders) only([ScsiCheckCondition], () => d(cdb));
  const n = c.dataOutLength(cdb, 512);
  check(n === undefined || (Number.isSafeInteger(n) && n >= 0), 'Data-Out length is a non-negative integer');
  check([0, 6, 10, 12, 16].includes(c.cdbLength(cdb[0]!)), 'CDB length is 6, 10, 12, 16 or 0 (variable/vendor)');
  // Small transfers only, so one input stays fast.
  const dataOut = n !== undefined && n > 0 && n <= 65536 ? Buffer.alloc(n, data[1] ?? 0) : null;
  await withLu(async (u) => {
    await u.run(cdb, dataOut, undefined, 65536);
  });
}

/**
 * A real LogicalUnit over a temp file for the SCSI targets, fresh for every input so a
 * crash reproduces from its input alone (reservations and mode pages start clean).
 * After the commands the file must have the size it had: a write past the extent would
 * grow it.
 */
import fs from 'node:fs';
import { check } from './contract.js';
import { clearUa, fileLu, nexus } from '../scsi/helpers.js';
import type { ItNexus, LogicalUnit, ScsiResult } from '../../src/scsi/types.js';

export const BLOCKS = 256;
export const BLOCK = 512;
const STATUSES = new Set([0x00, 0x02, 0x08, 0x18, 0x28, 0x40]);

export const A = nexus('iqn.2026-01.fuzz:a');
export const B = nexus('iqn.2026-01.fuzz:b', '023d00000002');

export interface Unit {
  lu: LogicalUnit;
  run(cdb: Buffer, dataOut: Buffer | null, n?: ItNexus, expectedLength?: number): Promise<ScsiResult>;
}

let tag = 1;

export async function withLu(body: (u: Unit) => Promise<void>): Promise<void> {
  const t = await fileLu({ sizeBytes: BLOCKS * BLOCK });
  try {
    await clearUa(t.lu, A);
    await clearUa(t.lu, B);
    const run: Unit['run'] = async (cdb, dataOut, n = A, expectedLength) => {
      const full = Buffer.alloc(Math.max(16, cdb.length));
      cdb.copy(full);
      const r = await t.lu.execute({ cdb: full, dataOut, expectedLength: expectedLength ?? dataOut?.length ?? 4096, nexus: n, taskTag: tag++, attribute: 1 });
      checkResult(r, cdb);
      return r;
    };
    await body({ lu: t.lu, run });
    check(fs.statSync(t.path).size === BLOCKS * BLOCK, 'the image file keeps its size (nothing written past the extent)');
  } finally {
    await t.cleanup();
  }
}

function checkResult(r: ScsiResult, cdb: Buffer): void {
  const hex = cdb.subarray(0, 16).toString('hex');
  check(STATUSES.has(r.status), `status ${r.status} is a SCSI status for ${hex}`);
  if (r.status === 0x02) {
    check(r.sense?.length === 18, `CHECK CONDITION carries 18 bytes of fixed sense for ${hex}`);
    check((r.sense![2]! & 0x0f) !== 0x04, `no HARDWARE ERROR (an internal failure) for ${hex}`);
  }
}

export function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

export function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

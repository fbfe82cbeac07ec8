/** Shared test helpers: a real LU over a real backstore, commands as CDB byte vectors. */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { createLogicalUnit } from '../../src/scsi/logical-unit.js';
import { openBackstore } from '../../src/backstore/open.js';
import { parseSense } from '../../src/scsi/sense.js';
import type { ItNexus, LogicalUnit, LogicalUnitSpec, ScsiResult } from '../../src/scsi/types.js';
import type { BackstoreSpec } from '../../src/backstore/backstore.js';
import { MemoryBackstore } from '../../src/backstore/memory.js';

export function nexus(initiator = 'iqn.2026-01.test:init', isid = '023d00000001', tpgt = 1, relPort = 1): ItNexus {
  const targetPort = `iqn.2026-01.sanbox:t1,t,0x${tpgt.toString(16).padStart(4, '0')}`;
  const initiatorPort = `${initiator},i,0x${isid}`;
  return {
    initiatorPort,
    initiatorName: initiator,
    isid,
    targetPort,
    relativeTargetPortId: relPort,
    targetPortGroupId: 1,
    key: `${initiatorPort}|${targetPort}`,
  };
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'sanbox-scsi-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestLu {
  lu: LogicalUnit;
  dir: string;
  path: string;
  cleanup: () => Promise<void>;
}

export async function fileLu(
  opts: Partial<LogicalUnitSpec> & { sizeBytes?: number; kind?: Exclude<BackstoreSpec['kind'], 'range' | 'rbd'> } = {},
): Promise<TestLu> {
  const { dir, cleanup } = tempDir();
  const path = join(dir, 'lu.img');
  const kind = opts.kind ?? 'file';
  const sizeBytes = opts.sizeBytes ?? 16 * 1024 * 1024;
  if (kind === 'file') {
    // The image as the API would create it: the backstore opens, never creates.
    writeFileSync(path, '', { mode: 0o600 });
    truncateSync(path, sizeBytes);
  }
  const backstore = await openBackstore({ kind, path, sizeBytes });
  const spec: LogicalUnitSpec = {
    serial: 'SBX0001',
    naa: '6001405abcdef012',
    vendor: 'SANBOX',
    product: 'VDISK',
    revision: '0.1',
    blockSize: 512,
    readOnly: false,
    rotationRate: 1,
    thin: true,
    ...opts,
    backstore: opts.backstore !== undefined ? opts.backstore : backstore,
  };
  const lu = createLogicalUnit(spec);
  return {
    lu,
    dir,
    path,
    cleanup: async () => {
      await lu.close();
      cleanup();
    },
  };
}

let tag = 1;

export function run(lu: LogicalUnit, cdb: number[] | Buffer, dataOut: Buffer | null = null, n: ItNexus = nexus(), expectedLength = 0): Promise<ScsiResult> {
  const c = Buffer.isBuffer(cdb) ? cdb : Buffer.from(cdb);
  const full = Buffer.alloc(Math.max(16, c.length));
  c.copy(full);
  return lu.execute({ cdb: full, dataOut, expectedLength: expectedLength || (dataOut?.length ?? 65536), nexus: n, taskTag: tag++, attribute: 1 });
}

/** Clear the POWER ON unit attention for a nexus. */
export async function clearUa(lu: LogicalUnit, n: ItNexus = nexus()): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const r = await run(lu, [0x00, 0, 0, 0, 0, 0], null, n);
    if (r.status === 0) return;
  }
}

export function assertGood(r: ScsiResult): Buffer {
  if (r.status !== 0) {
    const s = r.sense ? parseSense(r.sense) : undefined;
    assert.fail(`expected GOOD, got status ${r.status} sense ${JSON.stringify(s)}`);
  }
  return r.data ?? Buffer.alloc(0);
}

export function assertSense(r: ScsiResult, key: number, asc: number, ascq: number): ReturnType<typeof parseSense> {
  assert.equal(r.status, 0x02, `expected CHECK CONDITION, got ${r.status}`);
  assert.ok(r.sense, 'sense data present');
  assert.equal(r.sense.length, 18);
  assert.equal(r.sense[0]! & 0x7f, 0x70, 'fixed format sense');
  const s = parseSense(r.sense);
  assert.deepEqual([s.key, s.asc, s.ascq], [key, asc, ascq], `sense ${s.key.toString(16)}/${s.asc.toString(16)}/${s.ascq.toString(16)}`);
  return s;
}

export function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

export function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

export function u64(n: number): number[] {
  return [...u32(Math.floor(n / 0x1_0000_0000)), ...u32(n >>> 0)];
}

export const cdb = {
  read10: (lba: number, blocks: number, flags = 0) => [0x28, flags, ...u32(lba), 0, ...u16(blocks), 0],
  write10: (lba: number, blocks: number, flags = 0) => [0x2a, flags, ...u32(lba), 0, ...u16(blocks), 0],
  read16: (lba: number, blocks: number, flags = 0) => [0x88, flags, ...u64(lba), ...u32(blocks), 0, 0],
  write16: (lba: number, blocks: number, flags = 0) => [0x8a, flags, ...u64(lba), ...u32(blocks), 0, 0],
  read6: (lba: number, blocks: number) => [0x08, (lba >> 16) & 0x1f, (lba >> 8) & 0xff, lba & 0xff, blocks & 0xff, 0],
  write6: (lba: number, blocks: number) => [0x0a, (lba >> 16) & 0x1f, (lba >> 8) & 0xff, lba & 0xff, blocks & 0xff, 0],
  read12: (lba: number, blocks: number) => [0xa8, 0, ...u32(lba), ...u32(blocks), 0, 0],
  write12: (lba: number, blocks: number) => [0xaa, 0, ...u32(lba), ...u32(blocks), 0, 0],
  inquiry: (evpd: boolean, page: number, alloc = 255) => [0x12, evpd ? 1 : 0, page, ...u16(alloc), 0],
  readCapacity10: () => [0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  readCapacity16: (alloc = 32) => [0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, ...u32(alloc), 0, 0],
  tur: () => [0, 0, 0, 0, 0, 0],
  syncCache10: (lba = 0, blocks = 0) => [0x35, 0, ...u32(lba), 0, ...u16(blocks), 0],
  syncCache16: (lba = 0, blocks = 0) => [0x91, 0, ...u64(lba), ...u32(blocks), 0, 0],
  verify10: (lba: number, blocks: number, bytchk = 0) => [0x2f, bytchk << 1, ...u32(lba), 0, ...u16(blocks), 0],
  verify16: (lba: number, blocks: number, bytchk = 0) => [0x8f, bytchk << 1, ...u64(lba), ...u32(blocks), 0, 0],
  unmap: (len: number, anchor = false) => [0x42, anchor ? 1 : 0, 0, 0, 0, 0, 0, ...u16(len), 0],
  writeSame10: (lba: number, blocks: number, flags = 0) => [0x41, flags, ...u32(lba), 0, ...u16(blocks), 0],
  writeSame16: (lba: number, blocks: number, flags = 0) => [0x93, flags, ...u64(lba), ...u32(blocks), 0, 0],
  getLbaStatus: (lba: number, alloc = 4096) => [0x9e, 0x12, ...u64(lba), ...u32(alloc), 0, 0],
  modeSense6: (page: number, pc = 0, dbd = false, alloc = 255, sub = 0) => [0x1a, dbd ? 0x08 : 0, (pc << 6) | page, sub, alloc, 0],
  modeSense10: (page: number, pc = 0, dbd = false, llbaa = false, alloc = 4096, sub = 0) => [
    0x5a,
    (dbd ? 0x08 : 0) | (llbaa ? 0x10 : 0),
    (pc << 6) | page,
    sub,
    0,
    0,
    0,
    ...u16(alloc),
    0,
  ],
  requestSense: (alloc = 252) => [0x03, 0, 0, 0, alloc, 0],
  rsoc: (options: number, opcode = 0, sa = 0, rctd = false, alloc = 8192) => [0xa3, 0x0c, (rctd ? 0x80 : 0) | options, opcode, ...u16(sa), ...u32(alloc), 0, 0],
  writeAtomic16: (lba: number, blocks: number, flags = 0) => [0x9c, flags, ...u64(lba), 0, 0, ...u16(blocks), 0, 0],
  compareAndWrite: (lba: number, blocks: number) => [0x89, 0, ...u64(lba), 0, 0, 0, blocks, 0, 0],
  prIn: (sa: number, alloc = 1024) => [0x5e, sa, 0, 0, 0, 0, 0, ...u16(alloc), 0],
  prOut: (sa: number, type = 0, scope = 0) => [0x5f, sa, (scope << 4) | type, 0, 0, ...u32(24), 0],
};

export function prParams(key: bigint, saKey: bigint, flags = 0): Buffer {
  const b = Buffer.alloc(24);
  b.writeBigUInt64BE(key, 0);
  b.writeBigUInt64BE(saKey, 8);
  b[20] = flags;
  return b;
}

export function pattern(bytes: number, seed: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) b[i] = (i * 7 + seed * 13 + (i >> 9)) & 0xff;
  return b;
}

/** A memory backstore whose writes wait, once `hold()` is called, until `release()`: a write the kernel has not finished. */
export class GatedWrites extends MemoryBackstore {
  gate: Promise<void> = Promise.resolve();
  #open: () => void = () => undefined;
  hold(): void {
    this.gate = new Promise((r) => (this.#open = r));
  }
  release(): void {
    this.#open();
  }
  override async write(buf: Buffer, offset: number, fua: boolean): Promise<void> {
    await this.gate;
    return super.write(buf, offset, fua);
  }
}

/**
 * What the soak writes into a block: a header naming the run, session, LBA and write
 * generation, then filler derived from them. A block therefore says by itself which write
 * put it there, so a mismatch report can tell a lost write (an older generation), a
 * misdirected one (another LBA or session) and garbage apart. Generation 0 is "zeros":
 * never written, or unmapped on an LU that reads unmapped blocks as zeros (LBPRZ).
 */

const MAGIC = 0x534f414b; // 'SOAK'
export const HEADER_BYTES = 24;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export interface BlockStamp {
  run: number;
  session: number;
  lba: number;
  gen: number;
}

/** Fill `out` (one block) with the content of write `gen` of `session` at `lba`. */
export function fillBlock(out: Buffer, run: number, session: number, lba: number, gen: number): void {
  out.writeUInt32BE(MAGIC, 0);
  out.writeUInt32BE(run >>> 0, 4);
  out.writeUInt32BE(session >>> 0, 8);
  out.writeUInt32BE(Math.floor(lba / 2 ** 32), 12);
  out.writeUInt32BE(lba >>> 0, 16);
  out.writeUInt32BE(gen >>> 0, 20);
  // xorshift32 over the stamp: cheap, and different for every block and generation
  let x = (Math.imul(session + 1, 0x9e3779b1) ^ Math.imul(lba + 1, 0x85ebca6b) ^ Math.imul(gen, 0xc2b2ae35) ^ run) >>> 0 || 1;
  const words = (out.length - HEADER_BYTES) >>> 2;
  // through an Int32Array when aligned: the soak generates every byte it writes or reads
  // back, and per-word Buffer writes made the soak itself the bottleneck, not sanbox
  const at = out.byteOffset + HEADER_BYTES;
  if ((at & 3) === 0 && LITTLE_ENDIAN) {
    const w = new Int32Array(out.buffer, at, words);
    for (let i = 0; i < words; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      w[i] = x;
    }
    return;
  }
  for (let i = 0; i < words; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeInt32LE(x | 0, HEADER_BYTES + 4 * i);
  }
}

/** The stamp a block carries, or null when it is not a soak block at all. */
export function readStamp(block: Buffer): BlockStamp | null {
  if (block.length < HEADER_BYTES || block.readUInt32BE(0) !== MAGIC) return null;
  return {
    run: block.readUInt32BE(4),
    session: block.readUInt32BE(8),
    lba: block.readUInt32BE(12) * 2 ** 32 + block.readUInt32BE(16),
    gen: block.readUInt32BE(20),
  };
}

export function isZero(block: Buffer): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** One line saying what a block holds, for a mismatch report. */
export function describeBlock(block: Buffer): string {
  if (isZero(block)) return 'zeros';
  const s = readStamp(block);
  if (!s) return `foreign bytes ${block.subarray(0, 16).toString('hex')}…`;
  return `run ${s.run} session ${s.session} lba ${s.lba} gen ${s.gen}`;
}

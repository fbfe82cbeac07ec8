/**
 * What one session believes its own blocks hold. Sessions own disjoint LBA ranges, so
 * the model is exact: a block holds one generation, except while a write or UNMAP is not
 * acknowledged (sent, then the connection dropped): then either the old or the new
 * generation is right, and the next read of that block decides which one the model keeps.
 */
import { describeBlock, fillBlock, isZero, readStamp } from './pattern.js';

const NONE = 0xffffffff;
/** A block whose content is unknown after a mismatch: adopt whatever the next read shows. */
const POISONED = 0xfffffffe;

export interface BlockMismatch {
  lba: number;
  expected: string;
  found: string;
}

export class BlockModel {
  private readonly gen: Uint32Array;
  private readonly alt: Uint32Array;
  private readonly scratch: Buffer;
  /** Blocks of unanswered writes/UNMAPs read back with the new content, or with the old. */
  landed = 0;
  notLanded = 0;

  constructor(
    readonly run: number,
    readonly session: number,
    readonly firstLba: number,
    readonly blocks: number,
    readonly blockSize: number,
  ) {
    this.gen = new Uint32Array(blocks);
    this.alt = new Uint32Array(blocks).fill(NONE);
    this.scratch = Buffer.alloc(blockSize);
  }

  /** The data of write `gen` over `count` blocks from `lba`. */
  content(lba: number, count: number, gen: number): Buffer {
    const buf = Buffer.allocUnsafe(count * this.blockSize);
    for (let i = 0; i < count; i++) fillBlock(buf.subarray(i * this.blockSize, (i + 1) * this.blockSize), this.run, this.session, lba + i, gen);
    return buf;
  }

  /** A write (gen > 0) or an UNMAP (gen 0) is about to be sent: both outcomes are possible. */
  begin(lba: number, count: number, gen: number): void {
    for (let i = lba - this.firstLba, end = i + count; i < end; i++) this.alt[i] = gen;
  }

  /** It was acknowledged: only the new content is right. */
  commit(lba: number, count: number): void {
    for (let i = lba - this.firstLba, end = i + count; i < end; i++) {
      this.gen[i] = this.alt[i]!;
      this.alt[i] = NONE;
    }
  }

  /** Ranges whose outcome is unknown (to re-read after a reconnect). */
  unknownRanges(): Array<{ lba: number; count: number }> {
    const out: Array<{ lba: number; count: number }> = [];
    for (let i = 0; i < this.blocks; i++) {
      if (this.alt[i] === NONE) continue;
      let j = i;
      while (j < this.blocks && this.alt[j] !== NONE) j++;
      out.push({ lba: this.firstLba + i, count: j - i });
      i = j;
    }
    return out;
  }

  /**
   * Check what a read returned against the model, block by block, and take what was read
   * wherever two outcomes were possible. Mismatched blocks are reported once and then
   * adopted (so one lost write is one mismatch, not one per later read).
   */
  verify(lba: number, data: Buffer): BlockMismatch[] {
    const bad: BlockMismatch[] = [];
    const bs = this.blockSize;
    for (let k = 0; k * bs < data.length; k++) {
      const i = lba - this.firstLba + k;
      const block = data.subarray(k * bs, (k + 1) * bs);
      const cur = this.gen[i]!;
      const alt = this.alt[i]!;
      if (cur === POISONED) {
        this.adopt(i, lba + k, block);
        continue;
      }
      const found = this.generationOf(block, lba + k);
      if (found !== null && (found === cur || (alt !== NONE && found === alt))) {
        if (alt !== NONE && alt !== cur) {
          if (found === alt) this.landed++;
          else this.notLanded++;
        }
        this.gen[i] = found;
        this.alt[i] = NONE;
        continue;
      }
      const want = alt === NONE ? this.name(cur) : `${this.name(cur)} or ${this.name(alt)}`;
      bad.push({ lba: lba + k, expected: want, found: describeBlock(block) });
      this.adopt(i, lba + k, block);
    }
    return bad;
  }

  private name(gen: number): string {
    return gen === 0 ? 'zeros' : `gen ${gen}`;
  }

  /** The generation this block holds if it is exactly one of ours at this LBA, else null. */
  private generationOf(block: Buffer, lba: number): number | null {
    if (isZero(block)) return 0;
    const s = readStamp(block);
    if (!s || s.run !== this.run || s.session !== this.session || s.lba !== lba) return null;
    fillBlock(this.scratch, this.run, this.session, lba, s.gen);
    return this.scratch.equals(block) ? s.gen : null;
  }

  private adopt(i: number, lba: number, block: Buffer): void {
    const g = this.generationOf(block, lba);
    this.gen[i] = g ?? POISONED;
    this.alt[i] = NONE;
  }
}

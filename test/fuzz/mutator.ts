/**
 * The fuzzing engine for machines where Jazzer.js's native libFuzzer cannot load: its
 * prebuilt addon needs glibc 2.38 (Debian 12 has 2.36) and building it needs sources that
 * are not on the npm registry (scripts/jazzer-addon.mjs). Not coverage-guided: it mutates
 * the committed seeds the way libFuzzer's default mutators do (bit flips, interesting
 * values, inserted, erased and copied ranges, splices of two seeds) and feeds every input
 * to the same target function, whose throw is a finding. Seeded, so a run can be repeated.
 */

type Target = (data: Buffer) => unknown;

export interface MutatorRun {
  executions: number;
  /** The input that broke the contract, and what it threw; null when none did. */
  finding: { input: Buffer; error: unknown } | null;
}

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x10, 0x20, 0x40, 0xfe];
const MAX_LEN = 16384;

function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

function mutate(input: Buffer, seeds: readonly Buffer[], rnd: () => number): Buffer {
  const pick = (n: number) => Math.floor(rnd() * n);
  let b = Buffer.from(input);
  const rounds = 1 + pick(4);
  for (let r = 0; r < rounds; r++) {
    const at = b.length === 0 ? 0 : pick(b.length);
    switch (pick(8)) {
      case 0: // flip a bit
        if (b.length) b[at]! ^= 1 << pick(8);
        break;
      case 1: // an interesting byte
        if (b.length) b[at] = INTERESTING[pick(INTERESTING.length)]!;
        break;
      case 2: // an interesting 32-bit value, either order
        if (b.length >= 4) {
          const v = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, b.length, 48, 8192][pick(8)]!;
          const where = pick(b.length - 3);
          if (rnd() < 0.5) b.writeUInt32BE(v >>> 0, where);
          else b.writeUInt32LE(v >>> 0, where);
        }
        break;
      case 3: // insert random bytes
        b = Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: 1 + pick(16) }, () => pick(256))), b.subarray(at)]);
        break;
      case 4: // erase a range
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + pick(32)))]);
        break;
      case 5: {
        // copy a range over another place
        const len = Math.min(b.length - at, 1 + pick(64));
        b.copy(b, pick(Math.max(1, b.length)), at, at + len);
        break;
      }
      case 6: {
        // splice with another seed
        const other = seeds[pick(seeds.length)]!;
        b = Buffer.concat([b.subarray(0, at), other.subarray(pick(Math.max(1, other.length)))]);
        break;
      }
      default: // truncate
        b = b.subarray(0, at);
    }
  }
  return b.length > MAX_LEN ? b.subarray(0, MAX_LEN) : b;
}

/** Feeds mutated seeds to `target` until `seconds` have passed or an input breaks its contract. */
export async function mutateSeeds(target: Target, seeds: readonly Buffer[], seconds: number, seed = 0x5eed): Promise<MutatorRun> {
  const rnd = prng(seed);
  const pool = seeds.length ? seeds : [Buffer.alloc(0)];
  const until = performance.now() + seconds * 1000;
  let executions = 0;
  while (performance.now() < until) {
    const input = mutate(pool[Math.floor(rnd() * pool.length)]!, pool, rnd);
    executions++;
    try {
      const out = target(input);
      if (out instanceof Promise) await out;
    } catch (error) {
      return { executions, finding: { input, error } };
    }
    // Let timers and I/O of targets that drive a real LU or app run now and then.
    if ((executions & 63) === 0) await new Promise((r) => setImmediate(r));
  }
  return { executions, finding: null };
}

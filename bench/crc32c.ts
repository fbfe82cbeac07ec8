/**
 * CRC32C micro-benchmark: the digest sanbox computes for every PDU with HeaderDigest /
 * DataDigest on, JavaScript slicing-by-8 against the CPU's instruction from the native
 * addon, on an 8 KiB data segment and a 48-byte BHS. Best of several timed batches (the
 * machine is shared: the minimum is the least disturbed), in the bench process itself.
 */
import { randomBytes } from 'node:crypto';
import { crc32cJs, crc32cNative, crc32cImplementation } from '../src/iscsi/crc32c.js';

export interface CrcResult {
  bytes: number;
  jsNs: number;
  /** NaN when the native one is not available */
  nativeNs: number;
}

export interface CrcReport {
  /** what serves the digests in sanbox on this machine: sse4.2, armv8-crc or js */
  implementation: string;
  fallbackReason?: string;
  results: CrcResult[];
}

function nsPerCall(f: (b: Buffer) => number, buf: Buffer, batches = 40): number {
  const iters = Math.max(200, Math.round(4e6 / (buf.length + 64)));
  let sink = 0;
  for (let i = 0; i < iters; i++) sink ^= f(buf); // warm up (JIT, caches)
  let best = Infinity;
  for (let b = 0; b < batches; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) sink ^= f(buf);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / iters);
  }
  if (sink === 0.5) process.stdout.write(''); // keep `sink` alive
  return best;
}

export function crc32cMicro(sizes = [48, 8192]): CrcReport {
  const hw = crc32cNative();
  const impl = crc32cImplementation();
  const results = sizes.map((bytes) => {
    const buf = randomBytes(bytes);
    if (hw && hw(buf, 0, 0, bytes) !== crc32cJs(buf)) throw new Error(`native and JavaScript CRC32C disagree on ${bytes} bytes`);
    return {
      bytes,
      jsNs: nsPerCall((b) => crc32cJs(b, 0, 0, b.length), buf),
      nativeNs: hw ? nsPerCall((b) => hw(b, 0, 0, b.length), buf) : NaN,
    };
  });
  return { implementation: impl.name, ...(impl.fallbackReason ? { fallbackReason: impl.fallbackReason } : {}), results };
}

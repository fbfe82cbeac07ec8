/**
 * What counting costs one command, measured directly: the work the target adds per
 * command when SANBOX_IO_COUNTERS is on (scsi-task.ts `count`, and the arrival stamp in
 * connection.ts): two clock reads, the kind from the opcode, and one record into the
 * session's and one into the LU's counters (latency histogram included). Best of several
 * timed batches in the bench process. Divided by a row's CPU per I/O it bounds what the
 * counters can cost that row, far below what end-to-end runs on a shared machine resolve.
 */
import { IoCounters, ioKind } from '../src/iscsi/counters.js';

export function countingNsPerCommand(batches = 40): number {
  const session = new IoCounters();
  const lu = new IoCounters();
  const opcodes = [0x28, 0x2a, 0x88, 0x8a, 0x00, 0x35];
  const iters = 200_000;
  const one = (i: number) => {
    const started = performance.now();
    const kind = ioKind(opcodes[i % opcodes.length]!);
    const seconds = (performance.now() - started) / 1000 + (i & 7) * 0.0002;
    session.record(kind, 4096, 0, seconds, -1);
    lu.record(kind, 4096, 0, seconds, -1);
  };
  for (let i = 0; i < iters; i++) one(i); // warm up: the JIT, as in a running target
  let best = Infinity;
  for (let b = 0; b < batches; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) one(i);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / iters);
  }
  if (session.reads + lu.writes === -1) process.stdout.write(''); // keep the work alive
  return best;
}

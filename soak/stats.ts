/**
 * Counters the sessions and the API churn add to, read out per report interval and in
 * total. Latencies are kept whole per interval (a minute at a few thousand IOPS is a few
 * hundred thousand numbers) so p50/p99 are exact, not estimated.
 */

export interface Mismatch {
  at: string;
  session: number;
  target: string;
  lba: number;
  expected: string;
  found: string;
  /** What the session was doing: a normal read, a resync after a reconnect, the final sweep. */
  during: string;
  /** The session's recent commands over this block, oldest first (the first mismatch of a read only). */
  history?: string[];
}

/** Counters that only grow. */
export interface Counts {
  reads: number;
  writes: number;
  unmaps: number;
  reservationOps: number;
  reservationConflicts: number;
  bytesRead: number;
  bytesWritten: number;
  /** Connections the soak destroyed on purpose. */
  drops: number;
  /** Connections that ended without the soak asking (target side, or a timeout). */
  unexpectedDrops: number;
  reconnects: number;
  /** Logins that failed and were tried again (sanbox refuses connections past its pending-login caps). */
  loginRetries: number;
  resyncReads: number;
  /** Blocks of writes/UNMAPs cut off by a drop that the re-read found written, or not. */
  unackedLanded: number;
  unackedNotLanded: number;
  unitAttentions: number;
  busy: number;
  apiOps: number;
  apiFailures: number;
  mismatches: number;
  /** Unexpected SCSI answers, timeouts, failed logins, wrong reservation state. */
  errors: number;
}

export function zeroCounts(): Counts {
  return {
    reads: 0,
    writes: 0,
    unmaps: 0,
    reservationOps: 0,
    reservationConflicts: 0,
    bytesRead: 0,
    bytesWritten: 0,
    drops: 0,
    unexpectedDrops: 0,
    reconnects: 0,
    loginRetries: 0,
    resyncReads: 0,
    unackedLanded: 0,
    unackedNotLanded: 0,
    unitAttentions: 0,
    busy: 0,
    apiOps: 0,
    apiFailures: 0,
    mismatches: 0,
    errors: 0,
  };
}

const KEEP_DETAILS = 20;

export class SoakStats {
  readonly total: Counts = zeroCounts();
  private intervalStart: Counts = zeroCounts();
  private latencies: number[] = [];
  private allLatencies: number[] = [];
  readonly mismatchDetails: Mismatch[] = [];
  readonly errorDetails: string[] = [];
  /** Why connections ended that the soak did not drop (not errors by themselves). */
  readonly dropDetails: string[] = [];

  /** One completed I/O: its latency counts toward p50/p99. */
  io(kind: 'read' | 'write' | 'unmap', bytes: number, ms: number): void {
    if (kind === 'read') {
      this.total.reads++;
      this.total.bytesRead += bytes;
    } else if (kind === 'write') {
      this.total.writes++;
      this.total.bytesWritten += bytes;
    } else this.total.unmaps++;
    this.latencies.push(ms);
  }

  mismatch(m: Mismatch): void {
    this.total.mismatches++;
    if (this.mismatchDetails.length < KEEP_DETAILS) this.mismatchDetails.push(m);
  }

  error(detail: string): void {
    this.total.errors++;
    if (this.errorDetails.length < KEEP_DETAILS) this.errorDetails.push(`${new Date().toISOString()} ${detail}`);
  }

  unexpectedDrop(detail: string): void {
    this.total.unexpectedDrops++;
    if (this.dropDetails.length < KEEP_DETAILS) this.dropDetails.push(`${new Date().toISOString()} ${detail}`);
  }

  /** What happened since the last call: counter deltas and the interval's latencies. */
  takeInterval(): { counts: Counts; latencies: number[] } {
    const counts = zeroCounts();
    for (const k of Object.keys(counts) as Array<keyof Counts>) counts[k] = this.total[k] - this.intervalStart[k];
    this.intervalStart = { ...this.total };
    const latencies = this.latencies;
    this.latencies = [];
    // the whole run's percentiles: a sample of every interval is enough and bounded
    for (let i = 0; i < latencies.length; i += Math.max(1, Math.floor(latencies.length / 20000))) this.allLatencies.push(latencies[i]!);
    return { counts, latencies };
  }

  runLatencies(): number[] {
    return this.allLatencies;
  }
}

/** The p-th percentile (0..100) of `xs`; NaN when empty. Sorts `xs`. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  xs.sort((a, b) => a - b);
  return xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
}

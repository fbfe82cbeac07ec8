/** The soak's report: one line per interval, a summary at the end, the same as JSON. */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { percentile, type Counts, type Mismatch } from './stats.js';

export interface IntervalReport {
  at: string;
  /** Seconds since the I/O phase began, at the end of this interval. */
  elapsedSecs: number;
  secs: number;
  iops: number;
  mbPerSec: number;
  readMBPerSec: number;
  writeMBPerSec: number;
  p50Ms: number;
  p99Ms: number;
  sanboxRssMiB: number | null;
  sanboxFds: number | null;
  /** CPU time over the interval as a share of one core: sanbox, and the soak process itself. */
  sanboxCpuPct: number | null;
  soakCpuPct: number;
  /** The machine's 1-minute load average at the end of the interval (the soak shares it). */
  load1: number;
  counts: Counts;
}

export interface FinalReport {
  seed: number;
  sessions: number;
  targets: number;
  durationSecs: number;
  startedAt: string;
  commit: string;
  load: string;
  intervals: IntervalReport[];
  total: IntervalReport;
  peakRssMiB: number | null;
  sanboxExit: string | null;
  sanboxDied: boolean;
  mismatches: Mismatch[];
  errors: string[];
  unexpectedDrops: string[];
  passed: boolean;
}

export interface CpuSeconds {
  sanbox: number | null;
  soak: number;
}

export function intervalReport(
  counts: Counts,
  latencies: number[],
  secs: number,
  elapsedSecs: number,
  usage: { rssKiB: number; fds: number } | null,
  cpu: CpuSeconds,
): IntervalReport {
  const mb = (n: number) => n / 1e6 / secs;
  return {
    at: new Date().toISOString(),
    elapsedSecs,
    secs,
    iops: (counts.reads + counts.writes + counts.unmaps) / secs,
    mbPerSec: mb(counts.bytesRead + counts.bytesWritten),
    readMBPerSec: mb(counts.bytesRead),
    writeMBPerSec: mb(counts.bytesWritten),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    sanboxRssMiB: usage ? usage.rssKiB / 1024 : null,
    sanboxFds: usage ? usage.fds : null,
    sanboxCpuPct: cpu.sanbox === null ? null : (100 * cpu.sanbox) / secs,
    soakCpuPct: (100 * cpu.soak) / secs,
    load1: loadavg()[0]!,
    counts,
  };
}

function clock(secs: number): string {
  const s = Math.round(secs);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

const f1 = (n: number | null) => (n === null || Number.isNaN(n) ? '-' : n.toFixed(1));
const f2 = (n: number) => (Number.isNaN(n) ? '-' : n.toFixed(2));

/** One report line; `label` is the interval's end time into the run, or "total". */
export function formatLine(r: IntervalReport, label = clock(r.elapsedSecs)): string {
  const c = r.counts;
  return (
    `[soak ${label}] ${Math.round(r.iops)} IOPS ${f1(r.mbPerSec)} MB/s (read ${f1(r.readMBPerSec)}, write ${f1(r.writeMBPerSec)}), ` +
    `latency p50 ${f2(r.p50Ms)} ms p99 ${f2(r.p99Ms)} ms | sanbox RSS ${f1(r.sanboxRssMiB)} MiB, ${r.sanboxFds ?? '-'} fds, CPU ${r.sanboxCpuPct === null ? '-' : Math.round(r.sanboxCpuPct)}% (soak ${Math.round(r.soakCpuPct)}%, load ${r.load1.toFixed(1)}) | ` +
    `drops ${c.drops}, reconnects ${c.reconnects} (login retries ${c.loginRetries}), unexpected drops ${c.unexpectedDrops}, cut-off blocks landed ${c.unackedLanded}/${c.unackedLanded + c.unackedNotLanded} | ` +
    `API changes ${c.apiOps} (${c.apiFailures} failed) | UNMAP ${c.unmaps}, PR ${c.reservationOps} (${c.reservationConflicts} conflicts), unit attentions ${c.unitAttentions} | ` +
    `mismatches ${c.mismatches}, errors ${c.errors}`
  );
}

export function formatDetails(r: FinalReport): string[] {
  const out: string[] = [];
  for (const m of r.mismatches) {
    out.push(`  mismatch: session ${m.session} ${m.target} lba ${m.lba} during ${m.during}: expected ${m.expected}, found ${m.found} (${m.at})`);
    for (const h of m.history ?? []) out.push(`    ${h}`);
  }
  if (r.total.counts.mismatches > r.mismatches.length) out.push(`  … ${r.total.counts.mismatches - r.mismatches.length} more mismatches`);
  for (const e of r.errors) out.push(`  error: ${e}`);
  for (const d of r.unexpectedDrops) out.push(`  unexpected drop: ${d}`);
  if (r.sanboxDied) out.push(`  sanbox died: ${r.sanboxExit}`);
  return out;
}

export function writeJson(path: string, r: FinalReport): void {
  writeFileSync(path, `${JSON.stringify(r, null, 2)}\n`);
}

/** Medians, paired ratios, and the Markdown + JSON output of one benchmark run. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Measurement, Workload } from './clients.js';
import type { MemoryResult } from './memory.js';
import type { HttpResult } from './http-load.js';
import type { LoopbackResult } from './loopback.js';
import type { CrcReport } from './crc32c.js';

export interface TargetInfo {
  label: string;
  system: 'tgt' | 'istgt' | 'sanbox';
  backing: 'file' | 'null';
  url: string | null;
  lunBytes?: number;
  blockSize?: number;
  /** why this target has no numbers at all */
  error?: string;
  /** The same sanbox LUN with SANBOX_IO_COUNTERS=false: the label of the counted one it is the baseline of. */
  baselineOf?: string;
  /** The same sanbox LUN with SANBOX_CRC32C=js (digest rows only): the label of the native one. */
  jsCrcOf?: string;
  /** what the target agreed to when asked for HeaderDigest=CRC32C and DataDigest=CRC32C */
  digests?: { header: boolean; data: boolean } | { error: string };
}

export interface Sample {
  round: number;
  target: string;
  workload: string;
  count?: number;
  m: Measurement;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  totalSecs: number;
  host: { hostname: string; cpus: number; cpuModel: string; kernel: string; node: string; loadAvgStart: number[]; loadAvgEnd: number[] };
  versions: Record<string, string>;
  sanboxCommit: string;
  options: { rounds: number; secs: number; sessions: number; httpSecs: number; httpConnections: number };
  /** one per round, measured right before the 128 KiB cells */
  loopback: Array<LoopbackResult & { round: number }>;
  targets: TargetInfo[];
  workloads: Workload[];
  samples: Sample[];
  memory: Record<string, MemoryResult | { error: string }>;
  peakRssKiB: Record<string, number>;
  http: HttpResult[];
  httpPopulate?: { targets: number; createsPerSec: number } | { error: string };
  notes: string[];
  /** CRC32C micro-benchmark (absent in runs before it existed) */
  crc32c?: CrcReport;
  /** ns the counters add to one command, measured in the bench process (counting.ts) */
  countingNs?: number;
  /** the RBD comparison (rbd.ts), or why its rows are missing (absent in runs before it was part of the bench) */
  rbd?: RbdReport | { missing: string };
}

/** sanbox on RBD vs tgt's rbd backing store vs qemu-img's rbd: driver, one round each. */
export interface RbdReport {
  lanes: Array<{ label: string; url: string | null; error?: string }>;
  workloads: Array<{ id: string; title: string }>;
  /** lane label -> workload id -> measurement */
  results: Record<string, Record<string, Measurement>>;
  secs: number;
}

function rbdCell(m: Measurement | undefined): string {
  if (!m) return '—';
  if (!m.ok) return `failed: ${esc(m.error ?? '?')}`;
  const cpu = Number.isFinite(m.cpuPer10k) ? `, ${m.cpuPer10k.toFixed(2)} s CPU/10k` : '';
  return `${Math.round(m.iops)} IOPS, ${m.mbs.toFixed(1)} MB/s${cpu}`;
}

/** The RBD section: its table, or one line saying why it is missing. */
export function rbdMarkdown(r: RbdReport | { missing: string }): string {
  const title = '## RBD: one image pool of a one-node Ceph cluster (BlueStore on a file, size 1)';
  if ('missing' in r) return [title, '', `Not measured: ${esc(r.missing)}`, ''].join('\n');
  const { lanes } = r;
  return [
    title,
    '',
    `| workload | ${lanes.map((l) => l.label).join(' | ')} |`,
    `|---|${lanes.map(() => '---').join('|')}|`,
    ...r.workloads.map(
      (w) => `| ${w.title} | ${lanes.map((l) => (l.url ? rbdCell(r.results[l.label]?.[w.id]) : `unavailable: ${esc(l.error ?? '?')}`)).join(' | ')} |`,
    ),
    '',
    "One run per cell, each lane on its own 1 GiB image in the same RADOS pool, prefilled. CPU per 10k I/Os is the target process's " +
      "(sanbox's includes the bench's own small share; qemu's driver has no target process).",
    ...lanes.filter((l) => l.error).map((l) => `- ${l.label}: ${esc(l.error!)}`),
    '',
  ].join('\n');
}

/** The C targets sanbox is measured against. */
const isAnchor = (t: TargetInfo) => t.system === 'tgt' || t.system === 'istgt';

export function median(xs: number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

interface Cell {
  ok: number;
  total: number;
  iops: number;
  spreadPct: number;
  mbs: number;
  latUs: number;
  cpuPer10k: number;
  firstError?: string;
  byRound: Map<number, Measurement>;
}

function cell(report: BenchReport, target: string, workload: string): Cell {
  const ss = report.samples.filter((s) => s.target === target && s.workload === workload);
  const ok = ss.filter((s) => s.m.ok).map((s) => s.m);
  const iops = median(ok.map((m) => m.iops));
  const spread = ok.length > 1 ? ((Math.max(...ok.map((m) => m.iops)) - Math.min(...ok.map((m) => m.iops))) / iops) * 100 : NaN;
  return {
    ok: ok.length,
    total: ss.length,
    iops,
    spreadPct: spread,
    mbs: median(ok.map((m) => m.mbs)),
    latUs: median(ok.map((m) => m.latUs)),
    cpuPer10k: median(ok.map((m) => m.cpuPer10k)),
    firstError: ss.find((s) => !s.m.ok)?.m.error,
    byRound: new Map(ss.filter((s) => s.m.ok).map((s) => [s.round, s.m])),
  };
}

/** Median over rounds of the per-round ratio a/b (both measured in the same round). */
function pairedRatio(a: Cell, b: Cell, pick: (m: Measurement) => number): number {
  const rs: number[] = [];
  for (const [round, ma] of a.byRound) {
    const mb = b.byRound.get(round);
    if (mb) rs.push(pick(ma) / pick(mb));
  }
  return median(rs);
}

/**
 * Median over rounds of a's value against the best anchor of the same round: the highest
 * IOPS (`best` = max) or the lowest CPU per I/O (`best` = min) among the anchors measured.
 */
function ratioToBest(a: Cell, anchors: Cell[], pick: (m: Measurement) => number, best: 'max' | 'min'): number {
  const rs: number[] = [];
  for (const [round, ma] of a.byRound) {
    const vs = anchors
      .map((c) => c.byRound.get(round))
      .filter((m): m is Measurement => m !== undefined)
      .map(pick);
    if (vs.length) rs.push(pick(ma) / (best === 'max' ? Math.max(...vs) : Math.min(...vs)));
  }
  return median(rs);
}

const int = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');
const fix = (x: number, d: number) => (Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : '—');
const ratio = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');
const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * What the I/O counters cost (issue 15: at most 2% on every row): each sanbox LUN against
 * the same LUN of a second sanbox with SANBOX_IO_COUNTERS=false, run right after it in
 * every cell; medians of same-round ratios.
 */
function counterCost(r: BenchReport): string[] {
  const pairs = r.targets.filter((t) => t.baselineOf && !t.error);
  if (pairs.length === 0) return [];
  const out = [
    '| workload | LUN | counting ÷ CPU per I/O (bound) | IOPS counted ÷ uncounted | IOPS cost | CPU/IO counted ÷ uncounted | CPU/IO cost |',
    '|---|---|---|---|---|---|---|',
  ];
  const ns = r.countingNs ?? NaN;
  const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '—');
  for (const w of r.workloads) {
    for (const off of pairs) {
      const on = cell(r, off.baselineOf!, w.id);
      const base = cell(r, off.label, w.id);
      if (on.ok === 0 || base.ok === 0) continue;
      const iops = pairedRatio(on, base, (m) => m.iops);
      const cpu = pairedRatio(on, base, (m) => m.cpuPer10k);
      // CPU s per 10k I/O -> ns per I/O: × 1e9 / 1e4
      const bound = ns / (on.cpuPer10k * 1e5);
      out.push(
        `| ${w.title} | ${off.backing} | ${Number.isFinite(bound) ? `${(bound * 100).toFixed(2)}%` : '—'} | ${ratio(iops)} | ${pct(1 - iops)} | ${ratio(cpu)} | ${pct(cpu - 1)} |`,
      );
    }
  }
  out.push('');
  out.push(
    `Counters cost. The bound: counting's own work per command (two clock reads, the kind, a record into the session's and the LU's counters), ` +
      `${Number.isFinite(ns) ? `${ns.toFixed(0)} ns` : 'not measured'} measured in the bench process (best of 40 batches), divided by the row's CPU per I/O. ` +
      'End to end: each sanbox LUN against the same LUN of a second sanbox started with `SANBOX_IO_COUNTERS=false`, ' +
      'measured right after it in every cell; its spread on a shared machine is wider than the cost, and a cost below zero is noise in the counted one’s favour.',
  );
  out.push('');
  return out;
}

/**
 * The issue-17 table: every row, each anchor's and sanbox (file)'s median (MB/s for the
 * 128 KiB rows, IOPS otherwise), sanbox ÷ the best anchor of the same round, and each
 * one's CPU per I/O with sanbox's against the cheapest anchor.
 */
function anchorTable(r: BenchReport): string[] {
  const anchors = r.targets.filter(isAnchor);
  const sb = r.targets.find((t) => t.system === 'sanbox' && t.backing === 'file' && !t.baselineOf && !t.jsCrcOf);
  if (!sb || anchors.length === 0) return [];
  const cols = [...anchors, sb];
  const out = [
    `| row | ${cols.map((t) => t.label.replace(' (file)', '')).join(' | ')} | sanbox ÷ best anchor | CPU s/10k I/O: ${cols.map((t) => t.label.replace(' (file)', '')).join(' / ')} | sanbox CPU ÷ cheapest anchor |`,
    `|---|${cols.map(() => '---|').join('')}---|---|---|`,
  ];
  for (const w of r.workloads) {
    const mbRow = w.bytes >= 131072;
    const cells = cols.map((t) => cell(r, t.label, w.id));
    const sc = cells.at(-1)!;
    const ac = cells.slice(0, -1).filter((c) => c.ok > 0);
    const v = (c: Cell, t: TargetInfo) => (t.error ? 'n/a' : c.ok === 0 ? 'ERR' : mbRow ? int(c.mbs) : int(c.iops));
    const bestIops = sc.ok && ac.length ? ratioToBest(sc, ac, (m) => m.iops, 'max') : NaN;
    const cpu = sc.ok && ac.length ? ratioToBest(sc, ac, (m) => m.cpuPer10k, 'min') : NaN;
    const flag = (x: number, good: boolean) => (Number.isFinite(x) ? (good ? ratio(x) : `**${ratio(x)}**`) : '—');
    out.push(
      `| ${w.title}${mbRow ? ' MB/s' : ' IOPS'} | ${cells.map((c, i) => v(c, cols[i]!)).join(' | ')} | ${flag(bestIops, bestIops >= 1)} | ${cells.map((c) => fix(c.cpuPer10k, 3)).join(' / ')} | ${flag(cpu, cpu <= 1)} |`,
    );
  }
  out.push('');
  out.push(
    'sanbox = its file LUN, counters on. Ratios are medians over rounds of same-round ratios: IOPS against the faster anchor of that round ' +
      '(≥ 1× is the goal), CPU per I/O against the cheaper anchor of that round (≤ 1× is the goal); bold = short of it. ' +
      'HeaderDigest rows: the initiator demands HeaderDigest=CRC32C (libiscsi never offers a data digest).',
  );
  out.push('');
  return out;
}

/** The digest rows: sanbox with the CPU's CRC32C against the same LUN of a sanbox with SANBOX_CRC32C=js. */
function crcEndToEnd(r: BenchReport): string[] {
  const twins = r.targets.filter((t) => t.jsCrcOf && !t.error);
  const out: string[] = [];
  for (const js of twins) {
    for (const w of r.workloads.filter((x) => x.headerDigest)) {
      const hw = cell(r, js.jsCrcOf!, w.id);
      const sw = cell(r, js.label, w.id);
      if (hw.ok === 0 || sw.ok === 0) continue;
      if (out.length === 0) out.push('| digest row | LUN | IOPS native ÷ JS | CPU/IO native ÷ JS |', '|---|---|---|---|');
      out.push(`| ${w.title} | ${js.backing} | ${ratio(pairedRatio(hw, sw, (m) => m.iops))} | ${ratio(pairedRatio(hw, sw, (m) => m.cpuPer10k))} |`);
    }
  }
  if (out.length)
    out.push(
      '',
      'The same LUN of a sanbox started with `SANBOX_CRC32C=js`, measured right after it in every digest cell: what the CPU instruction buys end to end.',
      '',
    );
  return out;
}

function crcTable(r: BenchReport): string[] {
  const c = r.crc32c;
  if (!c) return [];
  const out = [`CRC32C in sanbox: **${c.implementation}**${c.fallbackReason ? ` (JavaScript because: ${esc(c.fallbackReason)})` : ''}.`, ''];
  if (c.results.length === 0) return out;
  out.push('| CRC32C of | JavaScript slicing-by-8 | native (CPU instruction) | JS ÷ native |', '|---|---|---|---|');
  for (const x of c.results) {
    out.push(
      `| ${x.bytes === 8192 ? '8 KiB' : `${x.bytes} B`} | ${fix(x.jsNs, 0)} ns (${fix(x.bytes / x.jsNs, 2)} GB/s) | ${Number.isFinite(x.nativeNs) ? `${fix(x.nativeNs, 0)} ns (${fix(x.bytes / x.nativeNs, 2)} GB/s)` : 'n/a'} | ${ratio(x.jsNs / x.nativeNs)} |`,
    );
  }
  out.push('', 'Best of 40 timed batches in the bench process, before any target starts; a call from JavaScript through N-API included.', '');
  out.push(...crcEndToEnd(r));
  return out;
}

function digestNote(t: TargetInfo): string {
  const d = t.digests;
  if (!d) return '';
  if ('error' in d) return `; digest probe failed: ${esc(d.error.slice(0, 120))}`;
  return `; asked for CRC32C digests it agrees to: header ${d.header ? 'yes' : 'NO'}, data ${d.data ? 'yes' : 'NO'}`;
}

export function markdown(r: BenchReport): string {
  const out: string[] = [];
  const anchors = r.targets.filter(isAnchor);
  out.push(
    `## sanbox vs ${anchors.map((t) => t.system).join(' and ') || 'tgt'} on ${r.host.hostname} (${r.host.cpus} × ${r.host.cpuModel}, Linux ${r.host.kernel}), ${r.startedAt}`,
  );
  out.push('');
  out.push(
    `sanbox \`${r.sanboxCommit}\`; ${r.versions['tgt'] ? `tgt ${r.versions['tgt']}` : ''}${r.versions['istgt'] ? `; istgt ${r.versions['istgt']}` : ''}; ${r.versions['qemuImg']}; libiscsi-bin ${r.versions['libiscsiBin']}; Node ${r.host.node}.`,
  );
  out.push(
    `Medians of ${r.options.rounds} interleaved round(s) (${r.targets.map((t) => t.label).join(', ')} per cell), ~${r.options.secs} s per run. ` +
      `Load average (1/5/15 min) before the run ${r.host.loadAvgStart.map((x) => x.toFixed(2)).join(' ')}.`,
  );
  out.push('');
  out.push(...anchorTable(r));
  out.push(...crcTable(r));
  for (const t of r.targets) {
    out.push(
      `- **${t.label}**: ` +
        (t.error
          ? `unavailable — ${esc(t.error.slice(0, 400))}`
          : `\`${t.url}\`${t.lunBytes ? `, ${(t.lunBytes / 2 ** 20).toFixed(0)} MiB, ${t.blockSize} B blocks` : ''}${digestNote(t)}`),
    );
  }
  out.push('');
  out.push('| workload | target | IOPS (spread) | MB/s | mean latency µs | target CPU s / 10k I/O | IOPS ÷ best anchor | CPU/IO ÷ cheapest anchor |');
  out.push('|---|---|---|---|---|---|---|---|');
  for (const w of r.workloads) {
    const base = anchors.map((t) => cell(r, t.label, w.id)).filter((c) => c.ok > 0);
    r.targets.forEach((t, i) => {
      const c = cell(r, t.label, w.id);
      const first = i === 0 ? `${w.title}${w.tool === 'qemu-img' ? ' (qemu-img)' : ''}` : '';
      // the twins run only where they mean something: no-counters in the plain rows, JS CRC32C in the digest rows
      if (c.total === 0 && (t.baselineOf || t.jsCrcOf)) return;
      if (c.total === 0 || c.ok === 0) {
        const why = t.error ? 'n/a (unavailable, see above)' : `ERR: ${c.firstError ?? 'not run'}`;
        out.push(`| ${first} | ${t.label} | ${esc(why.slice(0, 150))} | — | — | — | — | — |`);
        return;
      }
      const spread = Number.isFinite(c.spreadPct) ? ` (±${(c.spreadPct / 2).toFixed(0)}%)` : '';
      const partial = c.ok < c.total ? ` [${c.ok}/${c.total} ok: ${esc((c.firstError ?? '').slice(0, 80))}]` : '';
      let mbs = fix(c.mbs, 1);
      if (w.bytes >= 131072) {
        // share of the ceiling measured in the same round, median over rounds
        const share = median([...c.byRound].map(([round, m]) => m.mbs / (r.loopback.find((l) => l.round === round)?.mbs ?? NaN)));
        if (Number.isFinite(share)) mbs += ` (${(share * 100).toFixed(0)}% of TCP)`;
      }
      const isBase = isAnchor(t);
      const ri = base.length && !isBase ? ratio(ratioToBest(c, base, (m) => m.iops, 'max')) : '';
      const rc = base.length && !isBase ? ratio(ratioToBest(c, base, (m) => m.cpuPer10k, 'min')) : '';
      out.push(
        `| ${first} | ${t.label} | ${int(c.iops)}${spread}${partial} | ${mbs} | ${fix(c.latUs, c.latUs < 100 ? 1 : 0)} | ${fix(c.cpuPer10k, 3)} | ${ri} | ${rc} |`,
      );
    });
  }
  out.push('');
  const lb = median(r.loopback.map((l) => l.mbs));
  out.push(
    `Loopback TCP ceiling (127.0.0.1, one stream between two processes, 128 KiB writes, ${r.loopback[0]?.tool ?? '?'}; ` +
      `measured in each round just before the 128 KiB cells): ` +
      (Number.isFinite(lb)
        ? `**${int(lb)} MB/s** median (${r.loopback.map((l) => int(l.mbs)).join(', ')}); the 128K rows show their share of the same round's ceiling.`
        : `ERR ${r.loopback[0]?.error ?? 'not measured'}.`),
  );
  out.push(
    'MB = 10^6 bytes. 4K rand = qemu-img 4 KiB I/Os on a 1 MiB + 4 KiB stride over the LUN; iscsi-perf -r picks random LBAs. ' +
      "Mean latency = depth ÷ IOPS (the tools keep the queue full). CPU = utime + stime of the target process (all threads) from /proc over the client's run. " +
      'File LUNs: 1 GiB images in one temp dir, written once before the first round. Spread = ± half the min–max range across rounds.',
  );
  out.push('');

  out.push(...counterCost(r));

  // memory
  const mems = Object.entries(r.memory);
  if (mems.length) {
    out.push(`| resident memory (VmRSS) | ${mems.map(([k]) => k).join(' | ')} |`);
    out.push(`|---|${mems.map(() => '---|').join('')}`);
    const row = (title: string, f: (m: MemoryResult) => string) =>
      out.push(
        `| ${title} | ${mems.map(([, m]) => ('error' in m ? (title.startsWith('idle') ? `ERR: ${esc(m.error.slice(0, 100))}` : '—') : f(m))).join(' | ')} |`,
      );
    row('idle, target configured', (m) => `${fix(m.idleKiB / 1024, 1)} MiB`);
    row(
      `with ${r.options.sessions} sessions logged in`,
      (m) =>
        `${fix(m.sessionsKiB / 1024, 1)} MiB (${m.sessionsOpen}/${m.sessionsWanted} logged in${m.sessionsAliveAfter < m.sessionsOpen ? `, ${m.sessionsOpen - m.sessionsAliveAfter} dropped` : ''}${m.errors.length ? `; ${esc(m.errors[0]!.slice(0, 80))}` : ''})`,
    );
    row('per session ((with − idle) ÷ sessions; medians of 5 samples)', (m) => `${fix(m.perSessionKiB, 0)} KiB`);
    row(`time to log in ${r.options.sessions} (8 at a time)`, (m) => `${fix(m.loginSecs * 1000, 0)} ms`);
    out.push(`| peak (VmHWM) at end of run | ${mems.map(([k]) => (r.peakRssKiB[k] ? `${fix(r.peakRssKiB[k]! / 1024, 1)} MiB` : '—')).join(' | ')} |`);
    out.push('');
  }

  // http
  if (r.http.length || r.httpPopulate) {
    out.push(`| sanbox HTTP API (FreeNAS v1.0, autocannon, ${r.options.httpSecs} s) | connections | requests/s | mean ms | p99 ms | non-2xx / errors | note |`);
    out.push('|---|---|---|---|---|---|---|');
    if (r.httpPopulate) {
      const p = r.httpPopulate;
      out.push(
        'error' in p
          ? `| create 500 targets (4 in flight) | 4 | ERR: ${esc(p.error.slice(0, 120))} | — | — | — | |`
          : `| create ${p.targets} targets (4 in flight, one by one) | 4 | ${int(p.createsPerSec)} | — | — | 0 | setup for the list test |`,
      );
    }
    for (const h of r.http) {
      out.push(
        h.error
          ? `| ${h.name} | — | ERR: ${esc(h.error.slice(0, 120))} | — | — | — | |`
          : `| ${h.name} | ${h.connections} | ${int(h.reqPerSec)} | ${fix(h.meanMs, 2)} | ${fix(h.p99Ms, 0)} | ${h.non2xx} / ${h.errors} | ${esc(h.note)} |`,
      );
    }
    out.push('');
  }

  if (r.rbd) out.push(rbdMarkdown(r.rbd));

  if (r.notes.length) {
    out.push('Notes:');
    for (const n of r.notes) out.push(`- ${esc(n)}`);
    out.push('');
  }
  const la = (v: number[]) => v.map((x) => x.toFixed(2)).join(' ');
  out.push(
    `Total ${r.totalSecs.toFixed(0)} s. Load average (1/5/15 min) before the run ${la(r.host.loadAvgStart)} (other work on the machine), ` +
      `at the end ${la(r.host.loadAvgEnd)} (includes this run's own clients and targets).`,
  );
  return out.join('\n') + '\n';
}

/** bench/results/<stamp>.json (gitignored) and, on request, the Markdown beside it. */
export function save(r: BenchReport, resultsDir: string, md: string | null): { json: string; md?: string } {
  mkdirSync(resultsDir, { recursive: true });
  const stamp = r.startedAt.replace(/[:]/g, '').replace(/\.\d+Z$/, 'Z');
  const json = join(resultsDir, `${stamp}.json`);
  writeFileSync(json, JSON.stringify(r, null, 2) + '\n');
  if (md === null) return { json };
  const mdPath = join(resultsDir, `${stamp}.md`);
  writeFileSync(mdPath, md);
  return { json, md: mdPath };
}

/**
 * `npm run bench`: sanbox against tgt with real initiators, on 127.0.0.1 only.
 *
 *   node dist/bench/run.js [--quick] [--rounds N] [--secs S] [--sessions N]
 *                          [--http-secs S] [--no-http] [--no-counter-cost] [--keep] [--save-md]
 *   node dist/bench/run.js --render bench/results/<run>.json   (Markdown of a saved run)
 *
 * One run: tgt (1 GiB file LUN) and sanbox (1 GiB file LUN + null
 * LUN) side by side in one temp dir, and a second sanbox with SANBOX_IO_COUNTERS=false and
 * the same two LUNs (the baseline of what counting costs; --no-counter-cost leaves it out);
 * memory idle and with N sessions; the I/O workloads interleaved per cell (tgt, sanbox
 * file, its uncounted twin, sanbox null, its twin) for R rounds, with the loopback TCP
 * ceiling measured in each round right before the 128 KiB cells; the HTTP API under
 * load. Markdown on stdout, JSON in bench/results/. Every process started here is stopped
 * by PID on exit, error or Ctrl-C.
 */
import { mkdtempSync, rmSync, openSync, closeSync, ftruncateSync, readFileSync } from 'node:fs';
import { tmpdir, hostname, cpus, release, loadavg } from 'node:os';
import { join } from 'node:path';
import { installSignalHandlers, onCleanup, cleanupAll, aborted, log, tail } from './children.js';
import { WORKLOADS, qemuBench, iscsiPerf, readCapacity, prefill, toolVersions, type Measurement, type Workload } from './clients.js';
import { Tgt } from './tgt.js';
import { Sanbox, REPO_ROOT, type SanboxLun } from './sanbox.js';
import { loopbackCeiling } from './loopback.js';
import { measureSessions } from './memory.js';
import { populateTargets, loadList, loadCreateDelete } from './http-load.js';
import { memoryKiB } from './proc-stats.js';
import { markdown, save, type BenchReport, type TargetInfo } from './report.js';
import { rbdBench } from './rbd.js';

interface Options {
  rounds: number;
  secs: number;
  sessions: number;
  httpSecs: number;
  httpConnections: number;
  http: boolean;
  keep: boolean;
  saveMd: boolean;
  /** re-render the Markdown of a saved JSON result and exit */
  render: string | null;
  /** also run a sanbox with SANBOX_IO_COUNTERS=false beside the other, to show what counting costs */
  counterCost: boolean;
  /** run only the RBD comparison (bench/rbd.ts) and exit */
  rbd: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    rounds: 3,
    secs: 3,
    sessions: 64,
    httpSecs: 5,
    httpConnections: 8,
    http: true,
    keep: false,
    saveMd: false,
    render: null,
    counterCost: true,
    rbd: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = () => {
      const v = Number(argv[++i]);
      if (!(v > 0)) throw new Error(`${a} needs a positive number`);
      return v;
    };
    if (a === '--quick') {
      o.rounds = 1;
      o.httpSecs = 3;
    } else if (a === '--rounds') o.rounds = Math.round(num());
    else if (a === '--secs') o.secs = num();
    else if (a === '--sessions') o.sessions = Math.round(num());
    else if (a === '--http-secs') o.httpSecs = num();
    else if (a === '--http-connections') o.httpConnections = Math.round(num());
    else if (a === '--no-http') o.http = false;
    else if (a === '--no-counter-cost') o.counterCost = false;
    else if (a === '--rbd') o.rbd = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--save-md') o.saveMd = true;
    else if (a === '--render') o.render = argv[++i] ?? null;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'usage: node dist/bench/run.js [--quick] [--rounds N] [--secs S] [--sessions N] [--http-secs S] [--http-connections N] [--no-http] [--no-counter-cost] [--keep] [--save-md] | --rbd | --render RESULT.json\n',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

/** A LUN in the comparison; `pid()` is the process whose CPU the run is charged to. */
interface Lane {
  info: TargetInfo;
  pid: () => number | null;
  /** null when the process is up; otherwise why not (after one restart attempt for sanbox) */
  ensureUp: () => Promise<string | null>;
  counts: Map<string, number>;
}

/** A second sanbox, SANBOX_IO_COUNTERS=false, with the same two LUNs (its own 1 GiB image). */
async function startUncounted(dir: string, sessions: number): Promise<{ sanbox: Sanbox | null; file: TargetInfo; null: TargetInfo }> {
  const file: TargetInfo = { label: 'sanbox (file, no counters)', system: 'sanbox', backing: 'file', url: null, baselineOf: 'sanbox (file)' };
  const nul: TargetInfo = { label: 'sanbox (null, no counters)', system: 'sanbox', backing: 'null', url: null, baselineOf: 'sanbox (null)' };
  try {
    const s = await Sanbox.start(dir, undefined, { name: 'sanbox-nocounters', env: { SANBOX_IO_COUNTERS: 'false' } });
    const cfg = await s.configure(join(dir, 'bench-nocounters.img'), sessions + 16);
    for (const [info, lun] of [
      [file, cfg.file],
      [nul, cfg.null],
    ] as const) {
      if ('error' in lun) info.error = lun.error;
      else info.url = (lun as SanboxLun).url;
    }
    return { sanbox: s, file, null: nul };
  } catch (e) {
    const msg = String(e instanceof Error ? e.message : e);
    file.error = msg;
    nul.error = msg;
    return { sanbox: null, file, null: nul };
  }
}

function makeImage(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.render) {
    process.stdout.write(markdown(JSON.parse(readFileSync(opts.render, 'utf8')) as BenchReport));
    return;
  }
  installSignalHandlers();
  const startedAt = new Date().toISOString();
  const loadAvgStart = loadavg();
  const sanboxCommit = Sanbox.commit(); // what `npm run build` just compiled
  const t0 = performance.now();
  const notes: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'sanbox-bench-'));
  onCleanup('temp dir', () => {
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
    else log(`kept ${dir}`);
  });
  log(`work dir ${dir}; ${opts.rounds} round(s), ${opts.secs} s per run`);
  if (opts.rbd) return void process.stdout.write(await rbdBench(dir));

  // ---- tgt ----
  const GiB = 1 << 30;
  const tgtImage = join(dir, 'tgt.img');
  makeImage(tgtImage, GiB);
  const tgtInfo: TargetInfo = { label: 'tgt (file)', system: 'tgt', backing: 'file', url: null };
  let tgt: Tgt | null = null;
  try {
    tgt = await Tgt.start(dir, tgtImage);
    tgtInfo.url = tgt.url;
    log(`tgtd pid ${tgt.pid} on ${tgt.portal}`);
  } catch (e) {
    tgtInfo.error = String(e instanceof Error ? e.message : e);
    log(`tgt: ${tgtInfo.error}`);
  }

  // ---- sanbox ----
  const sbFile: TargetInfo = { label: 'sanbox (file)', system: 'sanbox', backing: 'file', url: null };
  const sbNull: TargetInfo = { label: 'sanbox (null)', system: 'sanbox', backing: 'null', url: null };
  let sanbox: Sanbox | null = null;
  let sanboxCfg: Awaited<ReturnType<Sanbox['configure']>> | null = null;
  let restarts = 0;
  try {
    sanbox = await Sanbox.start(dir);
    log(`sanbox pid ${sanbox.pid}, API ${sanbox.httpBase}, portal ${sanbox.portal}`);
    sanboxCfg = await sanbox.configure(join(dir, 'bench.img'), opts.sessions + 16);
    for (const [info, lun] of [
      [sbFile, sanboxCfg.file],
      [sbNull, sanboxCfg.null],
    ] as const) {
      if ('error' in lun) info.error = lun.error;
      else info.url = (lun as SanboxLun).url;
    }
  } catch (e) {
    const msg = String(e instanceof Error ? e.message : e);
    sbFile.error ??= msg;
    sbNull.error ??= msg;
    log(`sanbox: ${msg}`);
  }
  const sanboxUp = async (): Promise<string | null> => {
    if (!sanbox) return sbFile.error ?? 'sanbox not started';
    if (sanbox.running) return null;
    const why = `sanbox exited (${sanbox.exitInfo}): ${tail(sanbox.logTail(), 300)}`;
    if (restarts >= 3 || aborted()) return why;
    restarts++;
    notes.push(`${why} — restarted (#${restarts}) with the same data dir`);
    log(notes.at(-1)!);
    try {
      sanbox = await Sanbox.start(dir, { http: sanbox.httpPort, iscsi: sanbox.iscsiPort });
      return null;
    } catch (e) {
      return `${why}; restart failed: ${String(e instanceof Error ? e.message : e)}`;
    }
  };

  // ---- sanbox with its I/O counters off: the baseline of what counting costs (issue 15) ----
  const uncounted: Lane[] = [];
  if (opts.counterCost) {
    const off = await startUncounted(dir, opts.sessions);
    for (const [info, backing] of [
      [off.file, 'file'],
      [off.null, 'null'],
    ] as const) {
      uncounted.push({
        info,
        pid: () => off.sanbox?.pid ?? null,
        ensureUp: async () => (off.sanbox?.running ? null : (info.error ?? 'sanbox (no counters) exited')),
        counts: new Map(),
      });
      log(`${info.label}: ${info.error ?? info.url} (${backing})`);
    }
  }

  const lanes: Lane[] = [
    { info: tgtInfo, pid: () => tgt?.pid ?? null, ensureUp: async () => (tgt?.running ? null : (tgtInfo.error ?? 'tgtd exited')), counts: new Map() },
    { info: sbFile, pid: () => sanbox?.pid ?? null, ensureUp: sanboxUp, counts: new Map() },
    ...uncounted.slice(0, 1),
    { info: sbNull, pid: () => sanbox?.pid ?? null, ensureUp: sanboxUp, counts: new Map() },
    ...uncounted.slice(1),
  ];

  // ---- LUN check and prefill ----
  for (const lane of lanes) {
    const { info } = lane;
    if (info.error || !info.url) continue;
    const cap = await readCapacity(info.url);
    if ('error' in cap) {
      info.error = cap.error;
      log(`${info.label}: ${cap.error}`);
      continue;
    }
    info.lunBytes = cap.bytes;
    info.blockSize = cap.blockSize;
    log(`${info.label}: ${info.url} ${cap.bytes} bytes, ${cap.blockSize} B blocks`);
    if (info.backing === 'file') {
      const tp = performance.now();
      const err = await prefill(info.url, cap.bytes);
      if (err) notes.push(`${info.label}: ${err}`);
      log(`${info.label}: prefilled in ${((performance.now() - tp) / 1000).toFixed(1)} s${err ? ` (${err})` : ''}`);
    }
  }

  // ---- memory: idle and with N sessions (before the I/O phase) ----
  const memory: BenchReport['memory'] = {};
  if (tgt && !tgtInfo.error && !aborted()) {
    log(`tgt: ${opts.sessions} sessions`);
    memory['tgt'] = await measureSessions(tgt.pid, tgt.port, tgt.iqn, opts.sessions).catch((e) => ({ error: String(e) }));
  }
  if (aborted()) {
    // interrupted: no memory phase
  } else if (sanbox && sanboxCfg && !('error' in sanboxCfg.file)) {
    log(`sanbox: ${opts.sessions} sessions`);
    memory['sanbox'] = await measureSessions(sanbox.pid, sanbox.iscsiPort, sanboxCfg.file.iqn, opts.sessions).catch((e) => ({ error: String(e) }));
  } else if (sanbox) {
    memory['sanbox'] = { error: sbFile.error ?? 'no file LUN' };
  }

  // ---- I/O rounds, interleaved per cell ----
  const samples: BenchReport['samples'] = [];
  const loopbacks: BenchReport['loopback'] = [];
  const runOne = async (lane: Lane, w: Workload, round: number): Promise<void> => {
    const { info } = lane;
    if (info.error || !info.url || aborted()) return;
    const down = await lane.ensureUp();
    const pid = lane.pid();
    if (down || pid === null) {
      samples.push({ round, target: info.label, workload: w.id, m: failedM(down ?? 'no process') });
      return;
    }
    let m: Measurement;
    let count: number | undefined;
    if (w.tool === 'iscsi-perf') {
      m = await iscsiPerf(info.url, w, info.blockSize ?? 512, Math.max(2, Math.round(opts.secs)), pid);
    } else {
      count = lane.counts.get(w.id);
      if (count === undefined) {
        // pilot run: size the real run to ~opts.secs on this target
        const pilot = await qemuBench(info.url, w, w.pilotCount, pid, 60000);
        if (!pilot.ok) {
          samples.push({ round, target: info.label, workload: w.id, count: w.pilotCount, m: pilot });
          log(`  ${info.label} ${w.id}: ${pilot.error}`);
          return;
        }
        count = Math.min(w.pilotCount * 2000, Math.max(w.pilotCount, Math.round(pilot.iops * opts.secs)));
        lane.counts.set(w.id, count);
      }
      m = await qemuBench(info.url, w, count, pid, (opts.secs * 10 + 30) * 1000);
    }
    samples.push({ round, target: info.label, workload: w.id, count, m });
    log(
      `  ${info.label.padEnd(14)} ${w.id.padEnd(27)} ${m.ok ? `${Math.round(m.iops).toString().padStart(7)} IOPS ${m.mbs.toFixed(1).padStart(7)} MB/s cpu ${m.cpuPer10k.toFixed(3)} s/10k` : `ERR ${m.error}`}`,
    );
  };
  for (let round = 1; round <= opts.rounds; round++) {
    log(`round ${round}/${opts.rounds}`);
    for (const w of WORKLOADS) {
      if (w.id === WORKLOADS.find((x) => x.bytes >= 131072)?.id && !aborted()) {
        const l = await loopbackCeiling(2);
        loopbacks.push({ round, ...l });
        log(`  loopback TCP ceiling ${Number.isFinite(l.mbs) ? `${l.mbs.toFixed(0)} MB/s (${l.tool})` : `ERR ${l.error}`}`);
      }
      for (const lane of lanes) await runOne(lane, w, round);
    }
  }

  const peakRssKiB: Record<string, number> = {};
  try {
    if (tgt?.running) peakRssKiB['tgt'] = memoryKiB(tgt.pid).hwm;
  } catch {
    /* gone */
  }
  try {
    if (sanbox?.running) peakRssKiB['sanbox'] = memoryKiB(sanbox.pid).hwm;
  } catch {
    /* gone */
  }

  // ---- HTTP API under load ----
  const http: BenchReport['http'] = [];
  let httpPopulate: BenchReport['httpPopulate'];
  if (opts.http && !aborted() && sanbox && sanboxCfg && (await sanboxUp()) === null) {
    const { portalGroupId, initiatorGroupId } = sanboxCfg;
    try {
      log('HTTP: creating 500 targets');
      httpPopulate = { targets: 500, createsPerSec: await populateTargets(sanbox.api, 500, portalGroupId, initiatorGroupId) };
    } catch (e) {
      httpPopulate = { error: String(e instanceof Error ? e.message : e) };
    }
    log('HTTP: GET list of 500 targets (limit=500 and the default page; flat out, then 1,000 req/s offered)');
    http.push(await loadList(sanbox.api, sanbox.httpBase, opts.httpSecs, opts.httpConnections, 500));
    http.push(await loadList(sanbox.api, sanbox.httpBase, opts.httpSecs, opts.httpConnections, null));
    http.push(await loadList(sanbox.api, sanbox.httpBase, opts.httpSecs, opts.httpConnections, 500, 1000));
    http.push(await loadList(sanbox.api, sanbox.httpBase, opts.httpSecs, opts.httpConnections, null, 1000));
    log('HTTP: create+delete cycles');
    http.push(
      await loadCreateDelete(sanbox.api, sanbox.httpBase, opts.httpSecs, opts.httpConnections, portalGroupId, initiatorGroupId).catch((e) => ({
        ...emptyHttp('create+delete target cycle'),
        error: String(e),
      })),
    );
    if (!sanbox.running) notes.push(`sanbox exited during the HTTP load (${sanbox.exitInfo}): ${tail(sanbox.logTail(), 300)}`);
  } else if (opts.http && !aborted()) {
    http.push({ ...emptyHttp('HTTP API'), error: sbFile.error ?? 'sanbox not running' });
  }
  if (aborted()) notes.unshift('ABORTED (signal): partial results');
  if (restarts > 0) notes.push(`sanbox was restarted ${restarts} time(s) during the run; CPU is charged to whichever process served each run`);
  const cpuModel = cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? '?';

  const report: BenchReport = {
    startedAt,
    finishedAt: new Date().toISOString(),
    totalSecs: (performance.now() - t0) / 1000,
    host: { hostname: hostname(), cpus: cpus().length, cpuModel, kernel: release(), node: process.version, loadAvgStart, loadAvgEnd: loadavg() },
    versions: { ...toolVersions(), tgtd: Tgt.version() },
    sanboxCommit,
    options: { rounds: opts.rounds, secs: opts.secs, sessions: opts.sessions, httpSecs: opts.httpSecs, httpConnections: opts.httpConnections },
    loopback: loopbacks,
    targets: lanes.map((l) => l.info),
    workloads: WORKLOADS,
    samples,
    memory,
    peakRssKiB,
    http,
    httpPopulate,
    notes,
  };
  const md = markdown(report);
  const saved = save(report, join(REPO_ROOT, 'bench/results'), opts.saveMd ? md : null);
  process.stdout.write(md);
  log(`JSON: ${saved.json}${saved.md ? `; Markdown: ${saved.md}` : ''}`);
}

function failedM(error: string): Measurement {
  return { ok: false, error, ios: 0, secs: 0, iops: NaN, mbs: NaN, latUs: NaN, cpuPer10k: NaN, cpuSecs: NaN };
}

function emptyHttp(name: string) {
  return { name, connections: 0, secs: 0, requests: 0, reqPerSec: NaN, meanMs: NaN, p50Ms: NaN, p99Ms: NaN, non2xx: 0, errors: 0, note: '' };
}

main()
  .catch((e) => {
    process.stderr.write(`[bench] failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());

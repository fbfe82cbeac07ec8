/**
 * `npm run bench`: sanbox against the two C anchors, tgt and istgt, with real initiators,
 * on 127.0.0.1 only.
 *
 *   node dist/bench/run.js [--quick] [--rounds N] [--secs S] [--sessions N] [--http-secs S]
 *                          [--no-http] [--no-counter-cost] [--no-digests] [--only ID-PREFIX,...]
 *                          [--no-rbd] [--keep] [--save-md]
 *   node dist/bench/run.js --rbd                                (the RBD comparison alone)
 *   node dist/bench/run.js --render bench/results/<run>.json   (Markdown of a saved run)
 *
 * One run: the CRC32C micro-benchmark (JS vs the CPU's instruction); tgt and istgt (1 GiB
 * file LUN each) and sanbox (1 GiB file LUN + null LUN) side by side in one temp dir, and a
 * second sanbox with SANBOX_IO_COUNTERS=false and the same two LUNs (the baseline of what
 * counting costs; --no-counter-cost leaves it out); memory idle and with N sessions; the
 * I/O workloads interleaved per cell (tgt, istgt, sanbox file, its uncounted twin, sanbox
 * null, its twin) for R rounds, then the same cells with HeaderDigest=CRC32C and the
 * project's initiator with both digests (not the twins, but a third sanbox's null LUN with
 * SANBOX_CRC32C=js; --no-digests leaves them out), with the loopback TCP ceiling measured in each
 * round right before the 128 KiB cells; the HTTP API under load. Markdown on stdout, JSON
 * in bench/results/. Then, where Ceph is installed, the RBD comparison (bench/rbd.ts: sanbox
 * on RBD, tgt's rbd backing store, qemu-img's rbd: driver on a throw-away one-node cluster;
 * --no-rbd leaves it out, and without Ceph the report says why it is missing). Every process started here is stopped by PID on exit, error or Ctrl-C.
 */
import { mkdtempSync, rmSync, openSync, closeSync, ftruncateSync, readFileSync } from 'node:fs';
import { tmpdir, hostname, cpus, release, loadavg } from 'node:os';
import { join } from 'node:path';
import { installSignalHandlers, onCleanup, cleanupAll, aborted, log, tail } from './children.js';
import {
  WORKLOADS,
  DIGEST_WORKLOADS,
  BOTH_DIGEST_WORKLOADS,
  qemuBench,
  iscsiPerf,
  initiatorLoad,
  readCapacity,
  prefill,
  probeDigests,
  toolVersions,
  type Measurement,
  type Workload,
} from './clients.js';
import { Tgt } from './tgt.js';
import { Istgt } from './istgt.js';
import { crc32cMicro } from './crc32c.js';
import { countingNsPerCommand } from './counting.js';
import { Sanbox, REPO_ROOT, type SanboxLun } from './sanbox.js';
import { loopbackCeiling } from './loopback.js';
import { measureSessions } from './memory.js';
import { populateTargets, loadList, loadCreateDelete } from './http-load.js';
import { memoryKiB } from './proc-stats.js';
import { markdown, rbdMarkdown, save, type BenchReport, type TargetInfo } from './report.js';
import { rbdBench, rbdBenchMissing } from './rbd.js';

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
  /** the HeaderDigest=CRC32C rows and the both-digests rows */
  digests: boolean;
  /** only the workloads whose id starts with one of these (--only a,b) */
  only: string[] | null;
  /** 'only': run only the RBD comparison (bench/rbd.ts) and exit; 'after': after the main cells; 'no': leave it out */
  rbd: 'only' | 'after' | 'no';
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
    digests: true,
    only: null,
    rbd: 'after',
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
    else if (a === '--no-digests') o.digests = false;
    else if (a === '--only') o.only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (a === '--rbd') o.rbd = 'only';
    else if (a === '--no-rbd') o.rbd = 'no';
    else if (a === '--keep') o.keep = true;
    else if (a === '--save-md') o.saveMd = true;
    else if (a === '--render') o.render = argv[++i] ?? null;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'usage: node dist/bench/run.js [--quick] [--rounds N] [--secs S] [--sessions N] [--http-secs S] [--http-connections N] [--no-http] [--no-counter-cost] [--no-digests] [--only ID-PREFIX,...] [--no-rbd] [--keep] [--save-md] | --rbd | --render RESULT.json\n',
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

/**
 * Another sanbox with the same two LUNs (its own 1 GiB image) and `env`: SANBOX_IO_COUNTERS=false
 * (what counting costs) or SANBOX_CRC32C=js (what the CPU's CRC32C buys in the digest rows).
 */
async function startTwin(
  dir: string,
  sessions: number,
  name: string,
  env: Record<string, string>,
  suffix: string,
  tag: (of: string) => Partial<TargetInfo>,
): Promise<{ sanbox: Sanbox | null; file: TargetInfo; null: TargetInfo }> {
  const file: TargetInfo = { label: `sanbox (file, ${suffix})`, system: 'sanbox', backing: 'file', url: null, ...tag('sanbox (file)') };
  const nul: TargetInfo = { label: `sanbox (null, ${suffix})`, system: 'sanbox', backing: 'null', url: null, ...tag('sanbox (null)') };
  try {
    const s = await Sanbox.start(dir, undefined, { name, env });
    const cfg = await s.configure(join(dir, `bench-${name}.img`), sessions + 16);
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
  if (opts.rbd === 'only') {
    const missing = rbdBenchMissing();
    return void process.stdout.write(rbdMarkdown(missing ? { missing } : await rbdBench(dir)));
  }

  // ---- CRC32C, before any target runs ----
  let crc32c: BenchReport['crc32c'];
  try {
    crc32c = crc32cMicro();
    log(
      `CRC32C (${crc32c.implementation}): ${crc32c.results.map((r) => `${r.bytes} B JS ${r.jsNs.toFixed(0)} ns, native ${Number.isFinite(r.nativeNs) ? `${r.nativeNs.toFixed(0)} ns` : 'n/a'}`).join('; ')}`,
    );
  } catch (e) {
    crc32c = { implementation: '?', fallbackReason: String(e instanceof Error ? e.message : e), results: [] };
  }

  // ---- what counting costs one command, measured directly (issue 15) ----
  const countingNs = countingNsPerCommand();
  log(`counting: ${countingNs.toFixed(0)} ns per command`);

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

  // ---- istgt ----
  const istgtImage = join(dir, 'istgt.img');
  makeImage(istgtImage, GiB);
  const istgtInfo: TargetInfo = { label: 'istgt (file)', system: 'istgt', backing: 'file', url: null };
  let istgt: Istgt | null = null;
  try {
    istgt = await Istgt.start(dir, istgtImage, GiB, opts.sessions + 16);
    istgtInfo.url = istgt.url;
    log(`istgt pid ${istgt.pid} on ${istgt.portal}`);
  } catch (e) {
    istgtInfo.error = String(e instanceof Error ? e.message : e);
    log(`istgt: ${istgtInfo.error}`);
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
    const off = await startTwin(dir, opts.sessions, 'sanbox-nocounters', { SANBOX_IO_COUNTERS: 'false' }, 'no counters', (of) => ({ baselineOf: of }));
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

  // ---- sanbox with the JavaScript CRC32C: its null LUN in the digest rows only ----
  const jsCrc: Lane[] = [];
  if (opts.digests) {
    const js = await startTwin(dir, opts.sessions, 'sanbox-jscrc', { SANBOX_CRC32C: 'js' }, 'JS CRC32C', (of) => ({ jsCrcOf: of }));
    jsCrc.push({
      info: js.null,
      pid: () => js.sanbox?.pid ?? null,
      ensureUp: async () => (js.sanbox?.running ? null : (js.null.error ?? 'sanbox (JS CRC32C) exited')),
      counts: new Map(),
    });
    log(`${js.null.label}: ${js.null.error ?? js.null.url}`);
  }

  const lanes: Lane[] = [
    { info: tgtInfo, pid: () => tgt?.pid ?? null, ensureUp: async () => (tgt?.running ? null : (tgtInfo.error ?? 'tgtd exited')), counts: new Map() },
    { info: istgtInfo, pid: () => istgt?.pid ?? null, ensureUp: async () => (istgt?.running ? null : (istgtInfo.error ?? 'istgt exited')), counts: new Map() },
    { info: sbFile, pid: () => sanbox?.pid ?? null, ensureUp: sanboxUp, counts: new Map() },
    ...uncounted.slice(0, 1),
    { info: sbNull, pid: () => sanbox?.pid ?? null, ensureUp: sanboxUp, counts: new Map() },
    ...uncounted.slice(1),
    ...jsCrc,
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
    if (opts.digests) {
      info.digests = await probeDigests(info.url);
      log(`${info.label}: digests ${JSON.stringify(info.digests)}`);
    }
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
  if (istgt && !istgtInfo.error && !aborted()) {
    log(`istgt: ${opts.sessions} sessions`);
    memory['istgt'] = await measureSessions(istgt.pid, istgt.port, istgt.iqn, opts.sessions).catch((e) => ({ error: String(e) }));
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
    const d = info.digests;
    const refused = d && 'header' in d && ((w.headerDigest && !d.header) || (w.dataDigest && !d.data));
    if (refused) {
      samples.push({ round, target: info.label, workload: w.id, m: failedM('the target does not agree to the digest (see its probe above)') });
      return;
    }
    const down = await lane.ensureUp();
    const pid = lane.pid();
    if (down || pid === null) {
      samples.push({ round, target: info.label, workload: w.id, m: failedM(down ?? 'no process') });
      return;
    }
    let m: Measurement;
    let count: number | undefined;
    if (w.tool === 'initiator') {
      m = await initiatorLoad(info.url, w, info.lunBytes ?? 0, info.blockSize ?? 512, Math.max(2, Math.round(opts.secs)), pid);
    } else if (w.tool === 'iscsi-perf') {
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
      `  ${info.label.padEnd(24)} ${w.id.padEnd(31)} ${m.ok ? `${Math.round(m.iops).toString().padStart(7)} IOPS ${m.mbs.toFixed(1).padStart(7)} MB/s cpu ${m.cpuPer10k.toFixed(3)} s/10k` : `ERR ${m.error}`}`,
    );
  };
  const workloads = [...WORKLOADS, ...(opts.digests ? [...DIGEST_WORKLOADS, ...BOTH_DIGEST_WORKLOADS] : [])].filter(
    (w) => opts.only === null || opts.only.some((p) => w.id.startsWith(p)),
  );
  for (let round = 1; round <= opts.rounds; round++) {
    log(`round ${round}/${opts.rounds}`);
    for (const w of workloads) {
      if (w.id === workloads.find((x) => x.bytes >= 131072)?.id && !aborted()) {
        const l = await loopbackCeiling(2);
        loopbacks.push({ round, ...l });
        log(`  loopback TCP ceiling ${Number.isFinite(l.mbs) ? `${l.mbs.toFixed(0)} MB/s (${l.tool})` : `ERR ${l.error}`}`);
      }
      // the digest rows compare targets, not counting: no uncounted twins there; the JS-CRC32C twin only there
      for (const lane of lanes) {
        if (w.headerDigest ? !lane.info.baselineOf : !lane.info.jsCrcOf) await runOne(lane, w, round);
      }
    }
  }

  const peakRssKiB: Record<string, number> = {};
  try {
    if (tgt?.running) peakRssKiB['tgt'] = memoryKiB(tgt.pid).hwm;
  } catch {
    /* gone */
  }
  try {
    if (istgt?.running) peakRssKiB['istgt'] = memoryKiB(istgt.pid).hwm;
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
  // ---- RBD: its own cluster and targets, after everything above has run ----
  let rbd: BenchReport['rbd'];
  if (opts.rbd === 'no') rbd = { missing: 'left out (--no-rbd)' };
  else if (!aborted()) {
    const missing = rbdBenchMissing();
    if (missing) {
      log(`rbd: no RBD rows: ${missing}`);
      rbd = { missing };
    } else {
      rbd = await rbdBench(dir).catch((e) => ({ missing: `the comparison failed: ${e instanceof Error ? e.message : String(e)}` }));
    }
  }
  if (aborted()) notes.unshift('ABORTED (signal): partial results');
  if (restarts > 0) notes.push(`sanbox was restarted ${restarts} time(s) during the run; CPU is charged to whichever process served each run`);
  const cpuModel = cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? '?';

  const report: BenchReport = {
    startedAt,
    finishedAt: new Date().toISOString(),
    totalSecs: (performance.now() - t0) / 1000,
    host: { hostname: hostname(), cpus: cpus().length, cpuModel, kernel: release(), node: process.version, loadAvgStart, loadAvgEnd: loadavg() },
    versions: { ...toolVersions(), tgtd: Tgt.version(), istgtVersion: Istgt.version() },
    sanboxCommit,
    options: { rounds: opts.rounds, secs: opts.secs, sessions: opts.sessions, httpSecs: opts.httpSecs, httpConnections: opts.httpConnections },
    loopback: loopbacks,
    targets: lanes.map((l) => l.info),
    workloads,
    crc32c,
    countingNs,
    samples,
    memory,
    peakRssKiB,
    http,
    httpPopulate,
    notes,
    rbd,
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

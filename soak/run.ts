/**
 * `npm run soak`: sanbox as a child process under 64 iSCSI sessions of mixed reads,
 * writes, UNMAP and persistent reservations for ten minutes, with connections dropped at
 * random and the configuration changing through the API meanwhile. Every read is checked
 * against what was written. A report line every minute; the exit code is non-zero on any
 * data mismatch, any error, or if sanbox dies.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../bench/net.js';
import { ApiChurn } from './api-churn.js';
import { parseOptions } from './options.js';
import { provision } from './provision.js';
import { Random } from './random.js';
import { formatDetails, formatLine, intervalReport, writeJson, type FinalReport, type IntervalReport } from './report.js';
import { SanboxChild } from './sanbox-child.js';
import { SoakSession } from './session.js';
import { SoakStats } from './stats.js';

const MiB = 1024 * 1024;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function commit(): string {
  try {
    return execFileSync('git', ['log', '-1', '--format=%h %s'], { encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
}

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2));
  const rnd = new Random(o.seed);
  const stats = new SoakStats();
  const dir = mkdtempSync(join(tmpdir(), 'sanbox-soak-'));
  const poolDir = join(dir, 'pool');
  mkdirSync(poolDir);
  const startedAt = new Date().toISOString();
  say(
    `[soak] ${o.sessions} sessions on ${o.targets} targets for ${o.durationSecs} s, seed ${o.seed}, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, dir ${dir}`,
  );

  const sanbox = await SanboxChild.start(dir, poolDir);
  let stopping = false;
  let died = false;
  const sessions: SoakSession[] = [];
  let churn: ApiChurn | null = null;
  const stopAll = () => {
    for (const s of sessions) s.stop();
    churn?.stop();
  };
  sanbox.onExit(() => {
    if (stopping) return;
    died = true;
    say(`[soak] sanbox died: ${sanbox.exit}`);
    stopAll();
  });
  let interrupted = 0;
  const onSignal = () => {
    // the first ^C ends the I/O phase early but still reports; the second leaves at once
    if (++interrupted > 1) {
      void sanbox.stop().finally(() => process.exit(130));
      return;
    }
    say('[soak] interrupted: finishing early');
    stopAll();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const perTarget = Math.ceil(o.sessions / o.targets);
  const setup = await provision(sanbox.api, {
    iscsiPort: await freePort(),
    poolDir,
    targets: o.targets,
    bytesPerTarget: Math.ceil(perTarget * o.spanMiB) * MiB,
    maxSessions: o.sessions + 16,
  });
  const run = rnd.int(1, 0x7fffffff);
  for (let i = 0; i < o.sessions; i++) {
    const t = setup.targets[i % o.targets]!;
    const span = Math.floor(t.capacity.blocks / perTarget);
    sessions.push(
      new SoakSession(
        {
          index: i,
          host: '127.0.0.1',
          port: setup.iscsiPort,
          targetIqn: t.iqn,
          lun: 0,
          blockSize: t.capacity.blockSize,
          firstLba: Math.floor(i / o.targets) * span,
          blocks: span,
          zeroesUnmapped: t.capacity.thin && t.capacity.zeroesUnmapped,
          run,
        },
        stats,
        new Random(rnd.int(1, 0x7fffffff)),
      ),
    );
  }
  for (const t of setup.targets) {
    say(`[soak] ${t.iqn}: ${t.capacity.blocks} blocks of ${t.capacity.blockSize} B, thin ${t.capacity.thin}, LBPRZ ${t.capacity.zeroesUnmapped}`);
  }

  const t0 = Date.now();
  const until = t0 + o.durationSecs * 1000;
  const intervals: IntervalReport[] = [];
  let peakRss: number | null = null;
  let lastReport = t0;
  const soakCpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const cpuAtStart = { sanbox: sanbox.usage()?.cpuSecs ?? null, soak: soakCpu() };
  let cpuBefore = { ...cpuAtStart };
  const report = () => {
    const now = Date.now();
    const { counts, latencies } = stats.takeInterval();
    const usage = sanbox.usage();
    if (usage) peakRss = Math.max(peakRss ?? 0, usage.rssKiB / 1024);
    const cpuNow = { sanbox: usage?.cpuSecs ?? null, soak: soakCpu() };
    const cpu = { sanbox: cpuNow.sanbox === null || cpuBefore.sanbox === null ? null : cpuNow.sanbox - cpuBefore.sanbox, soak: cpuNow.soak - cpuBefore.soak };
    cpuBefore = cpuNow;
    const r = intervalReport(counts, latencies, (now - lastReport) / 1000, (now - t0) / 1000, usage, cpu);
    lastReport = now;
    intervals.push(r);
    say(formatLine(r));
  };
  const reporter = setInterval(report, o.reportSecs * 1000);
  const dropper =
    o.dropEveryMs > 0
      ? setInterval(() => {
          // a random session that has a connection right now (one still logging in is skipped)
          for (let tries = 0; tries < 4; tries++) if (sessions[rnd.int(0, sessions.length - 1)]!.drop()) break;
        }, o.dropEveryMs)
      : null;
  churn = new ApiChurn(sanbox.api, setup, poolDir, stats, rnd);
  const churning = o.apiEveryMs > 0 ? churn.run(until, o.apiEveryMs) : Promise.resolve();

  await Promise.all(sessions.map((s) => s.run(until)));
  if (dropper) clearInterval(dropper);
  await churning;
  // the final sweep reads back every block of every session
  if (!died) await Promise.all(sessions.map((s) => s.finish()));
  clearInterval(reporter);
  if (Date.now() - lastReport > 500 || intervals.length === 0) report();

  const elapsed = (Date.now() - t0) / 1000;
  const totalLatencies = stats.runLatencies();
  const endUsage = sanbox.usage();
  const total = intervalReport({ ...stats.total }, totalLatencies, elapsed, elapsed, endUsage, {
    sanbox: endUsage === null || cpuAtStart.sanbox === null ? null : endUsage.cpuSecs - cpuAtStart.sanbox,
    soak: soakCpu() - cpuAtStart.soak,
  });
  stopping = true;
  if (!died) await sanbox.stop();
  const cleanExit = sanbox.exit === 'exit code 0, signal null';
  if (!died && !cleanExit) stats.error(`sanbox did not stop cleanly on SIGTERM: ${sanbox.exit}`);

  const final: FinalReport = {
    seed: o.seed,
    sessions: o.sessions,
    targets: o.targets,
    durationSecs: o.durationSecs,
    startedAt,
    commit: commit(),
    load: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
    intervals,
    total: { ...total, counts: { ...stats.total } },
    peakRssMiB: peakRss,
    sanboxExit: sanbox.exit,
    sanboxDied: died,
    mismatches: stats.mismatchDetails,
    errors: stats.errorDetails,
    unexpectedDrops: stats.dropDetails,
    passed: !died && stats.total.mismatches === 0 && stats.total.errors === 0,
  };
  say(formatLine(final.total, 'total'));
  say(`[soak] peak sanbox RSS ${peakRss === null ? '-' : (peakRss as number).toFixed(1)} MiB, load ${final.load}, sanbox ${sanbox.exit}`);
  for (const line of formatDetails(final)) say(line);
  if (o.json) writeJson(o.json, final);
  say(`[soak] ${final.passed ? 'PASS' : 'FAIL'}${final.passed ? '' : ` (sanbox log kept: ${sanbox.logPath})`}`);
  if (final.passed) rmSync(dir, { recursive: true, force: true });
  return final.passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`[soak] ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  },
);

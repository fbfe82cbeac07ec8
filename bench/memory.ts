/** Resident memory of a target process idle and with N sessions logged in. */
import { memoryKiB } from './proc-stats.js';
import { median } from './report.js';
import { IdleSession, isidFor } from './iscsi-login.js';
import { sleep } from './children.js';
import { HOST } from './net.js';

export interface MemoryResult {
  idleKiB: number;
  sessionsKiB: number;
  sessionsWanted: number;
  sessionsOpen: number;
  /** sessions still alive after the settle time (a target may drop idle ones) */
  sessionsAliveAfter: number;
  perSessionKiB: number;
  loginSecs: number;
  errors: string[];
}

/** Median VmRSS of 5 samples 200 ms apart (a Node heap moves between collections). */
async function settledRss(pid: number): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < 5; i++) {
    await sleep(200);
    xs.push(memoryKiB(pid).rss);
  }
  return median(xs);
}

/** Sessions are opened 8 at a time, held for `holdMs` (RSS sampled then), then logged out. */
export async function measureSessions(pid: number, port: number, targetName: string, n: number, holdMs = 500): Promise<MemoryResult> {
  const idle = await settledRss(pid);
  const sessions: IdleSession[] = [];
  const errors = new Set<string>();
  const t0 = performance.now();
  for (let i = 0; i < n; i += 8) {
    const batch = await Promise.allSettled(
      Array.from({ length: Math.min(8, n - i) }, (_, k) =>
        IdleSession.open(HOST, port, 'iqn.2026-11.sanbox.bench:rss', targetName, isidFor(i + k))),
    );
    for (const r of batch) {
      if (r.status === 'fulfilled') sessions.push(r.value);
      else errors.add(r.reason instanceof Error ? r.reason.message : String(r.reason));
    }
  }
  const loginSecs = (performance.now() - t0) / 1000;
  await sleep(holdMs);
  const withSessions = await settledRss(pid);
  const aliveAfter = sessions.filter((s) => s.alive).length;
  await Promise.all(sessions.map((s) => s.close()));
  return {
    idleKiB: idle,
    sessionsKiB: withSessions,
    sessionsWanted: n,
    sessionsOpen: sessions.length,
    sessionsAliveAfter: aliveAfter,
    perSessionKiB: sessions.length ? (withSessions - idle) / sessions.length : NaN,
    loginSecs,
    errors: [...errors],
  };
}

/** Resident memory of a target process idle and with N sessions logged in. */
import { memoryKiB } from './proc-stats.js';
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

/** Sessions are opened 8 at a time, held for `holdMs`, then logged out. */
export async function measureSessions(pid: number, port: number, targetName: string, n: number, holdMs = 1500): Promise<MemoryResult> {
  await sleep(500);
  const idle = memoryKiB(pid).rss;
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
  const withSessions = memoryKiB(pid).rss;
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

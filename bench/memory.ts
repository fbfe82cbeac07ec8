/** Resident memory of a target process idle and with N sessions logged in. */
import { memoryKiB } from './proc-stats.js';
import { median } from './report.js';
import { IscsiInitiator } from '../src/initiator/client.js';
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

/** A distinct ISID per session: type 0x80 (random), then the index. */
function isidFor(i: number): Buffer {
  const b = Buffer.alloc(6);
  b[0] = 0x80;
  b[1] = 0x5a;
  b.writeUInt32BE(i, 2);
  return b;
}

/** One idle Normal session held by the project's initiator (it answers NOP-Ins). */
async function openSession(port: number, targetName: string, isid: Buffer): Promise<IscsiInitiator> {
  const c = await IscsiInitiator.connect(HOST, port);
  try {
    await c.login({ initiatorName: 'iqn.2026-11.sanbox.bench:rss', targetName, isid });
    return c;
  } catch (e) {
    c.socket.destroy();
    throw e;
  }
}

async function closeSession(c: IscsiInitiator): Promise<void> {
  if (!c.isClosed) await Promise.race([c.logout().catch(() => 0), sleep(2000)]);
  c.socket.destroy();
}

/** Sessions are opened 8 at a time, held for `holdMs` (RSS sampled then), then logged out. */
export async function measureSessions(pid: number, port: number, targetName: string, n: number, holdMs = 500): Promise<MemoryResult> {
  const idle = await settledRss(pid);
  const sessions: IscsiInitiator[] = [];
  const errors = new Set<string>();
  const t0 = performance.now();
  for (let i = 0; i < n; i += 8) {
    const batch = await Promise.allSettled(Array.from({ length: Math.min(8, n - i) }, (_, k) => openSession(port, targetName, isidFor(i + k))));
    for (const r of batch) {
      if (r.status === 'fulfilled') sessions.push(r.value);
      else errors.add(r.reason instanceof Error ? r.reason.message : String(r.reason));
    }
  }
  const loginSecs = (performance.now() - t0) / 1000;
  await sleep(holdMs);
  const withSessions = await settledRss(pid);
  const aliveAfter = sessions.filter((s) => !s.isClosed).length;
  await Promise.all(sessions.map(closeSession));
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

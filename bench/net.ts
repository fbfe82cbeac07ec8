/** Loopback helpers: free ports and waiting for a listener. Everything is on 127.0.0.1. */
import { createServer, connect } from 'node:net';
import { execFileSync } from 'node:child_process';
import { sleep } from './children.js';

export const HOST = '127.0.0.1';

/** A port the kernel hands out as free right now (bind to 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Is `pid` (exactly that process) listening on 127.0.0.1:`port`? Uses `ss -ltnpH`. */
export function pidListensOn(pid: number, port: number): boolean {
  try {
    const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
    return out.split('\n').some((l) => l.includes(`${HOST}:${port}`) && l.includes(`pid=${pid},`));
  } catch {
    return false;
  }
}

/** Can we open a TCP connection to 127.0.0.1:port? */
export function canConnect(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: HOST, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Poll `check` every 100 ms until it is true, `alive()` turns false, or the time is up. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, alive: () => boolean = () => true): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!alive()) return false;
    if (await check()) return true;
    await sleep(100);
  }
  return false;
}

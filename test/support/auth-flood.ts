/**
 * A wrong-password flood against a running sanbox: `concurrency` requests kept in flight
 * for `durationMs`, each with a different wrong password, counted by status. Run it in
 * this process (`flood(...)`) or as a child process (`floodInChild(...)`), so that the
 * attacker's own CPU is not spent on the event loop being measured.
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

export interface FloodOptions {
  url: string;
  concurrency: number;
  durationMs: number;
  user?: string;
}

export interface FloodResult {
  sent: number;
  byStatus: Record<string, number>;
  elapsedMs: number;
  /** Retry-After values seen on 429/503 answers. */
  retryAfter: string[];
}

export async function flood(o: FloodOptions): Promise<FloodResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency });
  const byStatus: Record<string, number> = {};
  const retryAfter = new Set<string>();
  const start = performance.now();
  const end = start + o.durationMs;
  let sent = 0;
  const one = (n: number) =>
    new Promise<void>((resolve) => {
      const auth = Buffer.from(`${o.user ?? 'admin'}:wrong-guess-${n}`).toString('base64');
      const req = http.get(o.url, { agent, headers: { authorization: `Basic ${auth}` } }, (res) => {
        const key = String(res.statusCode);
        byStatus[key] = (byStatus[key] ?? 0) + 1;
        const ra = res.headers['retry-after'];
        if (typeof ra === 'string') retryAfter.add(ra);
        res.resume();
        res.on('end', resolve);
        res.on('error', resolve);
      });
      req.on('error', () => {
        byStatus.error = (byStatus.error ?? 0) + 1;
        resolve();
      });
    });
  const lane = async () => {
    while (performance.now() < end) await one(sent++);
  };
  await Promise.all(Array.from({ length: o.concurrency }, lane));
  agent.destroy();
  return { sent, byStatus, elapsedMs: performance.now() - start, retryAfter: [...retryAfter] };
}

/** The same flood from a child process; resolves when it is over. */
export function floodInChild(o: FloodOptions): { started: Promise<void>; done: Promise<FloodResult> } {
  const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(o)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let started!: () => void;
  const startedP = new Promise<void>((resolve) => (started = resolve));
  const done = new Promise<FloodResult>((resolve, reject) => {
    child.on('message', (m: { started?: true; result?: FloodResult }) => {
      if (m.started) started();
      if (m.result) resolve(m.result);
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? undefined : reject(new Error(`flood child exited with ${code}`))));
  });
  return { started: startedP, done };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.send) {
  const options = JSON.parse(process.argv[2]!) as FloodOptions;
  process.send({ started: true });
  const result = await flood(options);
  process.send({ result }, () => process.exit(0));
}

/**
 * Every process the benchmark starts goes through here, so that all of them are stopped
 * (by PID, never by name) on normal exit, on error and on SIGINT/SIGTERM.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';

const live = new Set<ChildProcess>();
/** short-lived client tools (qemu-img, iscsi-perf, ...): killed first on abort */
const clients = new Set<ChildProcess>();
let abortedFlag = false;

/** True once a signal or an error started the teardown: start nothing new. */
export function aborted(): boolean {
  return abortedFlag;
}
type Cleanup = { name: string; fn: () => Promise<void> | void };
const cleanups: Cleanup[] = [];
let cleaning: Promise<void> | null = null;

/** Start a long-lived child; it is SIGKILLed by PID at exit if still running. */
export function spawnTracked(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

/** Is `cmd` an executable on PATH (a missing anchor is named, not mistaken for a start failure)? */
export function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null && child.pid !== undefined;
}

/** SIGTERM (or `signal`), wait up to `graceMs`, then SIGKILL. Only this one PID. */
export async function stopChild(child: ChildProcess, graceMs = 8000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!isRunning(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const t = await Promise.race([exited.then(() => 'exit'), sleep(graceMs).then(() => 'timeout')]);
  if (t === 'timeout' && isRunning(child)) {
    child.kill('SIGKILL');
    await Promise.race([exited, sleep(2000)]);
  }
}

export interface RunResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  wallMs: number;
}

/** Run a short-lived command to completion (killed by PID after `timeoutMs`). */
export function run(cmd: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    if (abortedFlag) {
      resolve({ code: null, signal: null, stdout: '', stderr: 'aborted', timedOut: false, wallMs: 0 });
      return;
    }
    const child = spawnTracked(cmd, args);
    clients.add(child);
    child.once('close', () => clients.delete(child));
    let stdout = '';
    let stderr = '';
    const cap = (s: string, d: Buffer) => (s.length > 1 << 20 ? s : s + d.toString('utf8'));
    child.stdout?.on('data', (d: Buffer) => {
      stdout = cap(stdout, d);
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr = cap(stderr, d);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const done = (code: number | null, signal: string | null, extra = '') => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr: stderr + extra, timedOut, wallMs: Number(process.hrtime.bigint() - t0) / 1e6 });
    };
    child.once('error', (e) => done(null, null, String(e)));
    child.once('close', (code, signal) => done(code, signal));
  });
}

/** Register an undo step; they run newest first. */
export function onCleanup(name: string, fn: () => Promise<void> | void): void {
  cleanups.push({ name, fn });
}

export function cleanupAll(): Promise<void> {
  abortedFlag = true;
  if (!cleaning) {
    cleaning = (async () => {
      // clients first: tgtd refuses to delete a LUN that still has sessions
      for (const c of clients) c.kill('SIGKILL');
      while (cleanups.length > 0) {
        const c = cleanups.pop()!;
        try {
          await c.fn();
        } catch (e) {
          process.stderr.write(`[bench] cleanup ${c.name} failed: ${String(e)}\n`);
        }
      }
      for (const child of live) child.kill('SIGKILL');
    })();
  }
  return cleaning;
}

/** SIGINT/SIGTERM: undo everything, exit 130. Synchronous last resort on 'exit'. */
export function installSignalHandlers(): void {
  const onSignal = (sig: NodeJS.Signals) => {
    process.stderr.write(`\n[bench] ${sig}: stopping everything this run started\n`);
    void cleanupAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/** Last `n` characters of a tool's output, on one line, for an error cell. */
export function tail(s: string, n = 160): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? '…' + one.slice(-n) : one;
}

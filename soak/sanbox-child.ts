/**
 * The sanbox under soak: `node dist/src/main.js serve` as a child process on a temp data
 * dir, an ephemeral HTTP port (HTTPS off, so no fixed port can collide with another
 * sanbox on the machine) and a pool in the temp dir for the file extents.
 */
import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRunning, spawnTracked, stopChild } from '../bench/children.js';
import { clockTicks, cpuTicks } from '../bench/proc-stats.js';
import { FreeNasClient } from '../bench/freenas-client.js';
import { HOST, freePort, waitFor } from '../bench/net.js';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));

export class SanboxChild {
  readonly api: FreeNasClient;
  /** Set when the process ended: how. */
  exit: string | null = null;

  private constructor(
    private readonly child: ChildProcess,
    readonly httpPort: number,
    readonly logPath: string,
    password: string,
  ) {
    this.api = new FreeNasClient(`http://${HOST}:${httpPort}`, 'admin', password);
    child.once('exit', (code, signal) => {
      this.exit = `exit code ${code}, signal ${signal}`;
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return isRunning(this.child);
  }

  onExit(fn: () => void): void {
    this.child.once('exit', fn);
  }

  static async start(dir: string, poolDir: string): Promise<SanboxChild> {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} does not exist: run npm run build first`);
    const httpPort = await freePort();
    const password = randomBytes(12).toString('hex');
    const child = spawnTracked(process.execPath, [MAIN, 'serve'], {
      env: {
        ...process.env,
        SANBOX_DATA_DIR: join(dir, 'data'),
        SANBOX_HTTP: `${HOST}:${httpPort}`,
        SANBOX_HTTPS: 'off',
        SANBOX_ADMIN_PASSWORD: password,
        SANBOX_POOLS: `soak:${poolDir}`,
        NODE_ENV: 'production',
      },
    });
    const logPath = join(dir, 'sanbox.log');
    const log = createWriteStream(logPath);
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    const s = new SanboxChild(child, httpPort, logPath, password);
    const up = await waitFor(
      () =>
        s.api.get('/globalconfiguration/').then(
          () => true,
          () => false,
        ),
      20000,
      () => s.running,
    );
    if (!up) {
      await s.stop();
      throw new Error(`sanbox did not start (${s.exit ?? 'API silent for 20 s'}); log: ${logPath}`);
    }
    return s;
  }

  /** Resident set (KiB), open descriptors and CPU seconds so far, from /proc; null once the process is gone. */
  usage(): { rssKiB: number; fds: number; cpuSecs: number } | null {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const rssKiB = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
      return { rssKiB, fds: readdirSync(`/proc/${this.pid}/fd`).length, cpuSecs: cpuTicks(this.pid) / clockTicks() };
    } catch {
      return null;
    }
  }

  /** SIGTERM and wait for the clean stop sanbox promises; SIGKILL after 10 s. */
  async stop(): Promise<void> {
    await stopChild(this.child, 10000);
  }
}

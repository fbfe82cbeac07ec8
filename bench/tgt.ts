/**
 * tgt (Linux SCSI target framework, Debian's `tgt`) as the reference target: our own tgtd
 * on a free loopback port and a private control port, one file-backed LUN.
 *
 * Two traps: tgtd that cannot bind its portal silently falls back to 0.0.0.0:3260, so we
 * check that *our* PID listens on *our* port; and tgtd ignores SIGTERM, so it is stopped
 * with `tgtadm --mode system --op delete`, then SIGKILL by PID.
 */
import { existsSync, rmSync, createWriteStream } from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { spawnTracked, isRunning, stopChild, onCleanup, tail, sleep, onPath } from './children.js';
import { freePort, pidListensOn, waitFor, HOST } from './net.js';

const SOCKET_DIR = '/var/run/tgtd';

export class Tgt {
  readonly iqn = 'iqn.2026-11.sanbox.bench:tgt';
  readonly lun = 1;
  private stopped = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly controlPort: number,
    private readonly logPath: string,
  ) {}

  get pid(): number {
    return this.child.pid!;
  }
  get portal(): string {
    return `${HOST}:${this.port}`;
  }
  get url(): string {
    return `iscsi://${this.portal}/${this.iqn}/${this.lun}`;
  }
  get running(): boolean {
    return isRunning(this.child);
  }

  static version(): string {
    try {
      return execFileSync('tgtd', ['-V'], { encoding: 'utf8' }).trim();
    } catch {
      return '?';
    }
  }

  /** Start tgtd and serve `image` (an existing file) as LUN 1. */
  static async start(dir: string, image: string): Promise<Tgt> {
    if (!onPath('tgtd')) throw new Error('tgtd is not installed (Debian package tgt: apt-get install -y tgt)');
    const port = await freePort();
    let control = 0;
    for (let i = 0; i < 100 && control === 0; i++) {
      const c = 10000 + Math.floor(Math.random() * 20000); // tgtd rejects larger values
      if (!existsSync(join(SOCKET_DIR, `socket.${c}`)) && !existsSync(join(SOCKET_DIR, `socket.${c}.lock`))) control = c;
    }
    if (control === 0) throw new Error('no free tgtd control port');
    const logPath = join(dir, 'tgtd.log');
    const child = spawnTracked('tgtd', ['-f', '--iscsi', `portal=${HOST}:${port}`, '-C', String(control)]);
    const logFile = createWriteStream(logPath);
    child.stdout?.pipe(logFile);
    child.stderr?.pipe(logFile);
    const tgt = new Tgt(child, port, control, logPath);
    onCleanup('tgtd', () => tgt.stop());
    const up = await waitFor(
      () => pidListensOn(child.pid!, port),
      10000,
      () => isRunning(child),
    );
    if (!up) {
      await tgt.stop();
      throw new Error(`tgtd did not listen on ${HOST}:${port}: ${tail(tgt.logTail())}`);
    }
    tgt.adm(['--mode', 'target', '--op', 'new', '--tid', '1', '--targetname', tgt.iqn]);
    tgt.adm(['--mode', 'logicalunit', '--op', 'new', '--tid', '1', '--lun', String(tgt.lun), '--backing-store', image]);
    tgt.adm(['--mode', 'target', '--op', 'bind', '--tid', '1', '--initiator-address', HOST]);
    // tgt answers HeaderDigest/DataDigest=None unless told it may use CRC32C; the digest rows need it
    for (const key of ['HeaderDigest', 'DataDigest']) {
      tgt.adm(['--mode', 'target', '--op', 'update', '--tid', '1', '--name', key, '--value', 'CRC32C,None']);
    }
    return tgt;
  }

  private adm(args: string[]): string {
    return execFileSync('tgtadm', ['-C', String(this.controlPort), '--lld', 'iscsi', ...args], { encoding: 'utf8', timeout: 10000 });
  }

  logTail(): string {
    try {
      return execFileSync('tail', ['-c', '600', this.logPath], { encoding: 'utf8' });
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.running) {
      // sessions of just-killed clients may linger a moment: retry, then SIGKILL
      for (let i = 0; i < 5; i++) {
        try {
          try {
            this.adm(['--mode', 'target', '--op', 'delete', '--force', '--tid', '1']);
          } catch {
            /* not created */
          }
          execFileSync('tgtadm', ['-C', String(this.controlPort), '--mode', 'system', '--op', 'delete'], { timeout: 10000, stdio: 'ignore' });
          break;
        } catch {
          await sleep(200);
        }
      }
      await waitFor(() => !this.running, 3000);
      await stopChild(this.child, 100, 'SIGKILL');
      await sleep(50);
    }
    // tgtd leaves its control socket behind; we checked it did not exist before we started
    for (const f of [`socket.${this.controlPort}`, `socket.${this.controlPort}.lock`]) {
      rmSync(join(SOCKET_DIR, f), { force: true });
    }
  }
}

/**
 * Debian's tgt as the external iSCSI array of the remote-LUN tests: our own tgtd on a free
 * loopback port with a private control port, file-backed LUN 1 per target, optional CHAP
 * and thin provisioning. It can be stopped and started again on the same port with the
 * same images, as an array that restarts.
 *
 * tgt's traps (see bench/tgt.ts): a tgtd that cannot bind its portal silently listens on
 * 0.0.0.0:3260 instead, so we check that *our* PID listens on *our* port; and it ignores
 * SIGTERM, so it is stopped with `tgtadm --mode system --op delete`, then SIGKILL by PID.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './peers.js';

const HOST = '127.0.0.1';
const SOCKET_DIR = '/var/run/tgtd';

export interface ArrayTarget {
  readonly iqn: string;
  readonly image: string;
  /** An incoming account: initiators must log in with this CHAP user and secret. */
  readonly chap?: { readonly user: string; readonly secret: string };
  /** thin_provisioning=1: UNMAP punches holes, READ CAPACITY(16) says LBPME and LBPRZ. */
  readonly thin?: boolean;
}

/** tgtd exits when killed; kill whatever is left when the test process ends. */
const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of alive) c.kill('SIGKILL');
});

export class TgtArray {
  readonly lun = 1;
  private child: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    private readonly controlPort: number,
    readonly targets: readonly ArrayTarget[],
    private readonly logPath: string,
  ) {}

  static async start(dir: string, targets: readonly ArrayTarget[]): Promise<TgtArray> {
    const a = new TgtArray(await freePort(HOST), freeControlPort(), targets, join(dir, 'tgtd.log'));
    await a.start();
    return a;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Start tgtd again (after stop()) on the same port, serving the same images. */
  async start(): Promise<void> {
    if (this.child) return;
    const log = openSync(this.logPath, 'a');
    const child = spawn('tgtd', ['-f', '--iscsi', `portal=${HOST}:${this.port}`, '-C', String(this.controlPort)], { stdio: ['ignore', log, log] });
    closeSync(log);
    alive.add(child);
    child.once('exit', () => alive.delete(child));
    this.child = child;
    const end = Date.now() + 10_000;
    while (!listens(child.pid!, this.port)) {
      if (Date.now() > end || child.exitCode !== null) {
        await this.stop();
        throw new Error(`tgtd did not listen on ${HOST}:${this.port}: ${this.logTail()}`);
      }
      await sleep(50);
    }
    this.targets.forEach((t, i) => {
      const tid = String(i + 1);
      this.adm(['--mode', 'target', '--op', 'new', '--tid', tid, '--targetname', t.iqn]);
      this.adm(['--mode', 'logicalunit', '--op', 'new', '--tid', tid, '--lun', String(this.lun), '--backing-store', t.image]);
      if (t.thin) this.adm(['--mode', 'logicalunit', '--op', 'update', '--tid', tid, '--lun', String(this.lun), '--params', 'thin_provisioning=1']);
      if (t.chap) {
        this.adm(['--mode', 'account', '--op', 'new', '--user', t.chap.user, '--password', t.chap.secret]);
        this.adm(['--mode', 'account', '--op', 'bind', '--tid', tid, '--user', t.chap.user]);
      }
      this.adm(['--mode', 'target', '--op', 'bind', '--tid', tid, '--initiator-address', HOST]);
    });
  }

  /** Drop every session and end tgtd; its port is free afterwards. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode === null) {
      for (let i = 0; i < 5; i++) {
        try {
          this.targets.forEach((_, t) => {
            try {
              this.adm(['--mode', 'target', '--op', 'delete', '--force', '--tid', String(t + 1)]);
            } catch {
              // not created, or already gone
            }
          });
          execFileSync('tgtadm', ['-C', String(this.controlPort), '--mode', 'system', '--op', 'delete'], { timeout: 10_000, stdio: 'ignore' });
          break;
        } catch {
          await sleep(200);
        }
      }
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await Promise.race([exited, sleep(3000)]);
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    // tgtd leaves its control socket behind.
    for (const f of [`socket.${this.controlPort}`, `socket.${this.controlPort}.lock`]) rmSync(join(SOCKET_DIR, f), { force: true });
  }

  private adm(args: string[]): string {
    return execFileSync('tgtadm', ['-C', String(this.controlPort), '--lld', 'iscsi', ...args], { encoding: 'utf8', timeout: 10_000 });
  }

  private logTail(): string {
    try {
      return readFileSync(this.logPath, 'utf8').slice(-600);
    } catch {
      return '';
    }
  }
}

/** tgtd takes control ports below 32768; one whose socket file is not there is ours. */
function freeControlPort(): number {
  for (let i = 0; i < 100; i++) {
    const c = 10_000 + Math.floor(Math.random() * 20_000);
    if (!existsSync(join(SOCKET_DIR, `socket.${c}`)) && !existsSync(join(SOCKET_DIR, `socket.${c}.lock`))) return c;
  }
  throw new Error('no free tgtd control port');
}

/** Is exactly `pid` listening on 127.0.0.1:`port`? */
function listens(pid: number, port: number): boolean {
  try {
    const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
    return out.split('\n').some((l) => l.includes(`${HOST}:${port}`) && l.includes(`pid=${pid},`));
  } catch {
    return false;
  }
}

/**
 * istgt (Debian's `istgt`, the FreeBSD-born userland target) as the second reference
 * target: our own `istgt -D` (foreground) on a free loopback port with a config written
 * into the run's temp dir, one file-backed LUN 0. Configured as
 * ../shared/tools/bench-anchors.sh does it: AuthMethod None, UseDigest Auto (so the
 * digest rows can turn HeaderDigest on), QueueDepth 64, FirstBurstLength 256 KiB,
 * MaxBurstLength 1 MiB, MaxRecvDataSegmentLength 256 KiB, InitialR2T Yes, ImmediateData Yes.
 *
 * istgt stops on SIGTERM; it is started and stopped by PID only. It has no control socket
 * (no [UnitControl] portal), so nothing outside the temp dir is touched.
 */
import { createWriteStream, writeFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { spawnTracked, isRunning, stopChild, onCleanup, tail, onPath } from './children.js';
import { freePort, pidListensOn, waitFor, HOST } from './net.js';

export class Istgt {
  readonly iqn = 'iqn.2026-11.sanbox.bench:istgt';
  readonly lun = 0;
  private stopped = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
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

  /** "0.4 (20111008)" from `istgt -V`, or '?' when it is not installed. */
  static version(): string {
    try {
      // istgt -V prints its version and exits non-zero
      const out = execFileSync('sh', ['-c', 'istgt -V 2>&1 || true'], { encoding: 'utf8' });
      const v = /istgt version (\S+)/.exec(out)?.[1];
      const extra = /extra version (\S+)/.exec(out)?.[1];
      return v ? `${v}${extra ? ` (${extra})` : ''}` : '?';
    } catch {
      return '?';
    }
  }

  /**
   * Start istgt serving `image` (an existing file of `bytes`) as LUN 0. `maxSessions`
   * must cover the memory phase's logins; `queueDepth` is istgt's per-LU command queue.
   */
  static async start(dir: string, image: string, bytes: number, maxSessions: number, queueDepth = 64): Promise<Istgt> {
    if (!onPath('istgt')) throw new Error('istgt is not installed (Debian package istgt: apt-get install -y istgt)');
    const port = await freePort();
    const conf = join(dir, 'istgt');
    mkdirSync(conf, { recursive: true });
    writeFileSync(join(conf, 'auth.conf'), '[AuthGroup1]\n  Auth "unused-user" "unusedsecret1234"\n');
    const mib = Math.floor(bytes / 2 ** 20);
    writeFileSync(
      join(conf, 'istgt.conf'),
      [
        '[Global]',
        '  NodeBase "iqn.2026-11.sanbox.bench"',
        `  PidFile ${join(conf, 'istgt.pid')}`,
        `  AuthFile ${join(conf, 'auth.conf')}`,
        `  MediaDirectory ${conf}`,
        '  LogFacility "local7"',
        '  Timeout 30',
        '  NopInInterval 20',
        '  DiscoveryAuthMethod None',
        `  MaxSessions ${maxSessions}`,
        '  MaxConnections 4',
        '  MaxR2T 32',
        '  MaxOutstandingR2T 16',
        '  DefaultTime2Wait 2',
        '  DefaultTime2Retain 60',
        '  FirstBurstLength 262144',
        '  MaxBurstLength 1048576',
        '  MaxRecvDataSegmentLength 262144',
        '  InitialR2T Yes',
        '  ImmediateData Yes',
        '  DataPDUInOrder Yes',
        '  DataSequenceInOrder Yes',
        '  ErrorRecoveryLevel 0',
        '',
        '[UnitControl]',
        '  AuthMethod None',
        `  Netmask ${HOST}`,
        '',
        '[PortalGroup1]',
        `  Portal DA1 ${HOST}:${port}`,
        '',
        '[InitiatorGroup1]',
        '  InitiatorName "ALL"',
        `  Netmask ${HOST}/32`,
        '',
        '[LogicalUnit1]',
        '  TargetName iqn.2026-11.sanbox.bench:istgt',
        '  Mapping PortalGroup1 InitiatorGroup1',
        '  AuthMethod None',
        '  UseDigest Auto',
        '  UnitType Disk',
        `  QueueDepth ${queueDepth}`,
        `  LUN0 Storage ${image} ${mib}MB`,
        '',
      ].join('\n'),
    );
    const logPath = join(conf, 'istgt.log');
    const child = spawnTracked('istgt', ['-c', join(conf, 'istgt.conf'), '-D']);
    const logFile = createWriteStream(logPath);
    child.stdout?.pipe(logFile);
    child.stderr?.pipe(logFile);
    const t = new Istgt(child, port, logPath);
    onCleanup('istgt', () => t.stop());
    const up = await waitFor(
      () => pidListensOn(child.pid!, port),
      10000,
      () => isRunning(child),
    );
    if (!up) {
      await t.stop();
      throw new Error(`istgt did not listen on ${HOST}:${port}: ${tail(t.logTail())}`);
    }
    return t;
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
    await stopChild(this.child, 5000, 'SIGTERM');
  }
}

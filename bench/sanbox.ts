/**
 * sanbox under test: `node dist/src/main.js serve` as a child process with a private data
 * dir, HTTP port and admin password, configured only through its FreeNAS v1.0 REST API
 * (as a FreeNAS client would), serving a 1 GiB file extent and a null (/dev/zero) extent.
 */
import { createWriteStream, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnTracked, isRunning, stopChild, onCleanup, tail } from './children.js';
import { freePort, canConnect, waitFor, HOST } from './net.js';
import { FreeNasClient, FREENAS, idOf } from './freenas-client.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A LUN sanbox serves, or why it does not. */
export interface SanboxLun {
  iqn: string;
  lun: number;
  url: string;
}

export interface SanboxConfig {
  portalGroupId: number;
  initiatorGroupId: number;
  basename: string;
  file: SanboxLun | { error: string };
  null: SanboxLun | { error: string };
}

export class Sanbox {
  readonly api: FreeNasClient;
  private stopped = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly httpPort: number,
    readonly iscsiPort: number,
    private readonly logPath: string,
  ) {
    this.api = new FreeNasClient(`http://${HOST}:${httpPort}`, 'admin', Sanbox.password);
  }

  private static password = randomBytes(12).toString('hex');

  get pid(): number {
    return this.child.pid!;
  }
  get running(): boolean {
    return isRunning(this.child);
  }
  get portal(): string {
    return `${HOST}:${this.iscsiPort}`;
  }
  get httpBase(): string {
    return `http://${HOST}:${this.httpPort}`;
  }
  get exitInfo(): string {
    return `exit code ${this.child.exitCode}, signal ${this.child.signalCode}`;
  }

  static commit(): string {
    try {
      const head = execFileSync('git', ['-C', REPO_ROOT, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' }).trim();
      const dirty = execFileSync('git', ['-C', REPO_ROOT, 'status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).trim()
        ? ' (src/ has uncommitted changes)'
        : '';
      return head + dirty;
    } catch {
      return '?';
    }
  }

  /**
   * Start the server and wait until the API answers. `dir` holds the data dir and the pool.
   * `ports` on a restart: the same data dir, so the stored portal comes back on its port.
   * `variant`: a second instance beside the first (its own data dir and log), with extra settings.
   */
  static async start(dir: string, ports?: { http: number; iscsi: number }, variant?: { name: string; env: Record<string, string> }): Promise<Sanbox> {
    const main = join(REPO_ROOT, 'dist/src/main.js');
    if (!existsSync(main)) throw new Error(`${main} does not exist (src/main.ts not built yet)`);
    const httpPort = ports?.http ?? (await freePort());
    const iscsiPort = ports?.iscsi ?? (await freePort());
    const name = variant?.name ?? 'sanbox';
    const logPath = join(dir, `${name}${ports ? '-restart-' + Date.now() : ''}.log`);
    const child = spawnTracked(process.execPath, [main, 'serve'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        SANBOX_DATA_DIR: join(dir, `${name}-data`),
        SANBOX_HTTP: `${HOST}:${httpPort}`,
        // Plain HTTP is all the bench calls; two instances must not both ask for 8443.
        SANBOX_HTTPS: 'off',
        SANBOX_ADMIN_PASSWORD: Sanbox.password,
        SANBOX_POOLS: `bench:${dir}`,
        NODE_ENV: 'production',
        ...variant?.env,
      },
    });
    const logFile = createWriteStream(logPath);
    child.stdout?.pipe(logFile);
    child.stderr?.pipe(logFile);
    const s = new Sanbox(child, httpPort, iscsiPort, logPath);
    onCleanup('sanbox', () => s.stop());
    const up = await waitFor(
      async () => {
        try {
          await s.api.get('/globalconfiguration/');
          return true;
        } catch {
          return false;
        }
      },
      20000,
      () => isRunning(child),
    );
    if (!up) {
      const why = isRunning(child) ? 'API did not answer in 20 s' : s.exitInfo;
      await s.stop();
      throw new Error(`sanbox did not start (${why}): ${tail(s.logTail(), 400)}`);
    }
    return s;
  }

  /** portal, authorized initiator, then a target + extent + LUN for the file and the null backstore. */
  async configure(imagePath: string, maxSessions: number): Promise<SanboxConfig> {
    const api = this.api;
    const gc = await api.get<Record<string, unknown>>('/globalconfiguration/');
    const basename = String(gc['iscsi_basename']);
    // room for the 64-session memory test (the FreeNAS default is 16 sessions)
    if (Number(gc['iscsi_maxsesh']) < maxSessions) await api.request('PUT', `${FREENAS}/globalconfiguration/`, { iscsi_maxsesh: maxSessions });
    const portal = await api.post('/portal/', { iscsi_target_portal_ips: [this.portal] });
    const ig = await api.post('/authorizedinitiator/', { iscsi_target_initiator_initiators: 'ALL', iscsi_target_initiator_auth_network: 'ALL' });
    const portalGroupId = idOf(portal, 'portal');
    const initiatorGroupId = idOf(ig, 'authorizedinitiator');
    const lun = async (name: string, extent: Record<string, unknown>): Promise<SanboxLun | { error: string }> => {
      try {
        const e = await api.post('/extent/', { iscsi_target_extent_name: name, ...extent });
        const t = await api.post('/target/', {
          iscsi_target_name: name,
          iscsi_target_portalgroup: portalGroupId,
          iscsi_target_initiatorgroup: initiatorGroupId,
        });
        const te = await api.post('/targettoextent/', { iscsi_target: idOf(t, 'target'), iscsi_extent: idOf(e, 'extent') });
        const lunId = typeof te['iscsi_lunid'] === 'number' ? te['iscsi_lunid'] : 0;
        const iqn = `${basename}:${name}`;
        return { iqn, lun: lunId, url: `iscsi://${this.portal}/${iqn}/${lunId}` };
      } catch (e) {
        return { error: `configure ${name}: ${e instanceof Error ? e.message : String(e)}` };
      }
    };
    const file = await lun('bench', { iscsi_target_extent_type: 'File', iscsi_target_extent_filesize: '1GB', iscsi_target_extent_path: imagePath });
    const nul = await lun('benchnull', { iscsi_target_extent_type: 'Device', iscsi_target_extent_filesize: '1GB', iscsi_target_extent_path: '/dev/zero' });
    // the API answers after the change is live; give a portal that failed to bind a moment anyway
    await waitFor(
      () => canConnect(this.iscsiPort),
      5000,
      () => this.running,
    );
    return { portalGroupId, initiatorGroupId, basename, file, null: nul };
  }

  logTail(): string {
    try {
      return execFileSync('tail', ['-c', '2000', this.logPath], { encoding: 'utf8' });
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await stopChild(this.child, 8000);
  }
}

/**
 * A throw-away Ceph cluster for the RBD tests: scripts/ceph-cluster.mjs in a temp dir,
 * on a port of its own (the monitor, then 60 for the OSD and manager), stopped and
 * removed afterwards. The `rbd` CLI reads the cluster through its conf and admin keyring.
 *
 *   const ceph = await CephCluster.start();
 *   ceph.env.key; await ceph.rbd(['ls', 'rbd']); await ceph.stopOsd(); await ceph.destroy();
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface CephEnv {
  dir: string;
  conf: string;
  keyring: string;
  monitor: string;
  port: string;
  pool: string;
  user: string;
  key: string;
}

function script(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = path.join(dir, 'scripts', 'ceph-cluster.mjs');
    if (fs.existsSync(p)) return p;
    dir = path.dirname(dir);
  }
  throw new Error('scripts/ceph-cluster.mjs not found above the test');
}

export class CephCluster {
  private constructor(
    readonly env: CephEnv,
    private readonly port: number,
  ) {}

  static async start(): Promise<CephCluster> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-ceph-'));
    // A block of ports nobody else on this host is likely to use: 20000-29900 in hundreds.
    const port = 20_000 + 100 * Math.floor(Math.random() * 100);
    const { stdout } = await CephCluster.script(port, 'start', dir, 180_000);
    return new CephCluster(JSON.parse(stdout.trim().split('\n').pop()!) as CephEnv, port);
  }

  private static script(port: number, command: string, dir: string, timeout = 120_000) {
    return exec('node', [script(), command, dir], { env: { ...process.env, SANBOX_CEPH_PORT: String(port) }, timeout, maxBuffer: 16 * 1024 * 1024 });
  }

  /** The rbd CLI as the cluster's admin. */
  async rbd(args: string[]): Promise<string> {
    const { stdout } = await exec('rbd', ['-c', this.env.conf, ...args], { timeout: 120_000, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' });
    return stdout;
  }

  /** `rbd export` of an image, its bytes. */
  async export(image: string): Promise<Buffer> {
    const file = path.join(this.env.dir, `${image}.export`);
    fs.rmSync(file, { force: true });
    await this.rbd(['export', `${this.env.pool}/${image}`, file]);
    const bytes = fs.readFileSync(file);
    fs.rmSync(file);
    return bytes;
  }

  /** Provisioned and used bytes of an image (rbd du, from the object map). */
  async du(image: string): Promise<{ provisioned: number; used: number }> {
    const out = JSON.parse(await this.rbd(['du', '--format', 'json', `${this.env.pool}/${image}`])) as {
      images: Array<{ name: string; provisioned_size: number; used_size: number }>;
    };
    const row = out.images.find((i) => i.name === image);
    if (!row) throw new Error(`rbd du lists no image ${image}`);
    return { provisioned: row.provisioned_size, used: row.used_size };
  }

  async images(): Promise<string[]> {
    return JSON.parse(await this.rbd(['ls', '--format', 'json', this.env.pool])) as string[];
  }

  async stopOsd(): Promise<void> {
    await CephCluster.script(this.port, 'stop-osd', this.env.dir);
  }

  async startOsd(): Promise<void> {
    await CephCluster.script(this.port, 'start-osd', this.env.dir);
  }

  /** Stops every daemon and removes the cluster's directory. */
  async destroy(): Promise<void> {
    await CephCluster.script(this.port, 'destroy', this.env.dir);
  }
}

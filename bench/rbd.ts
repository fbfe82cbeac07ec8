/**
 * RBD rows (part of `npm run bench` after the main cells where Ceph is installed, or alone
 * with `node dist/bench/run.js --rbd`): the same qemu-img bench workloads against
 * three ways to one image pool of a throw-away one-node Ceph cluster
 * (scripts/ceph-cluster.mjs):
 *
 *   sanbox (rbd)   an extent of an rbd pool made through the share-pool and FreeNAS APIs,
 *                  over iSCSI, served through librbd by the sanbox_rbd addon
 *   tgt (rbd)      Debian's tgt with its rbd backing store (tgt-rbd), over iSCSI
 *   qemu rbd:      qemu-img's own librbd driver, no iSCSI at all: the ceiling
 *
 * Each gets its own 1 GiB image in the same RADOS pool, prefilled so reads hit objects.
 * CPU per 10k I/Os is the target process's (sanbox runs in this process here, so its
 * figure includes the bench's own small share; qemu's driver has no target process).
 */
import { createWriteStream, existsSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CephCluster } from '../test/support/ceph.js';
import { FREENAS, startSanbox, type TestSanbox } from '../test/support/sanbox.js';
import { isRunning, log, spawnTracked, stopChild } from './children.js';
import { WORKLOADS, qemuBench, type Measurement } from './clients.js';
import type { RbdReport } from './report.js';
import { rbdUnavailable } from '../src/backstore/rbd.js';
import { HOST, freePort, pidListensOn, waitFor } from './net.js';

const GiB = 1024 ** 3;
const IMAGE_MB = 1024;
const TGT_IQN = 'iqn.2026-11.sanbox.bench:tgt-rbd';
const COUNT: Record<string, number> = {
  rand4k_qd32_write: 20_000,
  rand4k_qd32_read: 20_000,
  rand4k_qd1_write: 1500,
  rand4k_qd1_read: 3000,
  seq128k_qd8_write: 2000,
  seq128k_qd8_read: 2000,
};

interface Lane {
  label: string;
  url: string | null;
  pid: number;
  error?: string;
}

const onPath = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/**
 * Why the RBD rows cannot be measured on this host, or null when they can: the throw-away
 * cluster needs Ceph's daemons and CLI, sanbox its rbd addon. (tgt's rbd backing store
 * missing leaves only its column out, saying so.)
 */
export function rbdBenchMissing(): string | null {
  const commands = ['ceph-mon', 'ceph-osd', 'ceph-mgr', 'ceph', 'rbd'].filter((c) => !onPath(c));
  if (commands.length) return `Ceph is not installed (no ${commands.join(', ')}): apt-get install ceph-mon ceph-osd ceph-mgr ceph-common librbd-dev`;
  const addon = rbdUnavailable();
  return addon ? `sanbox cannot serve RBD here: ${addon}` : null;
}

async function sanboxLane(ceph: CephCluster): Promise<{ lane: Lane; sb: TestSanbox | null }> {
  let sb: TestSanbox | null = null;
  try {
    sb = await startSanbox();
    const site = (await sb.api('GET', '/api/status')).body.site;
    const pool = await sb.api('POST', '/v1/pool/share/create', {
      pool_name: 'ceph',
      pool_type: 6,
      zone_uuid: site.zoneUuid,
      ip: ceph.env.monitor,
      port: ceph.env.port,
      source: ceph.env.pool,
      username: ceph.env.user,
      password: ceph.env.key,
      attr: { overAllocationThreshold: '1.0' },
      cluster_uuid: site.clusterUuid,
    });
    if (pool.status !== 200) throw new Error(`rbd pool: ${pool.text}`);
    const port = await freePort();
    const post = async (what: string, body: unknown) => {
      const r = await sb!.api('POST', `${FREENAS}/${what}/`, body);
      if (r.status !== 201) throw new Error(`${what}: ${r.text}`);
      return r.body as { id: number };
    };
    const portal = await post('portal', { iscsi_target_portal_ips: [`${HOST}:${port}`] });
    const ig = await post('authorizedinitiator', { iscsi_target_initiator_initiators: 'ALL', iscsi_target_initiator_auth_network: 'ALL' });
    const extent = await post('extent', {
      iscsi_target_extent_type: 'File',
      iscsi_target_extent_name: 'bench-sanbox',
      iscsi_target_extent_filesize: `${IMAGE_MB}MB`,
      iscsi_target_extent_path: '/mnt/ceph/bench-sanbox',
    });
    const target = await post('target', { iscsi_target_name: 'rbd', iscsi_target_portalgroup: portal.id, iscsi_target_initiatorgroup: ig.id });
    await post('targettoextent', { iscsi_target: target.id, iscsi_extent: extent.id, iscsi_lunid: 0 });
    const basename = (await sb.api('GET', `${FREENAS}/globalconfiguration/`)).body.iscsi_basename as string;
    return { lane: { label: 'sanbox (rbd)', url: `iscsi://${HOST}:${port}/${basename}:rbd/0`, pid: process.pid }, sb };
  } catch (e) {
    return { lane: { label: 'sanbox (rbd)', url: null, pid: 0, error: String(e instanceof Error ? e.message : e) }, sb };
  }
}

/** tgtd with bs_rbd on its own ports; the LUN is `pool/image`, the conf names the cluster. */
async function tgtLane(dir: string, ceph: CephCluster): Promise<{ lane: Lane; stop: () => Promise<void> }> {
  const label = 'tgt (rbd)';
  if (!existsSync('/usr/lib/tgt/backing-store/bs_rbd.so')) {
    return { lane: { label, url: null, pid: 0, error: "tgt's rbd backing store is not installed (apt-get install tgt-rbd)" }, stop: async () => {} };
  }
  const port = await freePort();
  const control = 10_000 + Math.floor(Math.random() * 20_000);
  const child = spawnTracked('tgtd', ['-f', '--iscsi', `portal=${HOST}:${port}`, '-C', String(control)]);
  const logFile = createWriteStream(join(dir, 'tgtd-rbd.log'));
  child.stdout?.pipe(logFile);
  child.stderr?.pipe(logFile);
  const adm = (args: string[]) => execFileSync('tgtadm', ['-C', String(control), '--lld', 'iscsi', ...args], { encoding: 'utf8', timeout: 20_000 });
  const stop = async () => {
    try {
      execFileSync('tgtadm', ['-C', String(control), '--mode', 'system', '--op', 'delete'], { timeout: 10_000, stdio: 'ignore' });
    } catch {
      // already gone
    }
    await stopChild(child, 3000, 'SIGKILL');
  };
  try {
    if (
      !(await waitFor(
        () => pidListensOn(child.pid!, port),
        10_000,
        () => isRunning(child),
      ))
    )
      throw new Error('tgtd did not listen');
    adm(['--mode', 'target', '--op', 'new', '--tid', '1', '--targetname', TGT_IQN]);
    adm([
      '--mode',
      'logicalunit',
      '--op',
      'new',
      '--tid',
      '1',
      '--lun',
      '1',
      '--bstype',
      'rbd',
      '--backing-store',
      `${ceph.env.pool}/bench-tgt`,
      '--bsopts',
      `conf=${ceph.env.conf}`,
    ]);
    adm(['--mode', 'target', '--op', 'bind', '--tid', '1', '--initiator-address', HOST]);
    return { lane: { label, url: `iscsi://${HOST}:${port}/${TGT_IQN}/1`, pid: child.pid! }, stop };
  } catch (e) {
    await stop();
    return { lane: { label, url: null, pid: 0, error: String(e instanceof Error ? e.message : e) }, stop: async () => {} };
  }
}

/** Runs the comparison (report.ts renders it). */
export async function rbdBench(dir: string): Promise<RbdReport> {
  const t0 = performance.now();
  log('rbd: starting a one-node Ceph cluster');
  const ceph = await CephCluster.start();
  const lanes: Lane[] = [];
  let sb: TestSanbox | null = null;
  let stopTgt = async () => {};
  const rows = new Map<string, Map<string, Measurement>>();
  try {
    for (const image of ['bench-tgt', 'bench-qemu']) await ceph.rbd(['create', '--size', String(IMAGE_MB), `${ceph.env.pool}/${image}`]);
    const s = await sanboxLane(ceph);
    sb = s.sb;
    lanes.push(s.lane);
    const t = await tgtLane(dir, ceph);
    stopTgt = t.stop;
    lanes.push(t.lane);
    lanes.push({ label: 'qemu rbd: (no iSCSI)', url: `rbd:${ceph.env.pool}/bench-qemu:conf=${ceph.env.conf}`, pid: process.pid });
    const workloads = WORKLOADS.filter((w) => w.tool === 'qemu-img');
    for (const lane of lanes) {
      const results = new Map<string, Measurement>();
      rows.set(lane.label, results);
      if (!lane.url) continue;
      log(`rbd: ${lane.label}: prefill`);
      const fill = await qemuBench(
        lane.url,
        { ...workloads[0]!, id: 'fill', depth: 8, bytes: 4 * 1024 * 1024, step: 4 * 1024 * 1024 },
        GiB / (4 * 1024 * 1024),
        lane.pid,
        300_000,
      );
      if (!fill.ok) lane.error = `prefill: ${fill.error}`;
      for (const w of workloads) {
        log(`rbd: ${lane.label}: ${w.title}`);
        const m = await qemuBench(lane.url, w, COUNT[w.id] ?? 2000, lane.pid, 300_000);
        results.set(w.id, lane.label.startsWith('qemu') ? { ...m, cpuPer10k: Number.NaN } : m);
      }
    }
    return {
      lanes: lanes.map((l) => ({ label: l.label, url: l.url, ...(l.error ? { error: l.error } : {}) })),
      workloads: workloads.map((w) => ({ id: w.id, title: w.title })),
      results: Object.fromEntries([...rows].map(([label, m]) => [label, Object.fromEntries(m)])),
      secs: (performance.now() - t0) / 1000,
    };
  } finally {
    await stopTgt();
    await sb?.stop();
    await ceph.destroy();
  }
}

/**
 * The real initiators: QEMU's iSCSI block driver via `qemu-img bench`, and libiscsi's
 * `iscsi-perf` and `iscsi-readcapacity16`. Each run is timed by the tool itself; the
 * target's CPU time is sampled from /proc around the client process.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { run, tail } from './children.js';
import { cpuTicks, clockTicks } from './proc-stats.js';
import { IscsiInitiator } from '../src/initiator/client.js';

/** One workload cell of the table. */
export interface Workload {
  id: string;
  title: string;
  /** `initiator`: the project's own initiator (bench/digest-load.ts), the only client here that can ask for a data digest */
  tool: 'qemu-img' | 'iscsi-perf' | 'initiator';
  write: boolean;
  depth: number;
  bytes: number;
  /** qemu-img -S: 4 KiB IOs on a 1 MiB + 4 KiB stride are scattered over the LUN. */
  step: number;
  /** Pilot run size used to calibrate the count for the target duration. */
  pilotCount: number;
  /**
   * HeaderDigest=CRC32C demanded by the initiator (the login fails if the target refuses).
   * libiscsi, so qemu-img and iscsi-perf, always offers DataDigest=None: no libiscsi client
   * can ask for a data digest.
   */
  headerDigest?: boolean;
  /** DataDigest=CRC32C as well (tool `initiator` only) */
  dataDigest?: boolean;
}

const STRIDE = 4096 * 257;

/** Writes before reads, as the reference scripts do; iscsi-perf last. */
export const WORKLOADS: Workload[] = [
  { id: 'rand4k_qd32_write', title: '4K rand write QD32', tool: 'qemu-img', write: true, depth: 32, bytes: 4096, step: STRIDE, pilotCount: 4000 },
  { id: 'rand4k_qd32_read', title: '4K rand read QD32', tool: 'qemu-img', write: false, depth: 32, bytes: 4096, step: STRIDE, pilotCount: 4000 },
  { id: 'rand4k_qd1_write', title: '4K rand write QD1', tool: 'qemu-img', write: true, depth: 1, bytes: 4096, step: STRIDE, pilotCount: 500 },
  { id: 'rand4k_qd1_read', title: '4K rand read QD1', tool: 'qemu-img', write: false, depth: 1, bytes: 4096, step: STRIDE, pilotCount: 500 },
  { id: 'seq128k_qd8_write', title: '128K seq write QD8', tool: 'qemu-img', write: true, depth: 8, bytes: 131072, step: 131072, pilotCount: 400 },
  { id: 'seq128k_qd8_read', title: '128K seq read QD8', tool: 'qemu-img', write: false, depth: 8, bytes: 131072, step: 131072, pilotCount: 400 },
  { id: 'iscsiperf_rand4k_qd32_read', title: 'iscsi-perf 4K rand read QD32', tool: 'iscsi-perf', write: false, depth: 32, bytes: 4096, step: 0, pilotCount: 0 },
];

/** The same cells with HeaderDigest=CRC32C on every PDU, both ways (`--no-digests` leaves them out). */
export const DIGEST_WORKLOADS: Workload[] = WORKLOADS.filter((w) => w.id !== 'rand4k_qd1_write' && w.id !== 'rand4k_qd1_read').map((w) => ({
  ...w,
  id: `hd_${w.id}`,
  title: `${w.title}, HeaderDigest`,
  headerDigest: true,
}));

/**
 * Both digests on: the project's initiator, one session, `depth` commands in flight, 4 KiB
 * random and 128 KiB sequential. Its own client (JavaScript, itself computing CRC32C):
 * compare the targets with each other in these rows, not with the libiscsi rows.
 */
const BOTH: Workload[] = [
  {
    id: 'dd_rand4k_qd32_write',
    title: 'initiator 4K rand write QD32, both digests',
    tool: 'initiator',
    write: true,
    depth: 32,
    bytes: 4096,
    step: 0,
    pilotCount: 0,
  },
  {
    id: 'dd_rand4k_qd32_read',
    title: 'initiator 4K rand read QD32, both digests',
    tool: 'initiator',
    write: false,
    depth: 32,
    bytes: 4096,
    step: 0,
    pilotCount: 0,
  },
  {
    id: 'dd_seq128k_qd8_write',
    title: 'initiator 128K seq write QD8, both digests',
    tool: 'initiator',
    write: true,
    depth: 8,
    bytes: 131072,
    step: 131072,
    pilotCount: 0,
  },
  {
    id: 'dd_seq128k_qd8_read',
    title: 'initiator 128K seq read QD8, both digests',
    tool: 'initiator',
    write: false,
    depth: 8,
    bytes: 131072,
    step: 131072,
    pilotCount: 0,
  },
];
export const BOTH_DIGEST_WORKLOADS: Workload[] = BOTH.map((w) => ({ ...w, headerDigest: true, dataDigest: true }));

function splitUrl(url: string): [portal: string, target: string, lun: string] {
  const m = /^iscsi:\/\/([^/]+)\/([^/]+)\/(\d+)$/.exec(url);
  if (!m) throw new Error(`cannot split ${url} into portal, target and LUN`);
  return [m[1]!, m[2]!, m[3]!];
}

/**
 * Which digests the target really agrees to when asked for CRC32C only (the way qemu-img's
 * `header-digest=crc32c` and iscsi-perf's `?header_digest=crc32c` ask): libiscsi goes on
 * without a digest when the target answers None, so a digest row is only a digest row if
 * this says so. One login with the project's initiator, then logout.
 */
export async function probeDigests(url: string): Promise<{ header: boolean; data: boolean } | { error: string }> {
  try {
    const [portal, target] = splitUrl(url);
    const colon = portal.lastIndexOf(':');
    const c = await IscsiInitiator.connect(portal.slice(0, colon), Number(portal.slice(colon + 1)));
    try {
      await c.login({ initiatorName: 'iqn.2026-11.sanbox.bench:probe', targetName: target, headerDigest: 'CRC32C', dataDigest: 'CRC32C' });
      const r = { header: c.neg.headerDigest, data: c.neg.dataDigest };
      await Promise.race([c.logout().catch(() => 0), new Promise((res) => setTimeout(res, 2000))]);
      return r;
    } finally {
      c.socket.destroy();
    }
  } catch (e) {
    return { error: String(e instanceof Error ? e.message : e) };
  }
}

/** bench/digest-load.ts in its own process for `secs` seconds; the target's CPU sampled around it. */
export async function initiatorLoad(url: string, w: Workload, lunBytes: number, blockSize: number, secs: number, targetPid: number): Promise<Measurement> {
  const [portal, target, lun] = splitUrl(url);
  const colon = portal.lastIndexOf(':');
  const script = fileURLToPath(new URL('./digest-load.js', import.meta.url));
  let t0: number;
  try {
    t0 = cpuTicks(targetPid);
  } catch {
    return failed('target process is gone');
  }
  const args = [
    script,
    portal.slice(0, colon),
    portal.slice(colon + 1),
    target,
    lun,
    String(lunBytes),
    String(blockSize),
    String(w.bytes),
    String(w.depth),
    String(secs),
  ];
  args.push(w.write ? 'write' : 'read', w.step === 0 ? 'rand' : 'seq');
  const r = await run(process.execPath, args, (secs + 30) * 1000);
  let cpu = NaN;
  try {
    cpu = (cpuTicks(targetPid) - t0) / clockTicks();
  } catch {
    /* target died */
  }
  if (r.timedOut) return failed('digest-load timed out');
  let out: { ios?: number; secs?: number; error?: string } = {};
  try {
    out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as typeof out;
  } catch {
    return failed(`digest-load rc=${r.code}: ${tail(r.stderr + r.stdout)}`);
  }
  if (out.error || !(Number(out.ios) > 0) || !(Number(out.secs) > 0)) return failed(`digest-load: ${out.error ?? tail(r.stderr + r.stdout)}`);
  if (Number.isNaN(cpu)) return failed('target process exited during the run');
  return measured(out.ios!, out.secs!, w, cpu);
}

/**
 * qemu-img's way to a header digest: the iscsi driver's `header-digest` option. (A
 * `?header_digest=` in the URL does not reach it: qemu parses the URL without a libiscsi
 * context and then applies its own option, whose default is none-crc32c, i.e. None.)
 * `raw` on top, as `-f raw` gives the plain rows.
 */
function imageOpts(url: string): string {
  const [portal, target, lun] = splitUrl(url);
  return `driver=raw,file.driver=iscsi,file.transport=tcp,file.portal=${portal},file.target=${target},file.lun=${lun},file.header-digest=crc32c`;
}

export interface Measurement {
  ok: boolean;
  error?: string;
  ios: number;
  secs: number;
  iops: number;
  mbs: number;
  /** Mean latency by Little's law: depth / IOPS (the tools keep `depth` in flight). */
  latUs: number;
  /** Target process CPU seconds per 10,000 I/Os (utime + stime over the client's life). */
  cpuPer10k: number;
  cpuSecs: number;
}

function failed(error: string): Measurement {
  return { ok: false, error, ios: 0, secs: 0, iops: NaN, mbs: NaN, latUs: NaN, cpuPer10k: NaN, cpuSecs: NaN };
}

function measured(ios: number, secs: number, w: Workload, cpuSecs: number): Measurement {
  const iops = ios / secs;
  return {
    ok: true,
    ios,
    secs,
    iops,
    mbs: (iops * w.bytes) / 1e6,
    latUs: (w.depth / iops) * 1e6,
    cpuPer10k: (cpuSecs / ios) * 10000,
    cpuSecs,
  };
}

/** `qemu-img bench` COUNT requests; seconds from "Run completed in X seconds". */
export async function qemuBench(url: string, w: Workload, count: number, targetPid: number, timeoutMs: number): Promise<Measurement> {
  const args = ['bench', '-t', 'none', '-c', String(count), '-d', String(w.depth), '-s', String(w.bytes), '-S', String(w.step)];
  if (w.write) args.push('-w');
  if (w.headerDigest) args.push('--image-opts', imageOpts(url));
  else args.push('-f', 'raw', url);
  let t0: number;
  try {
    t0 = cpuTicks(targetPid);
  } catch {
    return failed('target process is gone');
  }
  const r = await run('qemu-img', args, timeoutMs);
  let cpu = NaN;
  try {
    cpu = (cpuTicks(targetPid) - t0) / clockTicks();
  } catch {
    /* target died */
  }
  const secs = Number(/Run completed in ([0-9.]+) seconds/.exec(r.stdout)?.[1]);
  if (r.timedOut) return failed(`qemu-img bench timed out after ${timeoutMs / 1000}s`);
  if (r.code !== 0 || !(secs > 0)) return failed(`qemu-img rc=${r.code}: ${tail(r.stderr + r.stdout)}`);
  if (Number.isNaN(cpu)) return failed('target process exited during the run');
  return measured(count, secs, w, cpu);
}

/**
 * libiscsi `iscsi-perf -r` (random LBAs) for `secs` seconds, `blocks` per request,
 * `depth` outstanding. Its final "iops average N" over the run gives the I/O count.
 */
export async function iscsiPerf(url: string, w: Workload, blockSize: number, secs: number, targetPid: number): Promise<Measurement> {
  const blocks = Math.max(1, Math.round(w.bytes / blockSize));
  let t0: number;
  try {
    t0 = cpuTicks(targetPid);
  } catch {
    return failed('target process is gone');
  }
  // libiscsi's URL parser takes header_digest=crc32c|none (iscsi_parse_url, lib/init.c)
  const target = w.headerDigest ? `${url}?header_digest=crc32c` : url;
  const r = await run('iscsi-perf', ['-r', '-b', String(blocks), '-m', String(w.depth), '-t', String(secs), target], (secs + 30) * 1000);
  let cpu = NaN;
  try {
    cpu = (cpuTicks(targetPid) - t0) / clockTicks();
  } catch {
    /* target died */
  }
  const out = (r.stdout + r.stderr).replace(/\r/g, '\n');
  const avgs = [...out.matchAll(/iops average (\d+)/g)];
  const iops = Number(avgs.at(-1)?.[1]);
  if (r.timedOut) return failed('iscsi-perf timed out');
  if (!(iops > 0)) return failed(`iscsi-perf rc=${r.code}: ${tail(out)}`);
  if (Number.isNaN(cpu)) return failed('target process exited during the run');
  return measured(iops * secs, secs, w, cpu);
}

/** Size and logical block length from READ CAPACITY(16), or an error string. */
export async function readCapacity(url: string): Promise<{ bytes: number; blockSize: number } | { error: string }> {
  const r = await run('iscsi-readcapacity16', [url], 20000);
  const bytes = Number(/Total size:(\d+)/.exec(r.stdout)?.[1]);
  const blockSize = Number(/LOGICAL BLOCK LENGTH IN BYTES:(\d+)/.exec(r.stdout)?.[1]);
  if (r.code !== 0 || !(bytes > 0) || !(blockSize > 0)) return { error: `iscsi-readcapacity16 rc=${r.code}: ${tail(r.stderr + r.stdout)}` };
  return { bytes, blockSize };
}

/** Write the whole LUN once (1 MiB requests, depth 8) so reads never hit sparse holes. */
export async function prefill(url: string, bytes: number): Promise<string | null> {
  const mib = Math.floor(bytes / 1048576);
  const r = await run('qemu-img', ['bench', '-f', 'raw', '-t', 'none', '-w', '-c', String(mib), '-d', '8', '-s', '1048576', url], 180000);
  return r.code === 0 ? null : `prefill rc=${r.code}: ${tail(r.stderr + r.stdout)}`;
}

export function toolVersions(): Record<string, string> {
  const q = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).split('\n')[0]!.trim();
    } catch {
      return '?';
    }
  };
  return {
    qemuImg: q('qemu-img', ['--version']),
    libiscsiBin: q('dpkg-query', ['-W', '-f', '${Version}', 'libiscsi-bin']),
    tgt: q('dpkg-query', ['-W', '-f', '${Version}', 'tgt']),
    istgt: q('dpkg-query', ['-W', '-f', '${Version}', 'istgt']),
    iperf3: q('iperf3', ['--version']),
  };
}

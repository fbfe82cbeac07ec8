/**
 * The loopback TCP ceiling: one TCP stream between two processes over 127.0.0.1 with
 * 128 KiB writes. No iSCSI target measured over loopback here can move more bytes.
 * iperf3 (C, Debian package) when installed; else a Node writer and a Node sink process.
 */
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { run, spawnTracked, stopChild, sleep } from './children.js';
import { freePort, pidListensOn, waitFor, HOST } from './net.js';

export interface LoopbackResult {
  tool: string;
  mbs: number;
  error?: string;
}

function hasIperf3(): boolean {
  try {
    execFileSync('iperf3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function loopbackCeiling(secs: number): Promise<LoopbackResult> {
  return hasIperf3() ? iperf3(secs) : nodeStream(secs);
}

async function iperf3(secs: number): Promise<LoopbackResult> {
  const port = await freePort();
  const server = spawnTracked('iperf3', ['-s', '-1', '-B', HOST, '-p', String(port)]);
  try {
    // no probe connection: `iperf3 -s -1` would take it for its one client
    if (!(await waitFor(() => pidListensOn(server.pid!, port), 5000))) return { tool: 'iperf3', mbs: NaN, error: 'iperf3 server did not listen' };
    const r = await run('iperf3', ['-c', HOST, '-p', String(port), '-l', '128K', '-t', String(secs), '-J'], (secs + 20) * 1000);
    const j = JSON.parse(r.stdout) as { end?: { sum_received?: { bits_per_second?: number } }; error?: string };
    const bps = j.end?.sum_received?.bits_per_second;
    if (!bps) return { tool: 'iperf3', mbs: NaN, error: j.error ?? 'no result' };
    return { tool: 'iperf3 -l 128K', mbs: bps / 8 / 1e6 };
  } catch (e) {
    return { tool: 'iperf3', mbs: NaN, error: String(e) };
  } finally {
    await stopChild(server, 2000);
  }
}

const SINK = `
const net = require('node:net');
const srv = net.createServer((c) => { c.on('data', () => {}); c.on('error', () => process.exit(0)); c.on('end', () => process.exit(0)); });
srv.listen(Number(process.argv[1]), '127.0.0.1');`;

async function nodeStream(secs: number): Promise<LoopbackResult> {
  const port = await freePort();
  const sink = spawnTracked(process.execPath, ['-e', SINK, String(port)]);
  try {
    if (!(await waitFor(() => pidListensOn(sink.pid!, port), 5000))) return { tool: 'node', mbs: NaN, error: 'sink did not listen' };
    const sock = connect({ host: HOST, port });
    // The sink exits once it has read the end: a reset after that is not a failure.
    sock.on('error', () => {});
    await new Promise((r) => sock.once('connect', r));
    const chunk = Buffer.alloc(131072);
    let bytes = 0;
    const t0 = performance.now();
    const end = t0 + secs * 1000;
    while (performance.now() < end) {
      if (!sock.write(chunk)) await new Promise((r) => sock.once('drain', r));
      bytes += chunk.length;
    }
    await new Promise<void>((r) => sock.end(() => r()));
    await sleep(10);
    return { tool: 'node 128 KiB writes', mbs: bytes / ((performance.now() - t0) / 1000) / 1e6 };
  } finally {
    await stopChild(sink, 2000);
  }
}

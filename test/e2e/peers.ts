/**
 * Real iSCSI peers from Debian's packages (libiscsi-bin, qemu-utils + qemu-block-extra),
 * run as child processes with bounded time. scripts/test.mjs makes sure they exist.
 */
import fs from 'node:fs';
import { execFile } from 'node:child_process';
import net from 'node:net';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a command to completion (never throws for a non-zero exit; a timeout kills it). */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...opts.env } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** A TCP port nobody listens on right now (bind 0, read it, release it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function iscsiUrl(port: number, iqn?: string, lun?: number, host = '127.0.0.1'): string {
  const base = `iscsi://${host}:${port}`;
  return iqn === undefined ? `${base}/` : `${base}/${iqn}/${lun ?? 0}`;
}

/** `iscsi-ls -s` parsed into targets with their LUNs and sizes in bytes. */
export async function iscsiLs(port: number): Promise<{ raw: RunResult; targets: Map<string, Map<number, number>> }> {
  const raw = await run('iscsi-ls', ['-s', iscsiUrl(port)]);
  const targets = new Map<string, Map<number, number>>();
  let current: Map<number, number> | undefined;
  for (const line of raw.stdout.split('\n')) {
    const t = /^Target:(\S+)/.exec(line.trim());
    if (t) {
      current = new Map();
      targets.set(t[1]!, current);
      continue;
    }
    // "Lun:0    Type:DIRECT_ACCESS (Size:64M)" — libiscsi prints sizes with a unit letter.
    const l = /Lun:(\d+).*Size:(\d+)([kMGT]?)/.exec(line);
    if (l && current) current.set(Number(l[1]), Number(l[2]) * unit(l[3]!));
  }
  return { raw, targets };
}

function unit(u: string): number {
  return { '': 1, k: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[u] ?? 1;
}

/** What a file (an image, an array's backing file, a loop device's file) holds at [offset, offset + length). */
export function fileBytes(file: string, offset: number, length: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(length);
    fs.readSync(fd, b, 0, length, offset);
    return b;
  } finally {
    fs.closeSync(fd);
  }
}

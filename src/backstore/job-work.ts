/**
 * The byte work behind jobs (the domain's JobRunner, domain/jobs.ts): thick images written
 * as zero chunks (so every block is allocated, as `du` shows), raw images and extents
 * copied in chunks (all-zero chunks skipped: the copy stays sparse), qcow2 converted by a
 * `qemu-img convert -p` child whose progress lines are read. All of it is asynchronous
 * I/O in 1 MiB steps, checking the abort signal between steps; a killed child or an
 * aborted loop rejects, and the caller removes the partial file.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';

const CHUNK = 1024 * 1024;
const ZEROS = Buffer.alloc(CHUNK);

type Work =
  | { op: 'zeros'; dest: string; size: number }
  | { op: 'copy'; source: string; dest: string; size: number }
  | { op: 'qcow2-to-raw'; source: string; dest: string; size: number };

type Probe = { fileSize: number; format?: string; virtualSize?: number } | { unreadable: string };

export class JobWorker {
  constructor(private readonly qemuImg = 'qemu-img') {}

  async probe(source: string, detect: boolean): Promise<Probe> {
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(source);
      await fs.promises.access(source, fs.constants.R_OK);
    } catch (err) {
      return { unreadable: (err as NodeJS.ErrnoException).code ?? 'error' };
    }
    if (!stat.isFile()) return { unreadable: 'not a regular file' };
    if (!detect) return { fileSize: stat.size };
    const info = await new Promise<{ format?: string; 'virtual-size'?: number } | string>((resolve) => {
      execFile(this.qemuImg, ['info', '--output=json', source], { timeout: 30_000 }, (err, stdout, stderr) => {
        if (err) return resolve((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'qemu-img is not installed' : lastLine(stderr) || err.message);
        try {
          resolve(JSON.parse(stdout) as { format?: string; 'virtual-size'?: number });
        } catch {
          resolve('qemu-img info answered no JSON');
        }
      });
    });
    if (typeof info === 'string') return { unreadable: info };
    return { fileSize: stat.size, format: info.format ?? 'raw', virtualSize: info['virtual-size'] ?? stat.size };
  }

  run(work: Work, progress: (doneBytes: number) => void, signal: AbortSignal): Promise<void> {
    if (work.op === 'zeros') return writeZeros(work.dest, work.size, progress, signal);
    if (work.op === 'copy') return copyFile(work.source, work.dest, work.size, progress, signal);
    return this.convert(work.source, work.dest, work.size, progress, signal);
  }

  commit(from: string, to: string): void {
    fs.linkSync(from, to); // EEXIST rather than replacing a file that appeared meanwhile
    fs.unlinkSync(from);
  }

  remove(file: string): void {
    fs.rmSync(file, { force: true });
  }

  private convert(source: string, dest: string, size: number, progress: (doneBytes: number) => void, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new Error('cancelled'));
      const child = spawn(this.qemuImg, ['convert', '-p', '-f', 'qcow2', '-O', 'raw', source, dest], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let pending = '';
      const onAbort = () => child.kill('SIGKILL');
      signal.addEventListener('abort', onAbort, { once: true });
      child.stdout.setEncoding('utf8').on('data', (text: string) => {
        // "    (42.17/100%)\r": one line per step, separated by carriage returns.
        pending += text;
        const parts = pending.split(/[\r\n]/);
        pending = parts.pop() ?? '';
        for (const part of parts) {
          const m = /\(([\d.]+)\/100%\)/.exec(part);
          if (m) progress(Math.min(size, Math.floor((Number(m[1]) / 100) * size)));
        }
      });
      child.stderr.setEncoding('utf8').on('data', (text: string) => {
        stderr = (stderr + text).slice(-4096);
      });
      child.on('error', (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(new Error((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'qemu-img is not installed' : err.message));
      });
      child.on('close', (code, sig) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) return reject(new Error('cancelled'));
        if (code === 0) {
          progress(size);
          return resolve();
        }
        reject(new Error(`qemu-img convert failed: ${lastLine(stderr) || `exit ${code ?? sig}`}`));
      });
    });
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.trim() ?? '';
}

function checkAbort(signal: AbortSignal): void {
  if (signal.aborted) throw new Error('cancelled');
}

async function writeZeros(dest: string, size: number, progress: (n: number) => void, signal: AbortSignal): Promise<void> {
  const out = await fs.promises.open(dest, 'wx', 0o600);
  try {
    let done = 0;
    while (done < size) {
      checkAbort(signal);
      const n = Math.min(CHUNK, size - done);
      const { bytesWritten } = await out.write(ZEROS, 0, n, done);
      done += bytesWritten;
      progress(done);
    }
    await out.datasync();
  } finally {
    await out.close();
  }
}

async function copyFile(source: string, dest: string, size: number, progress: (n: number) => void, signal: AbortSignal): Promise<void> {
  const input = await fs.promises.open(source, 'r');
  try {
    const out = await fs.promises.open(dest, 'wx', 0o600);
    try {
      const buf = Buffer.allocUnsafe(CHUNK);
      let done = 0;
      while (done < size) {
        checkAbort(signal);
        const want = Math.min(CHUNK, size - done);
        const { bytesRead } = await input.read(buf, 0, want, done);
        if (bytesRead === 0) throw new Error(`the source ended after ${done} of ${size} bytes`);
        const chunk = buf.subarray(0, bytesRead);
        if (!chunk.equals(ZEROS.subarray(0, bytesRead))) await out.write(chunk, 0, bytesRead, done);
        done += bytesRead;
        progress(done);
      }
      await out.truncate(size); // a trailing run of zeros was skipped, not written
      await out.datasync();
    } finally {
      await out.close();
    }
  } finally {
    await input.close();
  }
}

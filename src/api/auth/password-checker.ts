/**
 * Checks API passwords on one worker thread of its own, with a bounded queue.
 *
 * scrypt takes tens of milliseconds of CPU. Run with the callback API it occupies a thread
 * of libuv's shared pool (4 threads), which the file backstore needs for fdatasync and slow
 * writes: a wrong-password flood made SYNCHRONIZE CACHE wait seconds. Here every check runs
 * on one dedicated thread, one after another, so a flood costs at most that thread, and at
 * most `maxQueued` checks wait; one more is refused at once (`CheckerBusyError`: the API
 * answers 503 with Retry-After) instead of holding a request, its memory and its socket.
 */
import { Worker } from 'node:worker_threads';
import { decodePasswordHash } from './passwords.js';
import type { CheckReply, CheckRequest } from './password-messages.js';

export const DEFAULT_MAX_QUEUED_CHECKS = 32;

export class CheckerBusyError extends Error {
  constructor(readonly queued: number) {
    super(`${queued} password checks are already waiting`);
    this.name = 'CheckerBusyError';
  }
}

interface Pending {
  resolve(matches: boolean): void;
  reject(err: Error): void;
}

const WORKER_URL = new URL('./password-worker.js', import.meta.url);

export class PasswordChecker {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(readonly maxQueued = DEFAULT_MAX_QUEUED_CHECKS) {}

  /** Checks running or waiting. */
  get queued(): number {
    return this.pending.size;
  }

  /** True when `password` matches the encoded hash; CheckerBusyError when the queue is full. */
  verify(password: string, encoded: string): Promise<boolean> {
    const hash = decodePasswordHash(encoded);
    if (!hash) return Promise.resolve(false);
    if (this.pending.size >= this.maxQueued) return Promise.reject(new CheckerBusyError(this.pending.size));
    const id = this.nextId++;
    const request: CheckRequest = { id, password, salt: hash.salt, expected: hash.expected, options: hash.options };
    return new Promise<boolean>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ensureWorker().postMessage(request);
    });
  }

  /** Stops the worker; checks still waiting are rejected. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.failAll(new Error('password checker closed'));
    if (worker) await worker.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_URL);
    // An idle checker must not keep the process alive.
    worker.unref();
    worker.on('message', (reply: CheckReply) => this.settle(reply));
    const lost = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = null; // the next check starts a fresh worker
      this.failAll(err);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`password worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private settle(reply: CheckReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if ('error' in reply) p.reject(new Error(`password check failed: ${reply.error}`));
    else p.resolve(reply.matches);
  }

  private failAll(err: Error): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) p.reject(err);
  }
}

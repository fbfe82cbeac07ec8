/**
 * `sanbox serve` as a child process of the test, so it can be killed with SIGKILL and
 * started again on the same data dir: the crash tests' sanbox. Its API is reached over
 * plain HTTP with the admin's Basic credentials.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/main.js');
const PASSWORD = 'crash-test-password';
const AUTH = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;

export interface Answer {
  status: number;
  body: any;
}

export class ChildSanbox {
  #child: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();
  url = '';

  constructor(
    readonly dataDir: string,
    private readonly env: Record<string, string> = {},
  ) {}

  /** Starts `sanbox serve` and resolves with the time it took until the API answered. */
  async start(): Promise<number> {
    const started = performance.now();
    const child = spawn(process.execPath, [MAIN, 'serve'], {
      env: {
        ...process.env,
        SANBOX_DATA_DIR: this.dataDir,
        SANBOX_HTTP: '127.0.0.1:0',
        SANBOX_HTTPS: 'off',
        SANBOX_ADMIN_PASSWORD: PASSWORD,
        SANBOX_LOG_LEVEL: 'info',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    let out = '';
    this.url = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        out += chunk;
        const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
        if (m) {
          child.stdout!.off('data', onData);
          child.stderr!.off('data', onData);
          child.stdout!.resume();
          child.stderr!.resume();
          resolve(m[1]!);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code, signal) => reject(new Error(`sanbox exited (${code ?? signal}) before serving: ${out}`)));
    });
    return performance.now() - started;
  }

  get pid(): number {
    return this.#child?.pid ?? 0;
  }

  /** SIGKILL: no drain, no close, nothing flushed that the kernel does not already hold. */
  async kill(): Promise<void> {
    this.#child?.kill('SIGKILL');
    await this.#exited;
    this.#child = null;
  }

  /** SIGTERM, the clean stop. */
  async stop(): Promise<void> {
    this.#child?.kill('SIGTERM');
    await this.#exited;
    this.#child = null;
  }

  /** One API request; a request the process never answers (killed) rejects. */
  async api(method: string, urlPath: string, body?: unknown): Promise<Answer> {
    const res = await fetch(this.url + urlPath, {
      method,
      headers: { authorization: AUTH, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? null : JSON.parse(text) };
  }
}

/**
 * Starts the real sanbox in this process for tests: a temp data dir, ephemeral HTTP and
 * HTTPS ports on 127.0.0.1, a known admin password. End-to-end tests of every area use it:
 *
 *   const sb = await startSanbox({ pools: { tank: '/tmp/x' } });
 *   const res = await sb.api('POST', '/api/v1.0/services/iscsi/portal/', {...});
 *   await sb.restart();   // same data dir, new port
 *   await sb.stop();      // removes the temp dir it created
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createSanbox, type Sanbox, type SanboxPorts } from '../../src/app.js';
import { createLogger } from '../../src/log.js';

export const TEST_ADMIN_USER = 'admin';
export const TEST_ADMIN_PASSWORD = 'test-password-0123456789';

export interface StartOptions {
  /** Use this data dir (kept on stop); default: a fresh temp dir (removed on stop). */
  dataDir?: string;
  /** Extra environment (SANBOX_* names) on top of the test defaults. */
  env?: Record<string, string>;
  /** Pools besides `default`: name -> directory (created if missing). */
  pools?: Record<string, string>;
  /** Data-plane ports; default no-op. */
  ports?: SanboxPorts;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or null for an empty body. */
  body: any;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Raw body text (sent as is, with Content-Type: application/json). */
  raw?: string;
  headers?: Record<string, string>;
  /** false: send no credentials. */
  auth?: boolean;
}

export class TestSanbox {
  sanbox!: Sanbox;
  /** The admin credentials, and the same as an Authorization header. */
  readonly auth: { user: string; password: string };
  readonly authHeaders: Record<string, string>;

  constructor(
    readonly dataDir: string,
    private readonly ownsDataDir: boolean,
    private readonly env: Record<string, string>,
    private readonly ports: SanboxPorts,
  ) {
    const user = env.SANBOX_ADMIN_USER ?? TEST_ADMIN_USER;
    const password = env.SANBOX_ADMIN_PASSWORD ?? TEST_ADMIN_PASSWORD;
    this.auth = { user, password };
    this.authHeaders = { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
  }

  /** The plain-HTTP URL (SANBOX_HTTP must not be off). */
  get baseUrl(): string {
    if (!this.sanbox.url) throw new Error('this sanbox serves no plain HTTP');
    return this.sanbox.url;
  }

  /** The HTTPS URL; null when HTTPS is off. */
  get httpsUrl(): string | null {
    return this.sanbox.httpsUrl;
  }

  async start(): Promise<void> {
    const config = loadConfig({ ...this.env, SANBOX_DATA_DIR: this.dataDir });
    const logger = this.ports.logger ?? createLogger(this.env.SANBOX_LOG_LEVEL ?? 'silent');
    this.sanbox = await createSanbox(config, { announce: () => {}, ...this.ports, logger });
  }

  /** Sends a request; JSON bodies are serialised, credentials added unless auth: false. */
  async request(method: string, urlPath: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...(options.auth === false ? {} : this.authHeaders), ...options.headers };
    let body: string | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
    // Redirects are answers to check (HNAS's PATCH is 303 See Other), not to follow.
    const res = await fetch(this.baseUrl + urlPath, { method, headers, body, redirect: 'manual' });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === '' ? null : JSON.parse(text), text };
  }

  api(method: string, urlPath: string, body?: unknown): Promise<ApiResponse> {
    return this.request(method, urlPath, { body });
  }

  async restart(): Promise<void> {
    await this.sanbox.close();
    await this.start();
  }

  async stop(): Promise<void> {
    await this.sanbox.close();
    if (this.ownsDataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export async function startSanbox(options: StartOptions = {}): Promise<TestSanbox> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-test-'));
  const env: Record<string, string> = {
    SANBOX_HTTP: '127.0.0.1:0',
    SANBOX_HTTPS: '127.0.0.1:0',
    SANBOX_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    ...options.env,
  };
  if (options.pools) {
    // sanbox itself creates only the default pool (a missing one may be an unmounted one).
    for (const dir of Object.values(options.pools)) fs.mkdirSync(dir, { recursive: true });
    env.SANBOX_POOLS = Object.entries(options.pools)
      .map(([name, dir]) => `${name}:${dir}`)
      .join(',');
  }
  const sb = new TestSanbox(dataDir, ownsDataDir, env, options.ports ?? {});
  await sb.start();
  return sb;
}

/** A temp directory for a pool, removed by the caller (or left in /tmp). */
export function tempDir(prefix = 'sanbox-pool-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export const FREENAS = '/api/v1.0/services/iscsi';

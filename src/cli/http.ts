/**
 * The CLI's HTTP client: where sanbox is (SANBOX_URL, or the credentials file's url), who
 * we are (SANBOX_USER/SANBOX_PASSWORD, SANBOX_API_KEY, or the credentials file), and how
 * far to trust its certificate (--insecure, or SANBOX_TLS_FINGERPRINT pinning the SHA-256
 * that /api/status shows). Every failure is a CliError carrying the exit code scripts see:
 * 1 a refused request, 3 no connection or no authentication.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_CONNECT = 3;

export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** A request the server answered with a failure status: exit 1 (3 for 401/429). */
export class HttpError extends CliError {
  constructor(
    readonly status: number,
    readonly body: unknown,
    message: string,
  ) {
    super(status === 401 || status === 429 ? EXIT_CONNECT : EXIT_FAILED, message);
  }

  /** A 404 for the route itself (an older sanbox), not for a missing object. */
  get noRoute(): boolean {
    return this.status === 404 && isNoRoute(this.body);
  }
}

/**
 * The body of a 404 for an unknown path: the server's own (`No route for ...`) or, under
 * /api/, ONTAP's (its prefix is /api): `{"error": {"code": "4", "message": "API not found: ..."}}`.
 */
export function isNoRoute(body: unknown): boolean {
  const b = body as { error_message?: unknown; error?: { message?: unknown } } | null;
  if (typeof b?.error_message === 'string') return b.error_message.startsWith('No route for');
  return typeof b?.error?.message === 'string' && b.error.message.startsWith('API not found');
}

type Env = Record<string, string | undefined>;

export interface ClientSettings {
  url: URL;
  user: string | null;
  password: string | null;
  apiKey: string | null;
  insecure: boolean;
  /** Upper-case hex without colons, or null. */
  fingerprint: string | null;
}

interface CredentialsFile {
  url?: string;
  user?: string;
  password?: string;
  apiKey?: string;
}

const DEFAULT_URL = 'http://127.0.0.1:8080';

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** Reads the credentials file; refuses one that others can read, as ssh refuses a private key. */
function readCredentialsFile(env: Env): CredentialsFile | null {
  const explicit = nonEmpty(env.SANBOX_CREDENTIALS_FILE);
  const file = explicit ?? path.join(nonEmpty(env.HOME) ?? os.homedir(), '.config', 'sanbox', 'credentials');
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    if (explicit) throw new CliError(EXIT_CONNECT, `cannot read the credentials file ${file} (SANBOX_CREDENTIALS_FILE)`);
    return null;
  }
  if ((stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
    throw new CliError(EXIT_CONNECT, `credentials file ${file} is accessible by others (mode ${mode}); run: chmod 600 ${file}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CliError(EXIT_CONNECT, `credentials file ${file} is not JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliError(EXIT_CONNECT, `credentials file ${file} must hold a JSON object {url, user, password | apiKey}`);
  }
  const out: CredentialsFile = {};
  for (const key of ['url', 'user', 'password', 'apiKey'] as const) {
    const v = (parsed as Record<string, unknown>)[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw new CliError(EXIT_CONNECT, `credentials file ${file}: "${key}" must be a string`);
    out[key] = v;
  }
  return out;
}

/** The settings, from options, the environment and the credentials file, in that order. */
export function clientSettings(options: { url?: string; insecure?: boolean }, env: Env = process.env): ClientSettings {
  const envUser = nonEmpty(env.SANBOX_USER);
  const envPassword = env.SANBOX_PASSWORD ? env.SANBOX_PASSWORD : undefined;
  const envKey = nonEmpty(env.SANBOX_API_KEY);
  const fromEnv = envPassword !== undefined || envKey !== undefined;
  const file = fromEnv && !nonEmpty(env.SANBOX_CREDENTIALS_FILE) ? null : readCredentialsFile(env);
  const rawUrl = nonEmpty(options.url) ?? nonEmpty(env.SANBOX_URL) ?? file?.url ?? DEFAULT_URL;
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new CliError(EXIT_USAGE, `not a URL: "${rawUrl}" (SANBOX_URL is like http://127.0.0.1:8080)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(EXIT_USAGE, `SANBOX_URL must be http:// or https://, got "${rawUrl}"`);
  const pin = nonEmpty(env.SANBOX_TLS_FINGERPRINT)?.replace(/:/g, '').toUpperCase() ?? null;
  if (pin !== null && !/^[0-9A-F]{64}$/.test(pin))
    throw new CliError(EXIT_USAGE, 'SANBOX_TLS_FINGERPRINT must be a SHA-256 fingerprint (64 hex digits, colons allowed)');
  const password = fromEnv ? (envPassword ?? null) : (file?.password ?? null);
  const apiKey = fromEnv ? (envKey ?? null) : (file?.apiKey ?? null);
  const user = password === null ? null : (envUser ?? file?.user ?? 'admin');
  return { url, user, password, apiKey, insecure: options.insecure === true, fingerprint: pin };
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

/** The server's own words for a failure, from any of the dialects' error shapes. */
export function errorMessage(status: number, body: unknown): string {
  const b = body as Record<string, unknown> | null;
  if (b && typeof b === 'object' && !Array.isArray(b)) {
    const e = b.error;
    if (e && typeof e === 'object') {
      const { message, field, code } = e as { message?: unknown; field?: unknown; code?: unknown };
      const where = typeof field === 'string' && field !== '__all__' ? `${field}: ` : '';
      return `${where}${String(message)}${typeof code === 'string' ? ` (${code})` : ''}`;
    }
    if (typeof e === 'string') return e;
    if (typeof b.error_message === 'string') return b.error_message;
    if (typeof b.scode === 'number' && b.scode !== 0) return `${String(b.message)} (scode ${b.scode}${b.desc ? `, ${String(b.desc)}` : ''})`;
    const fields = Object.entries(b).filter(([, v]) => Array.isArray(v));
    if (fields.length) return fields.map(([k, v]) => `${k === '__all__' ? '' : `${k}: `}${(v as unknown[]).join(' ')}`).join('; ');
    if (typeof b.message === 'string') return b.message;
  }
  return `HTTP ${status}`;
}

export class Client {
  constructor(readonly settings: ClientSettings) {}

  private headers(body: string | undefined): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json' };
    const s = this.settings;
    if (s.apiKey !== null) {
      // Each dialect names its own scheme: Bearer (sanbox's routes), X-Api-Key (FreeNAS), ApiKey (share-pool API).
      h.authorization = `Bearer ${s.apiKey}`;
      h['x-api-key'] = s.apiKey;
      h.apikey = s.apiKey;
    } else if (s.password !== null) {
      h.authorization = `Basic ${Buffer.from(`${s.user}:${s.password}`).toString('base64')}`;
    }
    if (body !== undefined) {
      h['content-type'] = 'application/json';
      h['content-length'] = String(Buffer.byteLength(body));
    }
    return h;
  }

  /** One request; any answer comes back, only transport failures throw (exit 3). */
  send(method: string, urlPath: string, payload?: unknown): Promise<Answer> {
    const s = this.settings;
    const target = new URL(urlPath.replace(/^\//, ''), s.url.href.endsWith('/') ? s.url : new URL(`${s.url.href}/`));
    const body = payload === undefined ? undefined : JSON.stringify(payload);
    const options: https.RequestOptions = { method, headers: this.headers(body), timeout: 30_000 };
    if (target.protocol === 'https:') options.createConnection = this.tlsConnect(target) as https.RequestOptions['createConnection'];
    const lib = target.protocol === 'https:' ? https : http;
    return new Promise<Answer>((resolve, reject) => {
      const req = lib.request(target, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(this.connectError(e)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = null;
          if (text !== '') {
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = { error_message: text.slice(0, 500) };
            }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      });
      req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
      req.on('error', (e) => reject(e instanceof CliError ? e : this.connectError(e)));
      req.end(body);
    });
  }

  /** A request that must succeed (2xx); otherwise an HttpError with the server's message. */
  async call<T = unknown>(method: string, urlPath: string, payload?: unknown): Promise<T> {
    const a = await this.send(method, urlPath, payload);
    if (a.status >= 200 && a.status < 300) return a.body as T;
    let message = errorMessage(a.status, a.body);
    if (a.status === 401) {
      const how = this.settings.apiKey !== null ? 'the API key' : this.settings.password !== null ? `user "${this.settings.user}"` : 'no credentials';
      message = `authentication failed (${how}): ${message}${this.settings.password === null && this.settings.apiKey === null ? ' Set SANBOX_PASSWORD or SANBOX_API_KEY, or write a credentials file.' : ''}`;
    }
    throw new HttpError(a.status, a.body, message);
  }

  private connectError(e: Error & { code?: string }): CliError {
    return new CliError(
      EXIT_CONNECT,
      `cannot reach sanbox at ${this.settings.url.origin}: ${e.message}${e.code && !e.message.includes(e.code) ? ` (${e.code})` : ''}`,
    );
  }

  /** The TLS socket, handed to the request only once the certificate is trusted. */
  private tlsConnect(target: URL) {
    const s = this.settings;
    return (_opts: unknown, done: (err: Error | null, socket?: tls.TLSSocket) => void): undefined => {
      const host = target.hostname.replace(/^\[|\]$/g, '');
      const socket = tls.connect({
        host,
        port: Number(target.port || 443),
        servername: tlsServerName(host),
        rejectUnauthorized: !(s.insecure || s.fingerprint !== null),
        ALPNProtocols: ['http/1.1'],
      });
      socket.once('error', (e) => done(this.connectError(e)));
      socket.once('secureConnect', () => {
        if (s.fingerprint !== null) {
          const got = socket.getPeerCertificate().fingerprint256?.replace(/:/g, '').toUpperCase();
          if (got !== s.fingerprint) {
            socket.destroy();
            done(
              new CliError(
                EXIT_CONNECT,
                `the certificate of ${target.host} has SHA-256 fingerprint ${colons(got ?? '')}, not the pinned SANBOX_TLS_FINGERPRINT`,
              ),
            );
            return;
          }
        }
        done(null, socket);
      });
      return undefined;
    };
  }
}

function tlsServerName(host: string): string | undefined {
  return /^[0-9.]+$/.test(host) || host.includes(':') ? undefined : host;
}

function colons(hex: string): string {
  return hex.replace(/(..)(?!$)/g, '$1:');
}

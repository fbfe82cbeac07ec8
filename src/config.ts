/**
 * Settings: built-in defaults, overridden by the environment. The environment variable
 * names are a public contract (README); nothing else reads process.env.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_ISCSI_LIMITS } from './iscsi/limits.js';

export interface PoolSetting {
  name: string;
  path: string;
}

export interface TlsSetting {
  certFile: string;
  keyFile: string;
}

export interface SanboxConfig {
  /** Where the database, the admin password copy and the default pool live. */
  dataDir: string;
  /** Plain HTTP API listener; null when SANBOX_HTTP=off. */
  http: { host: string; port: number } | null;
  /** HTTPS API listener (the same routes); null when SANBOX_HTTPS=off. */
  https: { host: string; port: number } | null;
  /** Pools besides `default` (`<dataDir>/pools/default`), from SANBOX_POOLS. */
  pools: PoolSetting[];
  /** The HTTPS certificate from SANBOX_TLS_CERT/KEY; null: a self-signed one in <dataDir>/tls. */
  tls: TlsSetting | null;
  adminUser: string;
  /** From SANBOX_ADMIN_PASSWORD; null means "keep the stored one, or generate one". */
  adminPassword: string | null;
  logLevel: string;
  /** Process-wide iSCSI limits (the shape of iscsi/limits.ts), from SANBOX_ISCSI_*. */
  iscsi: IscsiSettings;
  /** The TCP port of the addresses ONTAP LIFs and HNAS virtual servers name (SANBOX_PORTAL_PORT, default 3260). */
  portalPort: number;
  /** SANBOX_IRONIC_NOAUTH=true: Ironic's API takes requests without credentials, as Ironic's noauth. */
  ironicNoAuth: boolean;
  /** How long the API's listeners wait for a client (SANBOX_API_*_TIMEOUT). */
  apiTimeouts: ApiTimeouts;
}

/**
 * The API listeners' bounds on slow or idle clients, in milliseconds. headers: from a
 * connection's first byte (or its last answer) to the end of a request's headers;
 * request: to the end of its body; keepAlive: an idle connection between requests.
 */
export interface ApiTimeouts {
  headersMs: number;
  requestMs: number;
  keepAliveMs: number;
}

/**
 * keepAlive stays fastify's 72 s: a client that reuses a pooled connection the server has
 * just closed loses a POST (urllib3 does not retry one), so the server waits longer than
 * clients and load balancers keep idle connections (60 s); an idle socket costs a descriptor.
 */
export const DEFAULT_API_TIMEOUTS: ApiTimeouts = { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 72_000 };

export interface IscsiSettings {
  loginDeadlineMs: number;
  pendingLoginsPerAddress: number;
  pendingLogins: number;
  maxConnections: number;
  ioBufferBytes: number;
  /** SANBOX_IO_COUNTERS (default true): count each command per LU and session; off, /metrics shows no I/O (logins still count). */
  ioCounters: boolean;
  /** SANBOX_READ_IN_PLACE (default true): socket reads land in the receiver's buffers (iscsi/read-in-place.ts); false: Node's own buffer per read. */
  readInPlace: boolean;
}

export class ConfigError extends Error {}

export const DEFAULT_HTTP = { host: '127.0.0.1', port: 8080 };
export const DEFAULT_HTTPS = { host: '127.0.0.1', port: 8443 };

type Env = Record<string, string | undefined>;

/** Reads the settings from `env` (process.env by default); throws ConfigError on nonsense. */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): SanboxConfig {
  const dataDir = path.resolve(cwd, nonEmpty(env.SANBOX_DATA_DIR) ?? 'var');
  const http = parseListener(env, 'SANBOX_HTTP', DEFAULT_HTTP);
  const https = parseListener(env, 'SANBOX_HTTPS', DEFAULT_HTTPS);
  if (!http && !https) throw new ConfigError('SANBOX_HTTP and SANBOX_HTTPS are both off: the API would not be served at all');
  return {
    dataDir,
    http,
    https,
    pools: env.SANBOX_POOLS ? parsePools(env.SANBOX_POOLS, cwd) : [],
    tls: parseTls(env),
    adminUser: nonEmpty(env.SANBOX_ADMIN_USER) ?? 'admin',
    adminPassword: nonEmpty(env.SANBOX_ADMIN_PASSWORD) ?? null,
    logLevel: nonEmpty(env.SANBOX_LOG_LEVEL) ?? 'info',
    iscsi: parseIscsiSettings(env),
    portalPort: parsePortalPort(env),
    ironicNoAuth: parseFlag(env, 'SANBOX_IRONIC_NOAUTH'),
    apiTimeouts: parseApiTimeouts(env),
  };
}

function parseApiTimeouts(env: Env): ApiTimeouts {
  const d = DEFAULT_API_TIMEOUTS;
  const seconds = (name: string, dflt: number): number => {
    const v = nonEmpty(env[name]);
    if (v === undefined) return dflt;
    const n = /^\d{1,4}$/.test(v) ? Number(v) : NaN;
    if (!(n >= 1 && n <= 3600)) throw new ConfigError(`${name} must be a whole number of seconds from 1 to 3600, got "${v}"`);
    return n * 1000;
  };
  const t = {
    headersMs: seconds('SANBOX_API_HEADERS_TIMEOUT', d.headersMs),
    requestMs: seconds('SANBOX_API_REQUEST_TIMEOUT', d.requestMs),
    keepAliveMs: seconds('SANBOX_API_KEEPALIVE_TIMEOUT', d.keepAliveMs),
  };
  if (t.requestMs < t.headersMs) throw new ConfigError('SANBOX_API_REQUEST_TIMEOUT must not be shorter than SANBOX_API_HEADERS_TIMEOUT');
  return t;
}

function parseFlag(env: Env, name: string): boolean {
  const v = nonEmpty(env[name])?.toLowerCase();
  if (v === undefined || v === 'false' || v === '0' || v === 'no') return false;
  if (v === 'true' || v === '1' || v === 'yes') return true;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

function parsePortalPort(env: Env): number {
  const v = nonEmpty(env.SANBOX_PORTAL_PORT);
  if (v === undefined) return 3260;
  const n = /^\d{1,5}$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new ConfigError(`SANBOX_PORTAL_PORT must be a port from 1 to 65535, got "${v}"`);
  return n;
}

/**
 * Defaults of the iSCSI limits. The connection cap leaves a quarter of the descriptor
 * limit (at least 256) to the API, the database and the images, so a flood of iSCSI
 * connections can never starve the API's listener.
 */
export function defaultIscsiSettings(openFiles = openFileLimit()): IscsiSettings {
  const d = DEFAULT_ISCSI_LIMITS;
  return {
    loginDeadlineMs: d.loginDeadlineMs,
    pendingLoginsPerAddress: d.pendingLoginsPerAddress,
    pendingLogins: d.pendingLogins,
    maxConnections: Math.max(16, Math.min(d.maxConnections, openFiles - Math.max(256, Math.floor(openFiles / 4)))),
    ioBufferBytes: d.ioBufferBytes,
    ioCounters: true,
    readInPlace: true,
  };
}

const MiB = 1024 * 1024;

function parseIscsiSettings(env: Env): IscsiSettings {
  const d = defaultIscsiSettings();
  const int = (name: string, dflt: number, min: number, max: number): number => {
    const v = nonEmpty(env[name]);
    if (v === undefined) return dflt;
    const n = /^\d{1,9}$/.test(v) ? Number(v) : NaN;
    if (!(n >= min && n <= max)) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${v}"`);
    return n;
  };
  return {
    loginDeadlineMs: int('SANBOX_ISCSI_LOGIN_TIMEOUT', d.loginDeadlineMs / 1000, 1, 3600) * 1000,
    pendingLoginsPerAddress: int('SANBOX_ISCSI_PENDING_LOGINS_PER_ADDRESS', d.pendingLoginsPerAddress, 1, 100_000),
    pendingLogins: int('SANBOX_ISCSI_PENDING_LOGINS', d.pendingLogins, 1, 100_000),
    maxConnections: int('SANBOX_ISCSI_MAX_CONNECTIONS', d.maxConnections, 1, 1_000_000),
    ioBufferBytes: int('SANBOX_ISCSI_IO_MEMORY_MB', d.ioBufferBytes / MiB, 16, 1_048_576) * MiB,
    ioCounters: env.SANBOX_IO_COUNTERS === undefined || env.SANBOX_IO_COUNTERS === '' ? true : parseFlag(env, 'SANBOX_IO_COUNTERS'),
    readInPlace: env.SANBOX_READ_IN_PLACE === undefined || env.SANBOX_READ_IN_PLACE === '' ? true : parseFlag(env, 'SANBOX_READ_IN_PLACE'),
  };
}

/** The soft RLIMIT_NOFILE (Linux /proc; Node has no getrlimit). 1024 when it cannot be read. */
function openFileLimit(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : 1024;
  } catch {
    return 1024;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** A listener's address, its default when unset, null for "off" or "none". */
function parseListener(env: Env, name: string, dflt: { host: string; port: number }): { host: string; port: number } | null {
  const v = nonEmpty(env[name]);
  if (v === undefined) return { ...dflt };
  if (/^(off|none)$/i.test(v)) return null;
  return parseHostPort(v, name);
}

/** "host:port", "[v6]:port" or ":port"; port 0 asks the OS for a free one. */
export function parseHostPort(text: string, name = 'SANBOX_HTTP'): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]]*)):(\d{1,5})$/.exec(text.trim());
  if (!match) throw new ConfigError(`${name} must be host:port (or off), got "${text}"`);
  const port = Number(match[3]);
  if (port > 65535) throw new ConfigError(`${name} port out of range: ${port}`);
  const host = match[1] ?? (match[2] || '127.0.0.1');
  return { host, port };
}

/** "name:path,name:path"; names are what FreeNAS-style paths call /mnt/<name>. */
export function parsePools(text: string, cwd: string): PoolSetting[] {
  const pools: PoolSetting[] = [];
  for (const item of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const colon = item.indexOf(':');
    const name = colon > 0 ? item.slice(0, colon) : '';
    const dir = colon > 0 ? item.slice(colon + 1) : '';
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name) || dir === '') {
      throw new ConfigError(`SANBOX_POOLS entries are name:path, got "${item}"`);
    }
    if (pools.some((p) => p.name === name)) throw new ConfigError(`SANBOX_POOLS names pool "${name}" twice`);
    pools.push({ name, path: path.resolve(cwd, dir) });
  }
  return pools;
}

function parseTls(env: Env): TlsSetting | null {
  const certFile = nonEmpty(env.SANBOX_TLS_CERT);
  const keyFile = nonEmpty(env.SANBOX_TLS_KEY);
  if (!certFile && !keyFile) return null;
  if (!certFile || !keyFile) throw new ConfigError('SANBOX_TLS_CERT and SANBOX_TLS_KEY must be set together');
  return { certFile, keyFile };
}

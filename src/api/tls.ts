/**
 * The HTTPS certificate: the configured PEM files (SANBOX_TLS_CERT/KEY), or a self-signed
 * one made with the openssl CLI on first start and kept in <dataDir>/tls for later starts.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ConfigError, type TlsSetting } from '../config.js';

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  certFile: string;
  /** Colon-separated upper-case hex, as `openssl x509 -fingerprint -sha256` prints it. */
  fingerprintSha256: string;
  /** Self-signed by sanbox (in <dataDir>/tls), not configured. */
  generated: boolean;
  /** Made by this start (announce it). */
  fresh: boolean;
}

/** What /api/status shows of it. */
export interface TlsView {
  fingerprintSha256: string;
  generated: boolean;
}

export const TLS_DIR = 'tls';

/**
 * The configured certificate, else the stored self-signed one, else a new one. Null when
 * one must be made but `openssl` is not there (`missing` then names what is missing).
 */
export function settleTlsCertificate(setting: TlsSetting | null, dataDir: string, httpsHost: string, openssl = 'openssl'): TlsMaterial | { missing: string } {
  if (setting) return { ...readPair(setting.certFile, setting.keyFile, 'SANBOX_TLS_CERT', 'SANBOX_TLS_KEY'), generated: false, fresh: false };
  const dir = path.join(dataDir, TLS_DIR);
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  if (fs.existsSync(certFile) && fs.existsSync(keyFile)) {
    const stored = readPair(certFile, keyFile, 'the stored certificate', 'the stored key');
    // sanbox's own certificate is made again when it would no longer verify: it expires
    // within 30 days, or the HTTPS address moved to a host it does not name.
    if (stillServes(new X509Certificate(stored.cert), httpsHost)) return { ...stored, generated: true, fresh: false };
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmpCert = `${certFile}.new`;
  const tmpKey = `${keyFile}.new`;
  const san = ['DNS:localhost', 'IP:127.0.0.1'];
  const extra = sanEntry(httpsHost);
  if (extra && !san.includes(extra)) san.push(extra);
  try {
    makeSelfSigned(openssl, tmpKey, tmpCert, san, 3650);
  } catch (err) {
    fs.rmSync(tmpCert, { force: true });
    fs.rmSync(tmpKey, { force: true });
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { missing: `the ${openssl} command` };
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`openssl could not make a self-signed certificate: ${stderr || (err as Error).message}`);
  }
  fs.chmodSync(tmpKey, 0o600);
  fs.renameSync(tmpKey, keyFile);
  fs.renameSync(tmpCert, certFile); // last: both exist only once both are complete
  return { ...readPair(certFile, keyFile, 'the generated certificate', 'the generated key'), generated: true, fresh: true };
}

/** An EC P-256 self-signed certificate (CN sanbox) for the subjectAltName entries `san`, valid `days`. */
export function makeSelfSigned(openssl: string, keyFile: string, certFile: string, san: readonly string[], days: number): void {
  execFileSync(
    openssl,
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      String(days),
      '-subj',
      '/CN=sanbox',
      '-addext',
      `subjectAltName=${san.join(',')}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
}

const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

function stillServes(cert: X509Certificate, host: string): boolean {
  if (Date.parse(cert.validTo) - Date.now() < RENEW_BEFORE_MS) return false;
  const entry = sanEntry(host);
  if (entry === null) return true;
  return entry.startsWith('IP:') ? cert.checkIP(host) !== undefined : cert.checkHost(host) !== undefined;
}

/** The subjectAltName entry for the listen host; null for a wildcard. */
function sanEntry(host: string): string | null {
  if (host === '' || host === '0.0.0.0' || host === '::') return null;
  return net.isIP(host) ? `IP:${host}` : `DNS:${host}`;
}

function readPair(certFile: string, keyFile: string, certName: string, keyName: string): Omit<TlsMaterial, 'generated' | 'fresh'> {
  const cert = readPem(certFile, certName);
  const key = readPem(keyFile, keyName);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new ConfigError(`${certName} (${certFile}) is not a PEM certificate: ${(err as Error).message}`);
  }
  let keyObject: ReturnType<typeof createPrivateKey>;
  try {
    keyObject = createPrivateKey(key);
  } catch (err) {
    throw new ConfigError(`${keyName} (${keyFile}) is not a PEM private key: ${(err as Error).message}`);
  }
  if (!x509.checkPrivateKey(keyObject)) throw new ConfigError(`${keyName} (${keyFile}) is not the key of ${certFile}`);
  return { cert, key, certFile, fingerprintSha256: x509.fingerprint256 };
}

function readPem(file: string, name: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new ConfigError(`${name}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

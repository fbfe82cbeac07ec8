/**
 * Composition root: settings in, a running sanbox out. Opens the store, settles the
 * admin credential, wires the domain to the data plane through its ports, serves the
 * API, and knows how to stop all of it cleanly.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { PoolSetting, SanboxConfig } from './config.js';
import { createLogger, type Logger } from './log.js';
import { openDatabase } from './store/database.js';
import { ConfigStore } from './store/config-store.js';
import { createDomainServices, type DomainServices } from './domain/services.js';
import { ImageJournal } from './domain/extent-files.js';
import type { ConfigApplier, LiveStatusSource } from './domain/ports.js';
import { HostStorage } from './backstore/host-storage.js';
import { JobWorker } from './backstore/job-work.js';
import { settleAdminCredential } from './api/auth/admin-credential.js';
import { type HostPort, buildApi, listenApi } from './api/server.js';
import { type TlsMaterial, settleTlsCertificate } from './api/tls.js';
import type { ThrottleOptions } from './api/auth/throttle.js';
import { DataPlane } from './dataplane/data-plane.js';
import type { ArraySessionOptions } from './dataplane/array-sessions.js';
import type { RbdPoolOptions } from './dataplane/rbd-pools.js';

export const DATABASE_FILE = 'sanbox.db';
export const DEFAULT_POOL = 'default';

export interface SanboxPorts {
  applier?: ConfigApplier;
  status?: LiveStatusSource;
  logger?: Logger;
  /** Where a generated admin password is announced (default: stdout, never the log). */
  announce?: (text: string) => void;
  throttle?: Partial<ThrottleOptions>;
  maxQueuedPasswordChecks?: number;
  /** How often the data plane looks for missing backing files again (default 2 s; tests go faster). */
  mediumRecheckMs?: number;
  /** The bounds and retries of the sessions to iscsi pools' arrays (tests shorten them). */
  arrays?: Partial<ArraySessionOptions>;
  /** The timeouts and refresh of the connections to rbd pools' clusters (tests shorten them). */
  rbd?: Partial<RbdPoolOptions>;
  /** The openssl command that makes the self-signed certificate (default: openssl on PATH). */
  openssl?: string;
}

export interface Sanbox {
  /** The bound plain-HTTP address (port 0 in the config becomes the real port here); null when off. */
  address: HostPort | null;
  /** "http://host:port"; null when SANBOX_HTTP=off. */
  url: string | null;
  /** The bound HTTPS address; null when off (or no certificate could be made). */
  httpsAddress: HostPort | null;
  /** "https://host:port"; null when not served. */
  httpsUrl: string | null;
  /** The HTTPS certificate's SHA-256 fingerprint; null when HTTPS is not served. */
  tlsFingerprint: string | null;
  services: DomainServices;
  http: FastifyInstance;
  logger: Logger;
  close(): Promise<void>;
}

const noopApplier: ConfigApplier = { apply: async () => {} };
const noStatus: LiveStatusSource = { status: () => ({ listeners: [], sessions: [], extents: [] }) };

export async function createSanbox(config: SanboxConfig, ports: SanboxPorts = {}): Promise<Sanbox> {
  const logger = ports.logger ?? createLogger(config.logLevel);
  const pools = preparePools(config, logger);
  const store = new ConfigStore(openDatabase(path.join(config.dataDir, DATABASE_FILE)));
  let http: FastifyInstance | null = null;
  // The real data plane unless a caller plugs its own applier in (API-only tests do).
  const dataPlane = ports.applier ? null : new DataPlane(logger, config.iscsi, ports.mediumRecheckMs, ports.arrays, ports.rbd);
  const applier = ports.applier ?? dataPlane ?? noopApplier;
  const liveStatus = ports.status ?? dataPlane ?? noStatus;
  try {
    store.transaction(() => {
      for (const p of pools) store.upsertConfiguredPool(p.name, p.path);
    });
    // iscsi and rbd pools need the data plane: it keeps their sessions to the arrays and clusters.
    const storage = new HostStorage(new Set(dataPlane ? ['disk', 'iscsi', 'rbd'] : ['disk']));
    const services = createDomainServices(
      store,
      applier,
      logger,
      storage,
      dataPlane ? (tenantId) => dataPlane.iscsiRunning(tenantId) : null,
      dataPlane?.arrays ?? null,
      dataPlane?.devices ?? null,
      `127.0.0.1:${config.portalPort}`,
      new JobWorker(),
      new ImageJournal(path.join(config.dataDir, 'creating')),
      dataPlane?.rbd ?? null,
    );
    for (const image of services.extents.recoverInterruptedCreates()) {
      logger.warn({ path: image }, 'removed an image whose create was interrupted before its extent was committed');
    }
    services.globals.ensureDefaults();
    services.jobs.recover();
    const admin = store.transaction(() => settleAdminCredential(store, config.dataDir, config.adminUser, config.adminPassword));
    if (admin.generated) {
      (ports.announce ?? ((t) => process.stdout.write(t)))(
        `\nsanbox: generated a password for API user "${config.adminUser}": ${admin.generated.password}\n` +
          `sanbox: it is shown only this once; a copy is in ${admin.generated.file} (mode 0600)\n\n`,
      );
      logger.info({ user: config.adminUser, file: admin.generated.file }, 'generated the admin password');
    }
    await services.mutations.apply();
    // rbd images of interrupted creates: once their pools' clusters answer (connected in the background).
    void services.extents.recoverInterruptedImages().then(
      (images) => {
        for (const image of images) logger.warn({ image }, 'removed an rbd image whose create was interrupted before its extent was committed');
      },
      (err: Error) => logger.warn({ err: err.message }, 'recovering interrupted rbd image creates failed'),
    );

    const tls = config.https ? settleTls(config, logger, ports) : null;
    http = await buildApi({
      services,
      status: liveStatus,
      logger,
      adminUser: config.adminUser,
      passwordHash: () => store.getPasswordHash(config.adminUser),
      tls: tls && { fingerprintSha256: tls.fingerprintSha256, generated: tls.generated },
      throttle: ports.throttle,
      maxQueuedPasswordChecks: ports.maxQueuedPasswordChecks,
      portalPort: config.portalPort,
      ironicNoAuth: config.ironicNoAuth,
      timeouts: config.apiTimeouts,
    });
    const bound = await listenApi(http, { http: config.http, https: config.https && tls ? { ...config.https, tls } : null });
    const url = bound.http && urlOf('http', bound.http);
    const httpsUrl = bound.https && urlOf('https', bound.https);
    logger.info({ url, httpsUrl, dataDir: config.dataDir }, 'sanbox is serving');

    const app = http;
    let closing: Promise<void> | null = null;
    return {
      address: bound.http,
      url,
      httpsAddress: bound.https,
      httpsUrl,
      tlsFingerprint: tls?.fingerprintSha256 ?? null,
      services,
      http: app,
      logger,
      close: () =>
        (closing ??= (async () => {
          await app.close(); // stops accepting, lets in-flight requests finish
          await services.jobs.stop(); // the next start fails what did not finish
          await services.mutations.drain();
          await dataPlane?.stop();
          store.close();
          logger.info('sanbox stopped');
        })()),
    };
  } catch (err) {
    if (http) await http.close().catch(() => {});
    await dataPlane?.stop().catch(() => {});
    store.close();
    throw err;
  }
}

function urlOf(scheme: string, at: HostPort): string {
  return `${scheme}://${at.host.includes(':') ? `[${at.host}]` : at.host}:${at.port}`;
}

/**
 * The HTTPS certificate (configured, stored, or made now and announced once); null, with
 * a warning, when one must be made and openssl is missing: sanbox then serves HTTP only.
 */
function settleTls(config: SanboxConfig, logger: Logger, ports: SanboxPorts): TlsMaterial | null {
  const tls = settleTlsCertificate(config.tls, config.dataDir, config.https?.host ?? '', ports.openssl);
  if ('missing' in tls) {
    logger.warn({ missing: tls.missing }, `HTTPS is not served: making its self-signed certificate needs ${tls.missing}, which is missing`);
    return null;
  }
  if (tls.fresh) {
    (ports.announce ?? ((t) => process.stdout.write(t)))(
      `\nsanbox: generated a self-signed HTTPS certificate: ${tls.certFile}\n` + `sanbox: its SHA-256 fingerprint is ${tls.fingerprintSha256}\n\n`,
    );
  }
  logger.info({ fingerprintSha256: tls.fingerprintSha256, certFile: tls.certFile, generated: tls.generated }, 'HTTPS certificate');
  return tls;
}

/**
 * The default pool and the configured ones. Only the default pool's directory (inside the
 * data dir) is created: a configured pool whose directory is missing is most likely not
 * mounted, and creating it would put new images on the wrong file system. Its extents
 * stay offline until it appears.
 */
function preparePools(config: SanboxConfig, logger: Logger): PoolSetting[] {
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const defaultPool: PoolSetting = { name: DEFAULT_POOL, path: path.join(config.dataDir, 'pools', DEFAULT_POOL) };
  const pools: PoolSetting[] = [defaultPool];
  for (const p of config.pools) {
    const existing = pools.findIndex((q) => q.name === p.name);
    if (existing >= 0) pools.splice(existing, 1);
    pools.push({ name: p.name, path: p.path });
  }
  for (const p of pools) {
    if (p.path === defaultPool.path) fs.mkdirSync(p.path, { recursive: true });
    else if (!fs.existsSync(p.path)) {
      logger.warn({ pool: p.name, path: p.path }, 'pool directory is missing (not mounted?): its extents are offline until it appears');
    }
  }
  return pools;
}

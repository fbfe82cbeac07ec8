/**
 * The HTTP server: fastify with one line of log per request, authentication on every
 * route, JSON bodies (an empty body with a JSON content type is no body, as Tastypie
 * clients send on GET and DELETE), the OpenAPI document, and the dialects.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import type { Logger } from 'pino';
import type { DomainServices } from '../domain/services.js';
import type { LiveStatusSource } from '../domain/ports.js';
import type { TlsMaterial, TlsView } from './tls.js';
import { type ApiTimeouts, DEFAULT_API_TIMEOUTS } from '../config.js';
import { Authenticator } from './auth/authenticator.js';
import { PasswordChecker } from './auth/password-checker.js';
import { DEFAULT_THROTTLE, FailureThrottle, type ThrottleOptions } from './auth/throttle.js';
import { registerDialect } from './http/dialect.js';
import { freenasDialects } from './freenas/dialect.js';
import { poolDialect } from './pools/dialect.js';
import { ontapDialect } from './ontap/dialect.js';
import { hnasDialect } from './hnas/dialect.js';
import { ironicDialects, ironicRoot } from './ironic/dialect.js';
import { DEFAULT_ISCSI_PORT } from '../domain/addresses.js';
import { statusRoutes } from './status.js';
import { keyRoutes } from './keys.js';
import { tenantRoutes } from './tenants.js';
import { consoleRoutes } from './console/routes.js';
import { ConsoleSessions, DEFAULT_SESSION_OPTIONS } from './console/sessions.js';
import { ConsoleStreams } from './console/streams.js';
import { jobRoutes } from './jobs.js';
import { installMetrics, metricsRoutes } from './metrics.js';
import { sessionRoutes } from './sessions.js';

export interface ApiDeps {
  services: DomainServices;
  status: LiveStatusSource;
  logger: Logger;
  adminUser: string;
  passwordHash: () => string | null;
  /** The HTTPS certificate's identity for /api/status; null when HTTPS is not served. */
  tls: TlsView | null;
  throttle?: Partial<ThrottleOptions>;
  /** Password checks that may wait for the checker's worker (default 32). */
  maxQueuedPasswordChecks?: number;
  /** The port ONTAP LIFs listen on (default 3260). */
  portalPort?: number;
  /** SANBOX_IRONIC_NOAUTH: serve Ironic's API without credentials (default false). */
  ironicNoAuth?: boolean;
  /** Where the web console's built bundle is (default dist/ui). */
  uiDir?: string;
  /** Bounds on slow and idle clients (default DEFAULT_API_TIMEOUTS). */
  timeouts?: ApiTimeouts;
}

export const OPENAPI_PATH = '/api/openapi.json';

export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const timeouts = deps.timeouts ?? DEFAULT_API_TIMEOUTS;
  const options: FastifyServerOptions = {
    loggerInstance: deps.logger,
    // Our own onResponse hook writes the one line per request.
    logController: new LogController({ disableRequestLogging: true }),
    // HNAS object ids are long hex path segments (the default limit is 100 characters).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1024 },
    forceCloseConnections: 'idle',
    // Node's own bounds are off or long under fastify (requestTimeout 0: a body may trickle
    // in forever; headers 60 s, checked every 30 s): a client that sends slowly or not at
    // all would hold its socket, and its descriptor, for minutes. Keep-alive: config.ts.
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    ajv: { customOptions: { removeAdditional: false, allErrors: true, coerceTypes: 'array', useDefaults: false } },
  };
  const app = Fastify(options) as unknown as FastifyInstance;
  // Not a fastify option; listenApi copies it (and checks it each second) on its servers.
  app.server.headersTimeout = timeouts.headersMs;

  // The console's event streams never go idle: they end before the listeners' close waits for them.
  const streams = new ConsoleStreams();
  app.addHook('preClose', async () => streams.endAll());
  installJsonParser(app);
  installRequestLog(app);
  installDrainOnClose(app);
  installListenerClose(app);
  // Before any route: the request-duration hook times every route.
  const metrics = installMetrics(app, { status: deps.status, pools: () => deps.services.pools.list().items });
  const throttle = new FailureThrottle({ ...DEFAULT_THROTTLE, ...deps.throttle }, (notice) =>
    deps.logger.warn({ source: notice.source, failures: notice.failures, delayMs: notice.delayMs }, 'repeated authentication failures'),
  );
  const checker = new PasswordChecker(deps.maxQueuedPasswordChecks);
  const verifyKey = (token: string) => deps.services.apiKeys.verify(token);
  const sessions = new ConsoleSessions({ ...DEFAULT_SESSION_OPTIONS, verifyKey });
  const authenticator = new Authenticator({
    user: deps.adminUser,
    passwordHash: deps.passwordHash,
    throttle,
    checker,
    verifyKey,
    consoleSession: (request) => sessions.principalFor(request),
  });
  authenticator.install(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'sanbox',
        description: 'A storage area network in one process: iSCSI target and storage-management APIs.',
        version: '0.1.0',
      },
      components: {
        securitySchemes: {
          basic: { type: 'http', scheme: 'basic' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
          bearer: { type: 'http', scheme: 'bearer', description: 'An API key from /api/keys' },
        },
      },
      security: [{ basic: [] }, { apiKey: [] }, { bearer: [] }],
    },
  });
  for (const dialect of freenasDialects) await registerDialect(app, dialect, { services: deps.services });
  await registerDialect(app, poolDialect, { services: deps.services });
  for (const dialect of ironicDialects(deps.ironicNoAuth === true)) {
    await registerDialect(app, dialect, { services: deps.services, noAuth: deps.ironicNoAuth === true });
  }
  ironicRoot(app);
  await registerDialect(app, hnasDialect, { services: deps.services, portalPort: deps.portalPort ?? DEFAULT_ISCSI_PORT });
  await registerDialect(app, ontapDialect, { services: deps.services, status: deps.status, portalPort: deps.portalPort ?? DEFAULT_ISCSI_PORT });
  const site = () => ({
    ...deps.services.site.identity(),
    tenants: deps.services.tenants.list().map((t) => ({ uuid: t.uuid, name: t.name })),
  });
  const tls = deps.tls;
  await app.register(statusRoutes, { status: deps.status, site, tls: () => tls });
  await app.register(metricsRoutes, { metrics });
  await app.register(sessionRoutes, { status: deps.status });
  await app.register(keyRoutes, { keys: deps.services.apiKeys, tenants: deps.services.tenants });
  await app.register(tenantRoutes, { tenants: deps.services.tenants });
  await app.register(consoleRoutes, {
    sessions,
    streams,
    check: (address, presented) => authenticator.check(address, presented),
    status: deps.status,
    pools: deps.services.pools,
    maxAgeMs: DEFAULT_SESSION_OPTIONS.maxAgeMs,
    ...(deps.uiDir ? { uiDir: deps.uiDir } : {}),
  });
  await app.register(jobRoutes, { jobs: deps.services.jobs });
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
  // sanbox's own routes and paths under no dialect's prefix; each dialect has its own.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    reply.code(status).send({ error_message: status >= 500 ? 'Internal error.' : error.message });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error_message: `No route for ${request.method} ${request.url.split('?')[0]}.` });
  });
  return app;
}

export interface HostPort {
  host: string;
  port: number;
}

/** The servers listenApi started for each app; its preClose hook closes them. */
const listenersOf = new WeakMap<FastifyInstance, Array<http.Server | https.Server>>();

/**
 * Serves one fastify app on a plain HTTP and/or an HTTPS listener. fastify listens on one
 * server only, so neither is fastify's own: each is a node server calling `app.routing`
 * (the handler fastify's own server would call: same hooks, authentication, logging,
 * 503 while closing), with the timeouts and client-error handler fastify gave its own
 * (never listening) server. app.close() closes them. Returns the bound addresses.
 */
export async function listenApi(
  app: FastifyInstance,
  spec: { http: HostPort | null; https: (HostPort & { tls: TlsMaterial }) | null },
): Promise<{ http: HostPort | null; https: HostPort | null }> {
  await app.ready();
  const servers = listenersOf.get(app) ?? [];
  listenersOf.set(app, servers);
  const start = async (server: http.Server | https.Server, at: HostPort): Promise<HostPort> => {
    mirrorSettings(app.server, server);
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: at.host, port: at.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return { host: at.host, port: (server.address() as AddressInfo).port };
  };
  const handler = app.routing as http.RequestListener;
  // How often Node looks for connections past headersTimeout/requestTimeout (its default,
  // 30 s, would let a slow client stay up to 30 s past its bound).
  const connectionsCheckingInterval = Math.min(1000, app.server.headersTimeout);
  return {
    http: spec.http ? await start(http.createServer({ connectionsCheckingInterval }, handler), spec.http) : null,
    https: spec.https
      ? await start(
          // A TLS handshake gets the headers' time too (tls's own default is 120 s).
          https.createServer(
            { cert: spec.https.tls.cert, key: spec.https.tls.key, connectionsCheckingInterval, handshakeTimeout: app.server.headersTimeout },
            handler,
          ),
          spec.https,
        )
      : null,
  };
}

function mirrorSettings(from: http.Server, to: http.Server | https.Server): void {
  to.keepAliveTimeout = from.keepAliveTimeout;
  to.requestTimeout = from.requestTimeout;
  to.headersTimeout = from.headersTimeout;
  to.timeout = from.timeout;
  to.maxRequestsPerSocket = from.maxRequestsPerSocket;
  for (const listener of from.listeners('clientError')) to.on('clientError', listener as (...args: unknown[]) => void);
}

/**
 * Closing the app closes listenApi's servers: no new connections, idle keep-alive ones
 * end now, and close() waits for the in-flight requests (answered with Connection: close).
 */
function installListenerClose(app: FastifyInstance): void {
  app.addHook('preClose', async () => {
    const servers = listenersOf.get(app) ?? [];
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            if (!server.listening) return resolve();
            server.close(() => resolve());
            server.closeIdleConnections();
          }),
      ),
    );
  });
}

/**
 * Strict JSON for every route, except that an empty body with a JSON content type is no
 * body (clients send the header on GET and DELETE too). A dialect that must be more
 * lenient replaces this parser in its own plugin (FreeNAS: trailing commas).
 */
function installJsonParser(app: FastifyInstance): void {
  const strict = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (typeof body === 'string' && body.trim() === '') return done(null, undefined);
    strict(request, body as string, done);
  });
}

/**
 * A request still running when close() starts is answered with `Connection: close`, so
 * its keep-alive connection ends with it; otherwise close() would wait for the client's
 * idle connection to time out.
 */
function installDrainOnClose(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('Connection', 'close');
    return payload;
  });
}

/** One line per request, after the answer; headers (credentials) are never logged. */
function installRequestLog(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        url: request.url,
        statusCode: reply.statusCode,
        remoteAddress: request.ip,
        responseTimeMs: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    );
  });
}

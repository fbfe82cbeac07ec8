/**
 * The web console's server side, under /ui/: the built page and its assets (dist/ui, made
 * by `npm run build:ui`; no CDN), the login that turns the admin's password or an API key
 * into a console session (sessions.ts), logout, and GET /ui/events, a server-sent stream
 * of the live state once a second (sessions with their counters, listeners, pools).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LiveStatusSource } from '../../domain/ports.js';
import type { PoolService } from '../../domain/pools.js';
import { DEFAULT_THRESHOLD } from '../../domain/pools.js';
import type { Presented } from '../auth/credentials.js';
import type { Verdict } from '../auth/authenticator.js';
import { type ConsoleSessions, sessionCookie } from './sessions.js';
import type { ConsoleStreams } from './streams.js';

export const UI_DIR = fileURLToPath(new URL('../../../ui/', import.meta.url));

export interface ConsoleOptions {
  sessions: ConsoleSessions;
  streams: ConsoleStreams;
  /** The authenticator's own check (throttle, cache, password checker). */
  check: (address: string, presented: Presented) => Promise<Verdict>;
  status: LiveStatusSource;
  pools: PoolService;
  maxAgeMs: number;
  /** Where the built bundle is (default dist/ui next to dist/src). */
  uiDir?: string;
  /** Milliseconds between two snapshots on /ui/events (default 1000). */
  eventIntervalMs?: number;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};
const ASSET = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const PUBLIC = { publicRoute: true, authSchemes: [] } as const;
const SESSION_ONLY = { authSchemes: ['console-session'] } as const;
/** Pools are measured (du) at most this often, not on every tick. */
const POOL_MEASURE_MS = 5000;

/**
 * Each target's read and write latency so far (sums and counts of its LUs' histograms,
 * monotonic): the page turns two of them into the mean latency over that second.
 */
function latencyPerTarget(status: LiveStatusSource): TargetLatency[] {
  const out = new Map<string, TargetLatency>();
  for (const u of status.counters?.().lus ?? []) {
    let t = out.get(u.target);
    if (!t) {
      t = { target: u.target, readSeconds: 0, reads: 0, writeSeconds: 0, writes: 0 };
      out.set(u.target, t);
    }
    t.readSeconds += u.io.readLatency.sum;
    t.reads += u.io.readLatency.count;
    t.writeSeconds += u.io.writeLatency.sum;
    t.writes += u.io.writeLatency.count;
  }
  return [...out.values()];
}

interface TargetLatency {
  target: string;
  readSeconds: number;
  reads: number;
  writeSeconds: number;
  writes: number;
}

export async function consoleRoutes(app: FastifyInstance, opts: ConsoleOptions): Promise<void> {
  const dir = opts.uiDir ?? UI_DIR;
  const { sessions } = opts;

  app.get('/ui/', { schema: { hide: true }, config: PUBLIC }, async (request, reply) => sendFile(request, reply, dir, 'index.html'));
  app.get('/ui/assets/:file', { schema: { hide: true }, config: PUBLIC }, async (request, reply) => {
    const { file } = request.params as { file: string };
    if (!ASSET.test(file) || file === 'index.html') return reply.code(404).send({ error_message: 'No such file.' });
    return sendFile(request, reply, dir, `assets/${file}`);
  });

  app.get('/ui/session', { schema: { hide: true }, config: SESSION_ONLY }, async (request) => {
    const session = sessions.find(request)!;
    return { user: who(session.principal), csrf: session.csrf };
  });

  app.post('/ui/session', { schema: { hide: true }, config: PUBLIC }, async (request, reply) => {
    const body = (request.body ?? {}) as { user?: unknown; password?: unknown; key?: unknown };
    let presented: Presented;
    if (typeof body.key === 'string' && body.key !== '') presented = { kind: 'token', token: body.key };
    else if (typeof body.password === 'string' && body.password !== '')
      presented = { kind: 'password', user: typeof body.user === 'string' ? body.user : '', password: body.password };
    else return reply.code(400).send({ error_message: 'Give user and password, or key.' });
    const verdict = await opts.check(request.ip, presented);
    if (verdict.kind === 'throttled') {
      return reply
        .code(429)
        .header('Retry-After', String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))))
        .send({ error_message: 'Too many failed attempts from this address; retry later.' });
    }
    if (verdict.kind === 'busy') return reply.code(503).header('Retry-After', '1').send({ error_message: 'Too many checks are waiting; retry later.' });
    if (verdict.kind === 'wrong') return reply.code(401).send({ error_message: 'Wrong user, password or key.' });
    const session = sessions.open(verdict.principal, presented.kind === 'token' ? presented.token : null);
    reply.header('Set-Cookie', sessionCookie(session, isHttps(request), opts.maxAgeMs));
    return reply.code(201).send({ user: who(verdict.principal), csrf: session.csrf });
  });

  app.delete('/ui/session', { schema: { hide: true }, config: SESSION_ONLY }, async (request, reply) => {
    const session = sessions.find(request);
    if (session) sessions.end(session.id);
    return reply
      .code(204)
      .header('Set-Cookie', sessionCookie(null, isHttps(request), 0))
      .send();
  });

  let measured: { at: number; pools: unknown[] } = { at: 0, pools: [] };
  const pools = () => {
    const now = Date.now();
    if (now - measured.at >= POOL_MEASURE_MS) measured = { at: now, pools: poolFigures(opts.pools) };
    return measured.pools;
  };
  const snapshot = () => {
    const live = opts.status.status();
    return {
      t: Date.now(),
      sessions: live.sessions,
      listeners: live.listeners,
      extents: live.extents,
      pools: pools(),
      latency: latencyPerTarget(opts.status),
    };
  };

  app.get('/ui/events', { schema: { hide: true }, config: SESSION_ONLY }, async (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    const send = () => {
      // The session may have ended (logout, expiry, key revoked): the stream ends with it.
      if (!sessions.find(request)) return stop();
      res.write(`data: ${JSON.stringify(snapshot())}\n\n`);
    };
    const timer = setInterval(send, opts.eventIntervalMs ?? 1000);
    const stop = () => {
      clearInterval(timer);
      opts.streams.delete(stop);
      res.end();
    };
    opts.streams.add(stop);
    request.raw.on('close', stop);
    res.write('retry: 2000\n\n');
    send();
  });
}

function poolFigures(pools: PoolService): unknown[] {
  return pools.list().items.map((m) => ({
    uuid: m.pool.uuid,
    name: m.pool.name,
    type: m.pool.type,
    capacityBytes: m.figures.capacityBytes,
    usedBytes: m.figures.usedBytes,
    allocatedBytes: m.allocatedBytes,
    threshold: Number(m.pool.attributes.overAllocationThreshold ?? DEFAULT_THRESHOLD),
    extentCount: m.extentCount,
    health: m.figures.health,
    reason: m.figures.reason,
  }));
}

function who(p: { kind: 'admin'; user: string } | { kind: 'key'; name: string }): string {
  return p.kind === 'admin' ? p.user : `key ${p.name}`;
}

function isHttps(request: FastifyRequest): boolean {
  return (request.raw.socket as TLSSocket).encrypted === true;
}

async function sendFile(request: FastifyRequest, reply: FastifyReply, dir: string, name: string): Promise<FastifyReply> {
  const file = path.join(dir, name);
  const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? '')) && fs.existsSync(`${file}.gz`);
  let data: Buffer;
  try {
    data = await fs.promises.readFile(gzip ? `${file}.gz` : file);
  } catch {
    if (name === 'index.html') return reply.code(503).type('text/plain').send('The console is not built: run npm run build:ui.');
    return reply.code(404).send({ error_message: 'No such file.' });
  }
  if (gzip) reply.header('Content-Encoding', 'gzip');
  reply.header('Vary', 'Accept-Encoding');
  reply.header('Cache-Control', name === 'index.html' ? 'no-cache' : 'public, max-age=300');
  reply.header('X-Content-Type-Options', 'nosniff');
  if (name === 'index.html') reply.header('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'");
  return reply.type(TYPES[path.extname(name)] ?? 'application/octet-stream').send(data);
}

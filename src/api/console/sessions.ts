/**
 * The web console's sessions: a random id in an HttpOnly, SameSite=Strict cookie (Secure
 * over HTTPS), mapped here, in memory only, to who logged in and a CSRF token the page
 * sends as a header on every change. A session ends on logout, after `idleMs` unused or
 * `maxAgeMs` after login, and with the API key it was opened with (checked on each use).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/authenticator.js';
import type { ApiKey } from '../../domain/api-keys.js';

export const SESSION_COOKIE = 'sanbox_console';
export const CSRF_HEADER = 'x-csrf-token';

export interface ConsoleSession {
  readonly id: string;
  readonly csrf: string;
  readonly principal: Principal;
  /** The API key's token the session was opened with (re-checked on each use); null for the admin. */
  readonly token: string | null;
  readonly createdAt: number;
  lastUsed: number;
}

export interface SessionOptions {
  idleMs: number;
  maxAgeMs: number;
  /** Sessions kept at most; opening one more ends the least recently used. */
  max: number;
  verifyKey: (token: string) => ApiKey | null;
  now?: () => number;
}

export const DEFAULT_SESSION_OPTIONS = { idleMs: 30 * 60_000, maxAgeMs: 12 * 3600_000, max: 256 };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export class ConsoleSessions {
  private readonly sessions = new Map<string, ConsoleSession>();
  private readonly now: () => number;

  constructor(private readonly opts: SessionOptions) {
    this.now = opts.now ?? Date.now;
  }

  open(principal: Principal, token: string | null): ConsoleSession {
    this.sweep();
    while (this.sessions.size >= this.opts.max) {
      const oldest = [...this.sessions.values()].sort((a, b) => a.lastUsed - b.lastUsed)[0]!;
      this.sessions.delete(oldest.id);
    }
    const at = this.now();
    const session: ConsoleSession = { id: token32(), csrf: token32(), principal, token, createdAt: at, lastUsed: at };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session the request's cookie names (its use extends it), or null. */
  find(request: FastifyRequest): ConsoleSession | null {
    const id = cookie(request.headers.cookie, SESSION_COOKIE);
    const session = id ? this.sessions.get(id) : undefined;
    if (!session) return null;
    const at = this.now();
    const keyGone = session.token !== null && this.opts.verifyKey(session.token) === null;
    if (keyGone || at - session.lastUsed > this.opts.idleMs || at - session.createdAt > this.opts.maxAgeMs) {
      this.sessions.delete(session.id);
      return null;
    }
    session.lastUsed = at;
    return session;
  }

  /** Who the request is by its session, for the authenticator: a change needs the CSRF header too. */
  principalFor(request: FastifyRequest): Principal | null {
    const session = this.find(request);
    if (!session) return null;
    if (!SAFE_METHODS.has(request.method) && !sameToken(request.headers[CSRF_HEADER], session.csrf)) return null;
    return session.principal;
  }

  end(id: string): void {
    this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  private sweep(): void {
    const at = this.now();
    for (const s of this.sessions.values()) {
      if (at - s.lastUsed > this.opts.idleMs || at - s.createdAt > this.opts.maxAgeMs) this.sessions.delete(s.id);
    }
  }
}

/** The Set-Cookie value for a session (null: the one that clears it). */
export function sessionCookie(session: ConsoleSession | null, secure: boolean, maxAgeMs: number): string {
  const attributes = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])];
  if (!session) return [`${SESSION_COOKIE}=`, 'Max-Age=0', ...attributes].join('; ');
  return [`${SESSION_COOKIE}=${session.id}`, `Max-Age=${Math.floor(maxAgeMs / 1000)}`, ...attributes].join('; ');
}

function token32(): string {
  return randomBytes(32).toString('base64url');
}

/** One cookie's value from a Cookie header. */
export function cookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

function sameToken(presented: string | string[] | undefined, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

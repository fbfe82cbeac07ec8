/**
 * Authentication for every API route, with the credential schemes the route's dialect
 * accepts (credentials.ts): the admin user's password (HTTP Basic, X-Api-Key, the
 * X-Subsystem-* pair) or an API key (X-Api-Key, Bearer, X-Auth-Token).
 *
 * API keys are checked at once (a digest compare). A valid key is never throttled (a
 * guesser cannot produce one); a wrong one counts as a failure like a wrong password, so
 * a key guesser is refused with 429 the same way.
 * Credentials already verified are remembered by an HMAC of what was presented, so a
 * known-good client costs no scrypt and is never throttled (a guesser cannot produce a
 * hit without the password). Concurrent requests presenting the same credentials share
 * one check. Any other check must be admitted by the failure throttle (429 otherwise)
 * and runs on the password checker's own worker (503 when its queue is full).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CheckerBusyError, type PasswordChecker } from './password-checker.js';
import type { FailureThrottle } from './throttle.js';
import type { ApiKey } from '../../domain/api-keys.js';
import { OWN_SCHEMES, challengeFor, extractCredentials, type AuthScheme, type Presented } from './credentials.js';

export interface AuthDeps {
  user: string;
  /** Reads the current hash (so a changed password takes effect without restart). */
  passwordHash: () => string | null;
  throttle: FailureThrottle;
  checker: PasswordChecker;
  /** The API key a token is, or null. */
  verifyKey: (token: string) => ApiKey | null;
  /**
   * The web console's session behind the request's cookie (scheme 'console-session'), or
   * null; a change (not GET/HEAD) counts only with the session's CSRF header.
   */
  consoleSession?: (request: FastifyRequest) => Principal | null;
}

/** Who a request is, for the routes (tenant scoping to come). */
export type Principal = { kind: 'admin'; user: string } | { kind: 'key'; keyId: number; name: string; tenant: string | null };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Credential schemes this route accepts, in order (a dialect sets them for its routes). */
    authSchemes?: readonly AuthScheme[];
    /** The bodies of this route's 401, 429 and 503, in its dialect's error shape (default: FreeNAS's). */
    authRefusals?: AuthRefusals;
    /**
     * Served without credentials (Ironic's version documents, which clients read before
     * they authenticate): credentials presented are still checked and, when good, used.
     */
    publicRoute?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export const UNAUTHORIZED_BODY = { error_message: 'Authentication credentials were missing or incorrect.' };
export const THROTTLED_BODY = { error_message: 'Too many failed authentication attempts from this address; retry later.' };
export const BUSY_BODY = { error_message: 'Too many authentication checks are waiting; retry later.' };

/** What a refused request is told, per refusal, in a dialect's own shape. */
export interface AuthRefusals {
  unauthorized: unknown;
  throttled: unknown;
  busy: unknown;
}

const DEFAULT_REFUSALS: AuthRefusals = { unauthorized: UNAUTHORIZED_BODY, throttled: THROTTLED_BODY, busy: BUSY_BODY };
/** Seconds a client told "busy" waits: the queue drains in about that. */
const BUSY_RETRY_AFTER_S = 1;
const MAX_REMEMBERED = 64;

const hold = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export type Verdict = { kind: 'ok'; principal: Principal } | { kind: 'wrong' } | { kind: 'throttled'; retryAfterMs: number } | { kind: 'busy' };

export class Authenticator {
  private readonly cacheKey = randomBytes(32);
  private readonly verified = new Map<string, string>();
  private readonly running = new Map<string, Promise<boolean>>();

  constructor(private readonly deps: AuthDeps) {}

  /** Installs the check on every route of `app`, and stops the checker with it. */
  install(app: FastifyInstance): void {
    app.decorateRequest('principal', null);
    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      const schemes = request.routeOptions.config?.authSchemes ?? OWN_SCHEMES;
      const verdict = await this.authenticate(request, schemes);
      if (verdict.kind === 'ok') {
        request.principal = verdict.principal;
        return;
      }
      if (request.routeOptions.config?.publicRoute === true && verdict.kind === 'wrong') return;
      reply.header('Vary', 'Accept');
      const bodies = request.routeOptions.config?.authRefusals ?? DEFAULT_REFUSALS;
      // A refusal is held a moment before it is sent: a client that keeps many requests in
      // flight would otherwise get refusals as fast as the event loop can write them, and
      // that alone would take the loop from the iSCSI sessions it also serves. Each held
      // request costs a timer; no password check runs for it.
      const held = verdict.kind === 'throttled' || verdict.kind === 'busy' ? this.deps.throttle.refusalHoldMs : 0;
      if (held > 0) await hold(held);
      if (verdict.kind === 'throttled') {
        const seconds = Math.max(1, Math.ceil((verdict.retryAfterMs - held) / 1000));
        return reply.code(429).header('Retry-After', String(seconds)).send(bodies.throttled);
      }
      if (verdict.kind === 'busy') return reply.code(503).header('Retry-After', String(BUSY_RETRY_AFTER_S)).send(bodies.busy);
      // The console's page sends its CSRF header on every call: its 401 (session ended) must
      // not make the browser pop up its own Basic login dialog.
      const challenge = request.headers['x-csrf-token'] !== undefined ? 'Bearer realm="sanbox"' : challengeFor(schemes);
      return reply.code(401).header('WWW-Authenticate', challenge).send(bodies.unauthorized);
    });
    app.addHook('onClose', async () => this.deps.checker.close());
  }

  private async authenticate(request: FastifyRequest, schemes: readonly AuthScheme[]): Promise<Verdict> {
    const presented = extractCredentials(request.headers, schemes);
    if (!presented) {
      const session = schemes.includes('console-session') ? (this.deps.consoleSession?.(request) ?? null) : null;
      // Nothing presented is no guess: the 401 challenge itself is never throttled.
      return session ? { kind: 'ok', principal: session } : { kind: 'wrong' };
    }
    return this.check(request.ip, presented);
  }

  /**
   * Checks credentials presented some other way than headers (the console's login form)
   * exactly as a request's: the same throttle, cache and password checker.
   */
  async check(address: string, presented: Presented): Promise<Verdict> {
    if (presented.kind === 'token') return this.token(address, presented.token);
    const user = presented.user ?? this.deps.user;
    const admin: Verdict = { kind: 'ok', principal: { kind: 'admin', user } };
    const hash = this.deps.passwordHash();
    const mac = createHmac('sha256', this.cacheKey).update(user).update('\0').update(presented.password).digest('hex');
    if (hash !== null && this.verified.get(mac) === hash) return admin;
    try {
      const matches = await (this.running.get(mac) ?? this.admitted(address, { user, password: presented.password }, hash, mac));
      return matches ? admin : { kind: 'wrong' };
    } catch (err) {
      if (err instanceof ThrottledError) {
        return { kind: 'throttled', retryAfterMs: err.retryAfterMs };
      }
      // No log line of its own: under a flood that would be one per request (the request
      // line already says 503).
      if (err instanceof CheckerBusyError) return { kind: 'busy' };
      throw err;
    }
  }

  /** An API key: a digest compare; a wrong one is a failure the throttle counts (or refuses). */
  private token(address: string, token: string): Verdict {
    const key = this.deps.verifyKey(token);
    if (key) return { kind: 'ok', principal: { kind: 'key', keyId: key.id, name: key.name, tenant: key.tenant } };
    const admission = this.deps.throttle.admit(address);
    if (!admission.admitted) return { kind: 'throttled', retryAfterMs: admission.retryAfterMs };
    admission.ticket.failed();
    return { kind: 'wrong' };
  }

  /** One check, admitted by the throttle and shared by every request presenting the same. */
  private admitted(address: string, presented: { user: string; password: string }, hash: string | null, mac: string): Promise<boolean> {
    const admission = this.deps.throttle.admit(address);
    if (!admission.admitted) return Promise.reject(new ThrottledError(admission.retryAfterMs));
    const { ticket } = admission;
    const check = (async () => {
      try {
        const matches = hash !== null && safeEqual(presented.user, this.deps.user) && (await this.deps.checker.verify(presented.password, hash));
        if (matches) {
          ticket.succeeded();
          this.remember(mac, hash);
        } else {
          ticket.failed();
        }
        return matches;
      } catch (err) {
        ticket.abandoned(); // not checked: counts as nothing
        throw err;
      } finally {
        this.running.delete(mac);
      }
    })();
    this.running.set(mac, check);
    return check;
  }

  private remember(mac: string, hash: string): void {
    if (this.verified.size >= MAX_REMEMBERED) this.verified.clear();
    this.verified.set(mac, hash);
  }
}

class ThrottledError extends Error {
  constructor(readonly retryAfterMs: number) {
    super('throttled');
  }
}

function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

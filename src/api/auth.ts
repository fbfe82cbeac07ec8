/**
 * Authentication for every API route: HTTP Basic (admin user + password) or an
 * `X-Api-Key` header carrying the admin password. Verified credentials are remembered
 * by an HMAC of what was presented, so scrypt runs once per distinct secret, not per
 * request. Failures answer 401 with WWW-Authenticate, slowed down per address.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { verifyPasswordAsync } from './passwords.js';
import { FailureThrottle } from './throttle.js';

export interface AuthDeps {
  user: string;
  /** Reads the current hash (so a changed password takes effect without restart). */
  passwordHash: () => string | null;
  throttle: FailureThrottle;
}

export const WWW_AUTHENTICATE = 'Basic realm="sanbox", charset="UTF-8"';
export const UNAUTHORIZED_BODY = { error_message: 'Authentication credentials were missing or incorrect.' };

export class Authenticator {
  private readonly cacheKey = randomBytes(32);
  private readonly verified = new Map<string, string>();

  constructor(private readonly deps: AuthDeps) {}

  /** True when the request carries valid admin credentials. */
  async check(request: FastifyRequest): Promise<boolean> {
    const presented = this.presented(request);
    if (!presented) return false;
    if (!safeEqual(presented.user, this.deps.user)) return false;
    const hash = this.deps.passwordHash();
    if (!hash) return false;
    const mac = createHmac('sha256', this.cacheKey).update(presented.password).digest('hex');
    if (this.verified.get(mac) === hash) return true;
    if (!(await verifyPasswordAsync(presented.password, hash))) return false;
    if (this.verified.size > 64) this.verified.clear();
    this.verified.set(mac, hash);
    return true;
  }

  private presented(request: FastifyRequest): { user: string; password: string } | null {
    const apiKey = request.headers['x-api-key'];
    if (typeof apiKey === 'string' && apiKey !== '') return { user: this.deps.user, password: apiKey };
    const header = request.headers.authorization;
    if (typeof header !== 'string') return null;
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (!match) return null;
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }

  /** Installs the check on every route of `app`. */
  install(app: FastifyInstance): void {
    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      // An address with recent failures waits before its credentials are even checked,
      // so a guesser gets slower answers and cannot make us hash faster than that.
      const delay = this.deps.throttle.delayFor(request.ip);
      if (delay > 0) {
        request.log.warn({ remoteAddress: request.ip, delayMs: delay }, 'repeated authentication failures');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
      if (await this.check(request)) {
        this.deps.throttle.succeed(request.ip);
        return;
      }
      this.deps.throttle.fail(request.ip);
      reply.code(401).header('WWW-Authenticate', WWW_AUTHENTICATE).header('Vary', 'Accept');
      return reply.send(UNAUTHORIZED_BODY);
    });
  }
}

function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

/**
 * Credential extractors: how each vendor's clients present who they are. A dialect lists
 * the schemes it accepts (route config `authSchemes`, set once per plugin); the
 * authenticator tries them in that order and checks what the first one found.
 *
 * - basic: `Authorization: Basic` (FreeNAS, ONTAP, the share-pool API)
 * - api-key: `X-Api-Key` (sanbox's own; an API key, or the admin password as before keys existed)
 * - subsystem: `X-Subsystem-User` + `X-Subsystem-Password` (Hitachi NAS)
 * - auth-token: `X-Auth-Token` (OpenStack Ironic, a Keystone token: here an API key)
 * - bearer: `Authorization: Bearer` (an API key)
 * - apikey-header: `ApiKey: <key>` (the share-pool platform's header; an API key)
 * - console-session: the web console's session cookie (api/console), checked by the
 *   authenticator's session check, with the CSRF header on every change
 */
import type { IncomingHttpHeaders } from 'node:http';
import { looksLikeApiKey } from '../../domain/api-keys.js';

export type AuthScheme = 'basic' | 'api-key' | 'subsystem' | 'auth-token' | 'bearer' | 'apikey-header' | 'console-session';

/** A user and password to check against the API users, or a token to check against the API keys. */
export type Presented = { kind: 'password'; user: string | null; password: string } | { kind: 'token'; token: string };

/** The schemes of sanbox's own routes (/api/status, /api/keys, the OpenAPI document). */
export const OWN_SCHEMES: readonly AuthScheme[] = ['basic', 'api-key', 'bearer', 'console-session'];

type Extractor = (headers: IncomingHttpHeaders) => Presented | null;

const EXTRACTORS: Record<AuthScheme, Extractor> = {
  basic(headers) {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(single(headers.authorization) ?? '');
    if (!m) return null;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? null : { kind: 'password', user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  },
  'api-key'(headers) {
    const value = single(headers['x-api-key']);
    if (!value) return null;
    return looksLikeApiKey(value) ? { kind: 'token', token: value } : { kind: 'password', user: null, password: value };
  },
  subsystem(headers) {
    const user = single(headers['x-subsystem-user']);
    const password = single(headers['x-subsystem-password']);
    return user && password ? { kind: 'password', user, password } : null;
  },
  'auth-token'(headers) {
    const token = single(headers['x-auth-token']);
    return token ? { kind: 'token', token } : null;
  },
  bearer(headers) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(single(headers.authorization) ?? '');
    return m ? { kind: 'token', token: m[1]! } : null;
  },
  'apikey-header'(headers) {
    const token = single(headers.apikey)?.trim();
    return token ? { kind: 'token', token } : null;
  },
  // A cookie is no password or token: the authenticator's session check reads it.
  'console-session': () => null,
};

/** The first credential presented in one of `schemes`, or null when none is. */
export function extractCredentials(headers: IncomingHttpHeaders, schemes: readonly AuthScheme[]): Presented | null {
  for (const s of schemes) {
    const found = EXTRACTORS[s](headers);
    if (found) return found;
  }
  return null;
}

/** The challenge a 401 carries: Basic when the route takes it, else Bearer. */
export function challengeFor(schemes: readonly AuthScheme[]): string {
  return schemes.includes('basic') ? 'Basic realm="sanbox", charset="UTF-8"' : 'Bearer realm="sanbox"';
}

/** A header sent once; a repeated header (an array) or an empty one counts as absent. */
function single(v: string | string[] | undefined): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * API keys: named secrets for automation (Ansible, CI, another dialect's token header),
 * created, listed and revoked through sanbox's own /api/keys. A key is shown once, as
 * `sbx_<id>_<secret>`; only the SHA-256 of its 256-bit secret is stored (a random secret
 * of that length needs no slow hash: there is nothing to guess from). A key may be scoped
 * to a tenant; unscoped (null) keys act for the default tenant and, later, for all. Names
 * are unique within a scope.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Tenant } from './entities.js';
import { fail } from './errors.js';
import { text } from './rules.js';

export interface ApiKey {
  id: number;
  uuid: string;
  name: string;
  /** The tenant the key is scoped to, or null: not scoped. */
  tenantId: number | null;
  /** That tenant's uuid (null: not scoped). */
  tenant: string | null;
  secretHash: string;
  createdAt: string;
}

export interface ApiKeyRepository {
  transaction<T>(fn: () => T): T;
  listApiKeys(): ApiKey[];
  getApiKey(id: number): ApiKey | null;
  /** The key of this name in scope `tenantId` (null: among the unscoped keys). */
  apiKeyByName(tenantId: number | null, name: string): ApiKey | null;
  insertApiKey(key: Omit<ApiKey, 'id' | 'tenant'>): number;
  getTenant(id: number): Tenant | null;
  deleteApiKey(id: number): void;
}

const TOKEN = /^sbx_([1-9][0-9]{0,15})_([A-Za-z0-9_-]{43})$/;
const NAME_MAX = 64;

/** Does `text` have the shape of a key (so a header carrying it is a key, not a password)? */
export function looksLikeApiKey(text: string): boolean {
  return TOKEN.test(text);
}

function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export class ApiKeyService {
  constructor(private readonly repo: ApiKeyRepository) {}

  list(): ApiKey[] {
    return this.repo.listApiKeys();
  }

  get(id: number): ApiKey | null {
    return this.repo.getApiKey(id);
  }

  /** A new key; `token` is the only time its secret exists outside the caller. */
  /** `tenantId`: the tenant the key is scoped to; absent or null, unscoped. */
  create(input: { name: unknown; tenantId?: number | null }): { key: ApiKey; token: string } {
    if (typeof input.name !== 'string' || input.name.trim() === '') throw fail('value.required', 'name');
    const name = text('name', input.name, NAME_MAX).trim();
    const secret = randomBytes(32).toString('base64url');
    return this.repo.transaction(() => {
      const tenantId = input.tenantId ?? null;
      const tenant = tenantId === null ? null : this.repo.getTenant(tenantId);
      if (tenantId !== null && !tenant) throw fail('reference.missing', 'tenantId', { entity: 'tenant', id: tenantId });
      if (this.repo.apiKeyByName(tenantId, name)) throw fail('name.taken', 'name', { entity: 'api-key', name });
      const fields = { uuid: randomUUID(), name, tenantId, secretHash: digest(secret), createdAt: new Date().toISOString() };
      const id = this.repo.insertApiKey(fields);
      return { key: { id, ...fields, tenant: tenant?.uuid ?? null }, token: `sbx_${id}_${secret}` };
    });
  }

  /** Revoke: the key stops working at once. False when there is no such key. */
  revoke(id: number): boolean {
    return this.repo.transaction(() => {
      if (!this.repo.getApiKey(id)) return false;
      this.repo.deleteApiKey(id);
      return true;
    });
  }

  /** The key a presented token is, or null (malformed, unknown, revoked or wrong secret). */
  verify(token: string): ApiKey | null {
    const m = TOKEN.exec(token);
    if (!m) return null;
    const key = this.repo.getApiKey(Number(m[1]));
    if (!key) return null;
    const want = Buffer.from(key.secretHash, 'hex');
    const got = Buffer.from(digest(m[2]!), 'hex');
    return want.length === got.length && timingSafeEqual(want, got) ? key : null;
  }
}

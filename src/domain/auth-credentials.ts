/**
 * CHAP credentials. Secrets are stored as given (the target must compute CHAP responses
 * with them) and returned to API clients, which expect them; they never reach a log line
 * or an error message. RFC 7143 asks for at least 96-bit secrets: shorter ones are
 * accepted (the FreeNAS seed uses "secret") with a warning that names no secret.
 */
import { randomUUID } from 'node:crypto';
import type { ListQuery, ListResult } from './repository.js';
import type { AuthCredential } from './entities.js';
import { fail, notFound } from './errors.js';
import type { Mutations } from './mutations.js';
import { intInRange, noControlCharacters, text } from './rules.js';
import { authGroupUsers } from './auth-groups.js';
import { keepTenant, ownerTenant } from './tenants.js';

export interface AuthCredentialInput {
  /** The owner (create only; absent: the default tenant). Auth groups (tags) are per tenant. */
  tenantId?: number;
  tag?: number | null;
  user?: string;
  secret?: string;
  peerUser?: string;
  peerSecret?: string;
}

/** 96 bits = 12 bytes. */
export const MIN_RECOMMENDED_SECRET = 12;
/** CHAP secrets longer than this are refused by common initiators (open-iscsi: 256 bytes). */
const MAX_SECRET = 255;

export class AuthCredentialService {
  constructor(private readonly m: Mutations) {}

  list(query?: ListQuery): ListResult<AuthCredential> {
    return this.m.store.listAuthCredentials(query);
  }

  get(id: number): AuthCredential {
    const cred = this.m.store.getAuthCredential(id);
    if (!cred) throw notFound('auth-credential');
    return cred;
  }

  create(input: AuthCredentialInput): Promise<AuthCredential> {
    return this.m.run(() => {
      const tenantId = ownerTenant(this.m.store, input.tenantId);
      const cred: Omit<AuthCredential, 'id'> = {
        uuid: randomUUID(),
        tenantId,
        tag: input.tag ?? this.m.store.maxAuthTag(tenantId) + 1,
        user: input.user ?? '',
        secret: input.secret ?? '',
        peerUser: input.peerUser ?? '',
        peerSecret: input.peerSecret ?? '',
      };
      this.check(cred);
      const id = this.m.store.insertAuthCredential(cred);
      this.warnWeak({ id, ...cred });
      return { id, ...cred };
    });
  }

  update(id: number, input: AuthCredentialInput): Promise<AuthCredential> {
    return this.m.run(() => {
      const current = this.get(id);
      keepTenant(input.tenantId, current.tenantId);
      const next: AuthCredential = {
        ...current,
        tag: input.tag ?? current.tag,
        user: input.user ?? current.user,
        secret: input.secret ?? current.secret,
        peerUser: input.peerUser ?? current.peerUser,
        peerSecret: input.peerSecret ?? current.peerSecret,
      };
      this.check(next);
      if (next.tag !== current.tag) this.assertNotLastOfUsedGroup(current);
      this.m.store.updateAuthCredential(next);
      this.warnWeak(next);
      return next;
    });
  }

  delete(id: number): Promise<void> {
    return this.m.run(() => {
      const current = this.get(id);
      this.assertNotLastOfUsedGroup(current);
      this.m.store.deleteAuthCredential(id);
    });
  }

  private check(c: Omit<AuthCredential, 'id'>): void {
    intInRange('tag', c.tag, 1, 65535);
    noControlCharacters('user', c.user);
    if (c.user.trim() === '') throw fail('value.required', 'user');
    text('user', c.user, 120);
    if (c.secret === '') throw fail('value.required', 'secret');
    noControlCharacters('secret', c.secret);
    noControlCharacters('peerSecret', c.peerSecret);
    if (c.secret.length > MAX_SECRET) throw fail('chap.secret-too-long', 'secret', { max: MAX_SECRET });
    text('peerUser', c.peerUser, 120);
    if (c.peerSecret.length > MAX_SECRET) throw fail('chap.secret-too-long', 'peerSecret', { max: MAX_SECRET });
    if (c.peerUser !== '' && c.peerSecret === '') throw fail('chap.peer-secret-missing', 'peerSecret');
    if (c.peerSecret !== '' && c.peerSecret === c.secret) {
      throw fail('chap.peer-secret-same', 'peerSecret');
    }
  }

  /** Removing the last credential of a group someone uses would leave CHAP without secrets. */
  private assertNotLastOfUsedGroup(cred: AuthCredential): void {
    if (this.m.store.authCredentialsWithTag(cred.tenantId, cred.tag).length > 1) return;
    const referrers = authGroupUsers(this.m.store, cred.tenantId, cred.tag);
    if (referrers.length) throw fail('reference.in-use', '__all__', { entity: 'auth-group', id: cred.tag, referrers });
  }

  private warnWeak(c: AuthCredential): void {
    for (const [field, value] of [
      ['secret', c.secret],
      ['peerSecret', c.peerSecret],
    ] as const) {
      if (value !== '' && value.length < MIN_RECOMMENDED_SECRET) {
        this.m.log.warn(
          { authCredentialId: c.id, tag: c.tag, field, length: value.length },
          `CHAP ${field} is shorter than ${MIN_RECOMMENDED_SECRET} characters (RFC 7143 asks for at least 96 bits)`,
        );
      }
    }
  }
}

/**
 * Auth groups: CHAP credentials sharing a tag. A target or the discovery setting names a
 * group by tag; the group must exist, and CHAP needs one.
 */
import type { ConfigRepository } from './repository.js';
import type { AuthMethod } from './entities.js';
import { invalid } from './errors.js';
import { DEFAULT_TENANT_ID } from './tenants.js';

/** Auth group `tag` of tenant `tenantId` exists and suits `method`. */
export function assertAuthGroupUsable(
  store: ConfigRepository,
  tenantId: number,
  field: string,
  method: AuthMethod,
  tag: number | null,
): void {
  if (tag === null) {
    if (method === 'CHAP' || method === 'CHAP Mutual') {
      throw invalid(field, `${method} authentication needs an auth group.`);
    }
    return;
  }
  if (!Number.isInteger(tag) || tag < 1) throw invalid(field, 'Enter a whole number of at least 1.');
  const creds = store.authCredentialsWithTag(tenantId, tag);
  if (creds.length === 0) throw invalid(field, `Auth group ${tag} does not exist.`);
  if (method === 'CHAP Mutual' && !creds.some((c) => c.peerUser !== '' && c.peerSecret !== '')) {
    throw invalid(field, `Auth group ${tag} has no peer user and secret for mutual CHAP.`);
  }
}

/**
 * Who refers to tenant `tenantId`'s auth group `tag` (targets, and for the default tenant
 * discovery), as a sentence fragment; null if nobody.
 */
export function authGroupUsers(store: ConfigRepository, tenantId: number, tag: number): string | null {
  const users = store.targetsReferencing(tenantId, 'authGroup', tag).map((t) => `target "${t.name}" (id ${t.id})`);
  for (const g of store.targetGroupsReferencing(tenantId, 'authGroup', tag)) {
    users.push(`target group ${g.id} (target "${store.getTarget(g.targetId)?.name ?? '?'}", id ${g.targetId})`);
  }
  // The global settings are the default tenant's: its auth groups guard discovery.
  const globals = tenantId === DEFAULT_TENANT_ID ? store.getGlobals() : null;
  if (globals?.discoveryAuthGroup === tag) users.push('the global discovery authentication');
  if (globals?.lucAuthGroup === tag) users.push('the global LUC authentication');
  return users.length ? users.join(', ') : null;
}

/**
 * Auth groups: CHAP credentials sharing a tag. A target or the discovery setting names a
 * group by tag; the group must exist, and CHAP needs one.
 */
import type { ConfigRepository, TargetReference } from './repository.js';
import type { AuthMethod } from './entities.js';
import { fail } from './errors.js';
import type { Referrer } from './referrers.js';
import { DEFAULT_TENANT_ID } from './tenants.js';

/** Auth group `tag` of tenant `tenantId` exists and suits `method`. */
export function assertAuthGroupUsable(store: ConfigRepository, tenantId: number, field: string, method: AuthMethod, tag: number | null): void {
  if (tag === null) {
    if (method === 'CHAP' || method === 'CHAP Mutual') {
      throw fail('chap.group-needed', field, { method });
    }
    return;
  }
  if (!Number.isInteger(tag) || tag < 1) throw fail('chap.group-tag-invalid', field);
  const creds = store.authCredentialsWithTag(tenantId, tag);
  if (creds.length === 0) throw fail('reference.missing', field, { entity: 'auth-group', id: tag });
  if (method === 'CHAP Mutual' && !creds.some((c) => c.peerUser !== '' && c.peerSecret !== '')) {
    throw fail('chap.group-without-peer', field, { tag });
  }
}

/** Who refers to tenant `tenantId`'s auth group `tag`: targets, and for the default tenant discovery. */
export function authGroupUsers(store: ConfigRepository, tenantId: number, tag: number): Referrer[] {
  const users = targetReferrers(store, tenantId, 'authGroup', tag);
  // The global settings are the default tenant's: its auth groups guard discovery.
  const globals = tenantId === DEFAULT_TENANT_ID ? store.getGlobals() : null;
  if (globals?.discoveryAuthGroup === tag) users.push({ kind: 'discovery-auth' });
  if (globals?.lucAuthGroup === tag) users.push({ kind: 'luc-auth' });
  return users;
}

/** The tenant's targets and target groups that use a portal group, initiator group or auth group (tag). */
export function targetReferrers(store: ConfigRepository, tenantId: number, kind: TargetReference, id: number): Referrer[] {
  const users: Referrer[] = store.targetsReferencing(tenantId, kind, id).map((t) => ({ kind: 'target', id: t.id, name: t.name }));
  for (const g of store.targetGroupsReferencing(tenantId, kind, id)) {
    users.push({ kind: 'target-group', id: g.id, targetId: g.targetId, targetName: store.getTarget(g.targetId)?.name ?? '?' });
  }
  return users;
}

/**
 * Auth groups: CHAP credentials sharing a tag. A target or the discovery setting names a
 * group by tag; the group must exist, and CHAP needs one.
 */
import type { ConfigRepository, TargetReference } from './repository.js';
import type { AuthMethod } from './entities.js';
import { fail } from './errors.js';
import type { Referrer } from './referrers.js';

export function assertAuthGroupUsable(store: ConfigRepository, field: string, method: AuthMethod, tag: number | null): void {
  if (tag === null) {
    if (method === 'CHAP' || method === 'CHAP Mutual') {
      throw fail('chap.group-needed', field, { method });
    }
    return;
  }
  if (!Number.isInteger(tag) || tag < 1) throw fail('chap.group-tag-invalid', field);
  const creds = store.authCredentialsWithTag(tag);
  if (creds.length === 0) throw fail('reference.missing', field, { entity: 'auth-group', id: tag });
  if (method === 'CHAP Mutual' && !creds.some((c) => c.peerUser !== '' && c.peerSecret !== '')) {
    throw fail('chap.group-without-peer', field, { tag });
  }
}

/** Who refers to auth group `tag` (targets, discovery), as a sentence fragment; null if nobody. */
export function authGroupUsers(store: ConfigRepository, tag: number): Referrer[] {
  const users = targetReferrers(store, 'authGroup', tag);
  const globals = store.getGlobals();
  if (globals?.discoveryAuthGroup === tag) users.push({ kind: 'discovery-auth' });
  if (globals?.lucAuthGroup === tag) users.push({ kind: 'luc-auth' });
  return users;
}

/** The targets and target groups that use a portal group, initiator group or auth group (tag). */
export function targetReferrers(store: ConfigRepository, kind: TargetReference, id: number): Referrer[] {
  const users: Referrer[] = store.targetsReferencing(kind, id).map((t) => ({ kind: 'target', id: t.id, name: t.name }));
  for (const g of store.targetGroupsReferencing(kind, id)) {
    users.push({ kind: 'target-group', id: g.id, targetId: g.targetId, targetName: store.getTarget(g.targetId)?.name ?? '?' });
  }
  return users;
}

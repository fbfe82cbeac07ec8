/**
 * Portal groups. Addresses are configuration: one on an address this host does not have,
 * or on a port already in use, is stored and served; the listener's failure is live
 * state (GET /api/status), not a validation error. Two groups may not claim one address.
 */
import { randomUUID } from 'node:crypto';
import { formatListenAddress, parseListenAddress } from './addresses.js';
import type { ListQuery, ListResult } from './repository.js';
import type { PortalGroup } from './entities.js';
import { putAnnotations, type AnnotationChanges } from './annotations.js';
import { fail, notFound } from './errors.js';
import type { Mutations } from './mutations.js';
import { intInRange, text } from './rules.js';
import { targetReferrers } from './auth-groups.js';
import { keepTenant, ownerTenant } from './tenants.js';

export interface PortalGroupInput {
  /** The owner (create only; absent: the default tenant). */
  tenantId?: number;
  tag?: number | null;
  listen?: string[];
  comment?: string;
  /** Off: its addresses stop listening (default on). */
  enabled?: boolean;
  annotations?: AnnotationChanges;
}

export class PortalGroupService {
  constructor(private readonly m: Mutations) {}

  list(query?: ListQuery): ListResult<PortalGroup> {
    return this.m.store.listPortalGroups(query);
  }

  get(id: number): PortalGroup {
    const group = this.m.store.getPortalGroup(id);
    if (!group) throw notFound('portal-group');
    return group;
  }

  create(input: PortalGroupInput): Promise<PortalGroup> {
    return this.m.run(() => {
      const tenantId = ownerTenant(this.m.store, input.tenantId);
      if (input.listen === undefined) throw fail('value.required', 'listen');
      const group: Omit<PortalGroup, 'id'> = {
        uuid: randomUUID(),
        tenantId,
        tag: input.tag ?? this.m.store.maxPortalTag(tenantId) + 1,
        listen: normaliseListen(input.listen),
        comment: text('comment', input.comment ?? '', 120),
        enabled: input.enabled ?? true,
      };
      this.check(group, null);
      const id = this.m.store.insertPortalGroup(group);
      putAnnotations(this.m.store, group.uuid, input.annotations);
      return { id, ...group };
    });
  }

  update(id: number, input: PortalGroupInput): Promise<PortalGroup> {
    return this.m.run(() => {
      const current = this.get(id);
      keepTenant(input.tenantId, current.tenantId);
      const next: PortalGroup = {
        ...current,
        tag: input.tag ?? current.tag,
        listen: input.listen === undefined ? current.listen : normaliseListen(input.listen),
        comment: input.comment === undefined ? current.comment : text('comment', input.comment, 120),
        enabled: input.enabled ?? current.enabled,
      };
      this.check(next, id);
      this.m.store.updatePortalGroup(next);
      putAnnotations(this.m.store, next.uuid, input.annotations);
      return next;
    });
  }

  delete(id: number): Promise<void> {
    return this.m.run(() => {
      const group = this.get(id);
      const referrers = targetReferrers(this.m.store, group.tenantId, 'portalGroup', id);
      if (referrers.length) throw fail('reference.in-use', '__all__', { entity: 'portal-group', id, referrers });
      this.m.store.deletePortalGroup(id);
    });
  }

  private check(group: Omit<PortalGroup, 'id'>, selfId: number | null): void {
    intInRange('tag', group.tag, 1, 65535);
    const tagOwner = this.m.store.portalGroupByTag(group.tenantId, group.tag);
    if (tagOwner !== null && tagOwner !== selfId) throw fail('tag.taken', 'tag', { entity: 'portal-group', tag: group.tag });
    for (const address of group.listen) {
      const owner = this.m.store.portalGroupListeningOn(address);
      if (owner !== null && owner !== selfId) {
        throw fail('portal.address-taken', 'listen', { address, owner });
      }
    }
  }
}

/** Parses and normalises each "IP:PORT"; refuses an empty list and duplicates within it. */
function normaliseListen(listen: string[]): string[] {
  if (listen.length === 0) throw fail('value.required', 'listen');
  const seen = new Set<string>();
  for (const item of listen) {
    const parsed = typeof item === 'string' ? parseListenAddress(item) : null;
    if (!parsed) {
      throw fail('portal.address-invalid', 'listen', { address: String(item) });
    }
    const address = formatListenAddress(parsed);
    if (seen.has(address)) throw fail('portal.address-repeated', 'listen', { address });
    seen.add(address);
  }
  return [...seen];
}

/**
 * Portal groups. Addresses are configuration: one on an address this host does not have,
 * or on a port already in use, is stored and served; the listener's failure is live
 * state (GET /api/status), not a validation error. Two groups may not claim one address.
 */
import { randomUUID } from 'node:crypto';
import { formatListenAddress, parseListenAddress } from './addresses.js';
import type { ListQuery, ListResult } from './repository.js';
import type { PortalGroup } from './entities.js';
import { conflict, invalid, notFound, referenced } from './errors.js';
import type { Mutations } from './mutations.js';
import { REQUIRED, intInRange, text } from './rules.js';
import { targetGroupUsers } from './target-groups.js';
import { keepTenant, ownerTenant } from './tenants.js';

export interface PortalGroupInput {
  /** The owner (create only; absent: the default tenant). */
  tenantId?: number;
  tag?: number | null;
  listen?: string[];
  comment?: string;
}

export class PortalGroupService {
  constructor(private readonly m: Mutations) {}

  list(query?: ListQuery): ListResult<PortalGroup> {
    return this.m.store.listPortalGroups(query);
  }

  get(id: number): PortalGroup {
    const group = this.m.store.getPortalGroup(id);
    if (!group) throw notFound('portal');
    return group;
  }

  create(input: PortalGroupInput): Promise<PortalGroup> {
    return this.m.run(() => {
      const tenantId = ownerTenant(this.m.store, input.tenantId);
      if (input.listen === undefined) throw invalid('listen', REQUIRED);
      const group: Omit<PortalGroup, 'id'> = {
        uuid: randomUUID(),
        tenantId,
        tag: input.tag ?? this.m.store.maxPortalTag(tenantId) + 1,
        listen: normaliseListen(input.listen),
        comment: text('comment', input.comment ?? '', 120),
      };
      this.check(group, null);
      const id = this.m.store.insertPortalGroup(group);
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
      };
      this.check(next, id);
      this.m.store.updatePortalGroup(next);
      return next;
    });
  }

  delete(id: number): Promise<void> {
    return this.m.run(() => {
      const group = this.get(id);
      const users = [
        ...this.m.store.targetsReferencing(group.tenantId, 'portalGroup', id).map((t) => `target "${t.name}" (id ${t.id})`),
        ...targetGroupUsers(this.m, group.tenantId, 'portalGroup', id),
      ];
      if (users.length) throw referenced('__all__', `Portal ${id} is used by ${users.join(', ')}.`);
      this.m.store.deletePortalGroup(id);
    });
  }

  private check(group: Omit<PortalGroup, 'id'>, selfId: number | null): void {
    intInRange('tag', group.tag, 1, 65535);
    const tagOwner = this.m.store.portalGroupByTag(group.tenantId, group.tag);
    if (tagOwner !== null && tagOwner !== selfId) throw conflict('tag', `Portal group tag ${group.tag} is already in use.`);
    for (const address of group.listen) {
      const owner = this.m.store.portalGroupListeningOn(address);
      if (owner !== null && owner !== selfId) {
        throw conflict('listen', `${address} is already used by portal ${owner}.`);
      }
    }
  }
}

/** Parses and normalises each "IP:PORT"; refuses an empty list and duplicates within it. */
function normaliseListen(listen: string[]): string[] {
  if (listen.length === 0) throw invalid('listen', REQUIRED);
  const seen = new Set<string>();
  for (const item of listen) {
    const parsed = typeof item === 'string' ? parseListenAddress(item) : null;
    if (!parsed) {
      throw invalid('listen', `"${String(item)}" is not a valid IP:PORT (IPv4, [IPv6], port 1-65535).`);
    }
    const address = formatListenAddress(parsed);
    if (seen.has(address)) throw invalid('listen', `${address} is listed twice.`);
    seen.add(address);
  }
  return [...seen];
}

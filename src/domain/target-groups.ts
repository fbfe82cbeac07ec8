/**
 * Target groups (FreeNAS 9.3+): each puts a target on one more portal group, with that
 * group's initiator group and authentication. A target is on a portal group at most once,
 * counting its own (9.2) portal group. Deleting the target deletes its groups.
 */
import { randomUUID } from 'node:crypto';
import type { ListQuery, ListResult } from './repository.js';
import { TARGET_DEFAULTS } from './defaults.js';
import type { TargetGroup } from './entities.js';
import { fail, notFound } from './errors.js';
import type { Mutations } from './mutations.js';
import { checkTargetAccess } from './targets.js';
import { stripUndefined } from './globals-service.js';
import { keepTenant } from './tenants.js';

/** `tenantId`, when given, must be the target's: a group belongs to its target's tenant. */
export type TargetGroupInput = Partial<Omit<TargetGroup, 'id' | 'uuid'>>;

export class TargetGroupService {
  constructor(private readonly m: Mutations) {}

  list(query?: ListQuery): ListResult<TargetGroup> {
    return this.m.store.listTargetGroups(query);
  }

  get(id: number): TargetGroup {
    const group = this.m.store.getTargetGroup(id);
    if (!group) throw notFound('target-group');
    return group;
  }

  create(input: TargetGroupInput): Promise<TargetGroup> {
    return this.m.run(() => {
      if (input.targetId === undefined || input.targetId === null) throw fail('value.required', 'targetId');
      if (input.portalGroupId === undefined || input.portalGroupId === null) throw fail('value.required', 'portalGroupId');
      const group: Omit<TargetGroup, 'id'> = {
        initiatorGroupId: TARGET_DEFAULTS.initiatorGroupId,
        authMethod: 'None',
        authGroup: TARGET_DEFAULTS.authGroup,
        digest: TARGET_DEFAULTS.digest,
        ...stripUndefined(input),
        uuid: randomUUID(),
        tenantId: this.m.store.getTarget(input.targetId)?.tenantId ?? 0,
        targetId: input.targetId,
        portalGroupId: input.portalGroupId,
      };
      this.check(group, null);
      keepTenant(input.tenantId, group.tenantId);
      const id = this.m.store.insertTargetGroup(group);
      return { id, ...group };
    });
  }

  update(id: number, input: TargetGroupInput): Promise<TargetGroup> {
    return this.m.run(() => {
      const current = this.get(id);
      keepTenant(input.tenantId, current.tenantId);
      const next = { ...current, ...stripUndefined(input), id, uuid: current.uuid } as TargetGroup;
      if (input.initiatorGroupId === null) next.initiatorGroupId = null;
      if (input.authGroup === null) next.authGroup = null;
      if (input.targetId === null) throw fail('value.required', 'targetId');
      if (input.portalGroupId === null) throw fail('value.required', 'portalGroupId');
      this.check(next, id);
      this.m.store.updateTargetGroup(next);
      return next;
    });
  }

  delete(id: number): Promise<void> {
    return this.m.run(() => {
      this.get(id);
      this.m.store.deleteTargetGroup(id);
    });
  }

  private check(g: Omit<TargetGroup, 'id'>, selfId: number | null): void {
    if (!Number.isInteger(g.targetId)) throw fail('value.not-integer', 'targetId');
    const target = this.m.store.getTarget(g.targetId);
    // A group stays with its tenant: it may move only to another target of that tenant.
    if (!target || target.tenantId !== g.tenantId) throw fail('reference.missing', 'targetId', { entity: 'target', id: g.targetId });
    checkTargetAccess(this.m.store, g.tenantId, g);
    if (target.portalGroupId === g.portalGroupId) {
      throw fail('target-group.portal-is-targets', 'portalGroupId', { targetName: target.name, targetId: target.id, portalGroupId: g.portalGroupId });
    }
    const twin = this.m.store.targetGroupsOf(g.targetId).find((o) => o.portalGroupId === g.portalGroupId && o.id !== selfId);
    if (twin) {
      throw fail('target-group.portal-repeated', 'portalGroupId', {
        targetName: target.name,
        targetId: target.id,
        portalGroupId: g.portalGroupId,
        targetGroupId: twin.id,
      });
    }
  }
}

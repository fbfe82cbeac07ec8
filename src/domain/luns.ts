/**
 * Target-to-extent mappings. The extent becomes LUN `lun` of the target: the number the
 * client asks for, or the lowest free one (so the first mapping of a target is LUN 0).
 */
import { randomUUID } from 'node:crypto';
import type { ListQuery, ListResult } from './repository.js';
import { MAX_LUN } from './defaults.js';
import type { Lun } from './entities.js';
import { fail, notFound } from './errors.js';
import type { Mutations } from './mutations.js';
import { intInRange } from './rules.js';
import { keepTenant } from './tenants.js';

export interface LunInput {
  /** When given, the target's tenant: a mapping belongs to its target's tenant, and so must its extent. */
  tenantId?: number;
  targetId?: number;
  extentId?: number;
  /** null or absent: the next free number. */
  lun?: number | null;
}

export class LunService {
  constructor(private readonly m: Mutations) {}

  list(query?: ListQuery): ListResult<Lun> {
    return this.m.store.listLuns(query);
  }

  get(id: number): Lun {
    const lun = this.m.store.getLun(id);
    if (!lun) throw notFound('lun');
    return lun;
  }

  create(input: LunInput): Promise<Lun> {
    return this.m.run(() => {
      if (input.targetId === undefined || input.targetId === null) throw fail('value.required', 'targetId');
      if (input.extentId === undefined || input.extentId === null) throw fail('value.required', 'extentId');
      const tenantId = this.checkRefs(input.targetId, input.extentId, null, null);
      keepTenant(input.tenantId, tenantId);
      const explicit = input.lun !== undefined && input.lun !== null;
      const lun: Omit<Lun, 'id'> = {
        uuid: randomUUID(),
        tenantId,
        targetId: input.targetId,
        extentId: input.extentId,
        lun: explicit ? this.checkNumber(input.targetId, input.lun!, null) : this.nextFree(input.targetId),
        autoNumbered: !explicit,
      };
      const id = this.m.store.insertLun(lun);
      return { id, ...lun };
    });
  }

  update(id: number, input: LunInput): Promise<Lun> {
    return this.m.run(() => {
      const current = this.get(id);
      keepTenant(input.tenantId, current.tenantId);
      const next: Lun = {
        ...current,
        targetId: input.targetId ?? current.targetId,
        extentId: input.extentId ?? current.extentId,
      };
      this.checkRefs(next.targetId, next.extentId, id, current.tenantId);
      if (input.lun !== undefined && input.lun !== null) {
        next.lun = this.checkNumber(next.targetId, input.lun, id);
        next.autoNumbered = false;
      } else if (input.lun === null || next.targetId !== current.targetId) {
        // Asked for "next free", or moved to another target: keep the number if it is free there.
        const taken = this.m.store.lunsOfTarget(next.targetId).some((l) => l.lun === next.lun && l.id !== id);
        if (taken || input.lun === null) next.lun = this.nextFree(next.targetId, id);
        if (input.lun === null) next.autoNumbered = true;
        else if (taken && !current.autoNumbered) {
          throw fail('lun.taken', 'lun', { lun: current.lun, targetId: next.targetId });
        }
      }
      this.m.store.updateLun(next);
      return next;
    });
  }

  delete(id: number): Promise<void> {
    return this.m.run(() => {
      this.get(id);
      this.m.store.deleteLun(id);
    });
  }

  /**
   * The target and the extent exist and are one tenant's (`tenantId`'s, when the mapping
   * has one already: it stays with it); returns that tenant.
   */
  private checkRefs(targetId: number, extentId: number, selfId: number | null, tenantId: number | null): number {
    const target = this.m.store.getTarget(targetId);
    if (!target || (tenantId !== null && target.tenantId !== tenantId)) throw fail('reference.missing', 'targetId', { entity: 'target', id: targetId });
    if (this.m.store.getExtent(extentId)?.tenantId !== target.tenantId) throw fail('reference.missing', 'extentId', { entity: 'extent', id: extentId });
    const dup = this.m.store.lunsOfTarget(targetId).find((l) => l.extentId === extentId && l.id !== selfId);
    if (dup) throw fail('lun.extent-mapped', 'extentId', { extentId, targetId, lun: dup.lun });
    return target.tenantId;
  }

  private checkNumber(targetId: number, lun: number, selfId: number | null): number {
    intInRange('lun', lun, 0, MAX_LUN);
    const taken = this.m.store.lunsOfTarget(targetId).find((l) => l.lun === lun && l.id !== selfId);
    if (taken) throw fail('lun.taken', 'lun', { lun, targetId });
    return lun;
  }

  private nextFree(targetId: number, selfId: number | null = null): number {
    const used = new Set(
      this.m.store
        .lunsOfTarget(targetId)
        .filter((l) => l.id !== selfId)
        .map((l) => l.lun),
    );
    for (let n = 0; n <= MAX_LUN; n += 1) if (!used.has(n)) return n;
    throw fail('lun.none-free', 'lun', { targetId, max: MAX_LUN });
  }
}

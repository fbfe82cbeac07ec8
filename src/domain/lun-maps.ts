/**
 * LUN maps (LUN masking, ONTAP's lun-map): which initiator group sees which extent, under
 * which LUN number, on its tenant's tenant-wide target. An extent is mapped to a group
 * once; a number is used once in a group; without a number the group's lowest free one is
 * taken. Both must be the map's tenant's.
 */
import { randomUUID } from 'node:crypto';
import { MAX_LUN } from './defaults.js';
import type { LunMap } from './entities.js';
import { fail, notFound } from './errors.js';
import type { Mutations } from './mutations.js';
import { intInRange } from './rules.js';

export interface LunMapInput {
  tenantId: number;
  extentId: number;
  initiatorGroupId: number;
  lun?: number;
}

export class LunMapService {
  constructor(private readonly m: Mutations) {}

  list(tenantId?: number): LunMap[] {
    return this.m.store.listLunMaps(tenantId);
  }

  get(id: number): LunMap {
    const map = this.m.store.listLunMaps().find((m) => m.id === id);
    if (!map) throw notFound('lun-map');
    return map;
  }

  create(input: LunMapInput): Promise<LunMap> {
    return this.m.run(() => {
      const extent = this.m.store.getExtent(input.extentId);
      if (!extent || extent.tenantId !== input.tenantId) throw fail('reference.missing', 'extentId', { entity: 'extent', id: input.extentId });
      const group = this.m.store.getInitiatorGroup(input.initiatorGroupId);
      if (!group || group.tenantId !== input.tenantId) {
        throw fail('reference.missing', 'initiatorGroupId', { entity: 'initiator-group', id: input.initiatorGroupId });
      }
      const inGroup = this.m.store.listLunMaps(input.tenantId).filter((m) => m.initiatorGroupId === group.id);
      if (inGroup.some((m) => m.extentId === extent.id)) {
        throw fail('lun-map.exists', '__all__', { extentId: extent.id, initiatorGroupId: group.id });
      }
      const used = new Set(inGroup.map((m) => m.lun));
      let lun = input.lun;
      if (lun === undefined) {
        lun = 0;
        while (used.has(lun)) lun++;
      }
      intInRange('lun', lun, 0, MAX_LUN);
      if (used.has(lun)) throw fail('lun-map.number-taken', 'lun', { lun, initiatorGroupId: group.id });
      const map: Omit<LunMap, 'id'> = { uuid: randomUUID(), tenantId: input.tenantId, extentId: extent.id, initiatorGroupId: group.id, lun };
      return { id: this.m.store.insertLunMap(map), ...map };
    });
  }

  delete(id: number): Promise<void> {
    return this.m.run(() => {
      this.get(id);
      this.m.store.deleteLunMap(id);
    });
  }
}

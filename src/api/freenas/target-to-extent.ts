/**
 * FreeNAS `targettoextent` <-> Lun. `iscsi_lunid` (later releases) names the LUN;
 * null or absent takes the next free number, and the field goes out only when the
 * client chose the number (the seed's bodies do not have it).
 */
import type { Lun } from '../../domain/entities.js';
import type { LunInput, LunService } from '../../domain/luns.js';
import type { Resource } from './resource.js';
import { int, intOrNull, pick, type WireField } from '../http/fields.js';

const fields: Record<string, WireField> = {
  iscsi_target: { schema: int('id of the target object'), domain: 'targetId', response: true },
  iscsi_extent: { schema: int('id of the extent object'), domain: 'extentId', response: true },
  iscsi_lunid: { schema: intOrNull('LUN number; null for the next free one'), domain: 'lun', response: true },
  id: { schema: int(), ignored: true, response: true },
};

export function targetToExtentResource(service: LunService): Resource<Lun, LunInput> {
  return {
    path: 'targettoextent',
    title: 'Target to extent: the extent is a LUN of the target',
    fields,
    service,
    toWire: (l) => {
      const wire: Record<string, unknown> = { iscsi_target: l.targetId, iscsi_extent: l.extentId, id: l.id };
      if (l.autoNumbered === false) wire.iscsi_lunid = l.lun;
      return wire;
    },
    fromWire: (body) => {
      const input = pick(body, fields) as LunInput;
      if (body.iscsi_lunid === null) input.lun = null;
      return input;
    },
  };
}

/**
 * FreeNAS 9.3+ `targetgroup` <-> TargetGroup: the target is served on this portal group
 * with this initiator group and authentication. Defaults as FreeNAS's model:
 * authtype None, initialdigest Auto, no initiator group (everyone), no auth group.
 */
import type { TargetGroup } from '../../domain/entities.js';
import type { TargetGroupInput, TargetGroupService } from '../../domain/target-groups.js';
import type { Resource } from './resource.js';
import { int, intOrNull, pick, str, type WireField } from '../http/fields.js';

const fields: Record<string, WireField> = {
  // Nullable in the schema so that null is "required" (a plain integer would coerce it to 0).
  iscsi_target: { schema: intOrNull('id of the target (required)'), domain: 'targetId', response: true },
  iscsi_target_portalgroup: { schema: intOrNull('id of a portal (required)'), domain: 'portalGroupId', response: true },
  iscsi_target_initiatorgroup: {
    schema: intOrNull('id of an authorized initiator; null admits every initiator'),
    domain: 'initiatorGroupId',
    response: true,
  },
  iscsi_target_authgroup: { schema: intOrNull('auth group tag, or null'), domain: 'authGroup', response: true },
  iscsi_target_authtype: { schema: str('None (default), Auto, CHAP, CHAP Mutual'), domain: 'authMethod', response: true },
  iscsi_target_initialdigest: { schema: str('Auto (default), None or CRC32C'), domain: 'digest', response: true },
  id: { schema: int(), ignored: true, response: true },
};

export function targetGroupResource(service: TargetGroupService): Resource<TargetGroup, TargetGroupInput> {
  return {
    path: 'targetgroup',
    title: 'Target group (FreeNAS 9.3+): a portal a target is served on, with who may log in and how',
    fields,
    service,
    toWire: (g) => ({
      id: g.id,
      iscsi_target: g.targetId,
      iscsi_target_portalgroup: g.portalGroupId,
      iscsi_target_initiatorgroup: g.initiatorGroupId,
      iscsi_target_authgroup: g.authGroup,
      iscsi_target_authtype: g.authMethod,
      iscsi_target_initialdigest: g.digest,
    }),
    fromWire: (body) => {
      const input = pick(body, fields) as TargetGroupInput;
      if (body.iscsi_target_initiatorgroup === null) input.initiatorGroupId = null;
      if (body.iscsi_target_authgroup === null) input.authGroup = null;
      return input;
    },
  };
}

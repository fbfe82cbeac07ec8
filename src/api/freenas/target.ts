/**
 * FreeNAS `target` <-> Target. In 9.2 (the seed) a target carries its portal group and
 * access settings; from 9.3 a target is a name and an alias, and `targetgroup` objects
 * put it on portals. Both shapes live side by side: a target with its own portal group
 * answers with every 9.2 field, one without (created by name only) answers with `id`,
 * `iscsi_target_name` and `iscsi_target_alias`, as FreeNAS 9.3 does.
 * Later releases send `iscsi_target_groups` and `iscsi_target_mode`; the first group is
 * the target's own portal group, more than one is refused (use `targetgroup`).
 */
import type { Target } from '../../domain/entities.js';
import type { TargetInput, TargetService } from '../../domain/targets.js';
import { FieldError } from './errors.js';
import type { Resource } from './resource.js';
import { int, intOrNull, pick, str, strOrNull, type WireField } from '../http/fields.js';

const groupSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    iscsi_target_portalgroup: { type: 'integer' },
    iscsi_target_initiatorgroup: { type: ['integer', 'null'] },
    iscsi_target_authtype: { type: 'string' },
    iscsi_target_authgroup: { type: ['integer', 'null'] },
    iscsi_target_initialdigest: { type: 'string' },
    id: { type: 'integer' },
  },
};

const fields: Record<string, WireField> = {
  iscsi_target_logical_blocksize: {
    schema: int('logical block length: 512 (default) or 4096'),
    domain: 'blockSize',
    response: true,
  },
  iscsi_target_portalgroup: {
    schema: intOrNull('id of a portal group (FreeNAS 9.2); absent or null: served through target groups only'),
    domain: 'portalGroupId',
    response: true,
  },
  iscsi_target_initialdigest: { schema: str('Auto, None or CRC32C'), domain: 'digest', response: true },
  iscsi_target_queue_depth: { schema: int('0=disabled, 1-255 command queuing depth'), domain: 'queueDepth', response: true },
  iscsi_target_name: {
    schema: str('base name is prepended when it does not start with iqn./eui./naa.'),
    domain: 'name',
    response: true,
  },
  iscsi_target_initiatorgroup: { schema: intOrNull('id of an initiator group'), domain: 'initiatorGroupId', response: true },
  iscsi_target_alias: { schema: strOrNull('optional user-friendly string'), domain: 'alias', response: true },
  iscsi_target_type: { schema: { type: 'string', enum: ['Disk'] }, domain: 'type', response: true },
  iscsi_target_authgroup: { schema: intOrNull('auth group tag'), domain: 'authGroup', response: true },
  iscsi_target_authtype: { schema: str('None, Auto, CHAP, CHAP Mutual'), domain: 'authMethod', response: true },
  iscsi_target_serial: { schema: str('serial number; generated when absent'), domain: 'serial', response: true },
  iscsi_target_flags: { schema: { type: 'string', enum: ['rw', 'ro'] }, domain: 'readOnly', response: true },
  iscsi_target_mode: { schema: { type: 'string', enum: ['iscsi'], description: 'FreeNAS 9.3+: only iscsi' } },
  iscsi_target_groups: { schema: { type: 'array', items: groupSchema, maxItems: 1 }, domain: 'groups' },
  id: { schema: int(), ignored: true, response: true },
};

export function targetResource(service: TargetService): Resource<Target, TargetInput> {
  return {
    path: 'target',
    title: 'Target: an iSCSI target name and its access settings',
    fields,
    service,
    toWire,
    fromWire: (body) => {
      const input = pick(body, fields) as TargetInput & { groups?: Record<string, unknown>[] };
      if (body.iscsi_target_flags !== undefined) input.readOnly = body.iscsi_target_flags === 'ro';
      if (body.iscsi_target_portalgroup === null) input.portalGroupId = null;
      const groups = input.groups;
      delete input.groups;
      const group = groups?.[0];
      if (group) {
        for (const [wire, domain] of GROUP_FIELDS) {
          if (group[wire] === undefined) continue;
          if (body[wire] !== undefined && body[wire] !== group[wire]) {
            throw new FieldError('iscsi_target_groups', `${wire} is given twice with different values.`);
          }
          (input as Record<string, unknown>)[domain] = group[wire];
        }
      }
      return input;
    },
  };
}

const GROUP_FIELDS: [string, string][] = [
  ['iscsi_target_portalgroup', 'portalGroupId'],
  ['iscsi_target_initiatorgroup', 'initiatorGroupId'],
  ['iscsi_target_authtype', 'authMethod'],
  ['iscsi_target_authgroup', 'authGroup'],
  ['iscsi_target_initialdigest', 'digest'],
];

function toWire(t: Target): Record<string, unknown> {
  // Created by name only (9.3+): FreeNAS 9.3's target has nothing else.
  if (t.portalGroupId === null) return { iscsi_target_name: t.name, iscsi_target_alias: t.alias, id: t.id };
  return {
    iscsi_target_logical_blocksize: t.blockSize,
    iscsi_target_portalgroup: t.portalGroupId,
    iscsi_target_initialdigest: t.digest,
    iscsi_target_queue_depth: t.queueDepth,
    iscsi_target_name: t.name,
    iscsi_target_initiatorgroup: t.initiatorGroupId,
    iscsi_target_alias: t.alias,
    iscsi_target_type: t.type,
    iscsi_target_authgroup: t.authGroup,
    iscsi_target_authtype: t.authMethod,
    iscsi_target_serial: t.serial,
    iscsi_target_flags: t.readOnly ? 'ro' : 'rw',
    id: t.id,
  };
}

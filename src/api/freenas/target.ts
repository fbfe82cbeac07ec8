/**
 * FreeNAS `target` <-> Target. Later releases send `iscsi_target_groups` (a list of
 * portal/initiator/auth groups) and `iscsi_target_mode`; the first group is honoured,
 * more than one is refused (a target here has one portal group).
 */
import type { Target } from '../../domain/entities.js';
import { invalid } from '../../domain/errors.js';
import type { TargetInput, TargetService } from '../../domain/targets.js';
import { int, intOrNull, pick, str, strOrNull, type Resource, type WireField } from './resource.js';

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
  iscsi_target_portalgroup: { schema: int('id of a portal group'), domain: 'portalGroupId', response: true },
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
    toWire: (t) => ({
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
    }),
    fromWire: (body) => {
      const input = pick(body, fields) as TargetInput & { groups?: Record<string, unknown>[] };
      if (body.iscsi_target_flags !== undefined) input.readOnly = body.iscsi_target_flags === 'ro';
      const groups = input.groups;
      delete input.groups;
      const group = groups?.[0];
      if (group) {
        for (const [wire, domain] of GROUP_FIELDS) {
          if (group[wire] === undefined) continue;
          if (body[wire] !== undefined && body[wire] !== group[wire]) {
            throw invalid('groups', `${wire} is given twice with different values.`);
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

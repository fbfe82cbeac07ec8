/** FreeNAS `authorizedinitiator` <-> InitiatorGroup. Lists go out one entry per line. */
import type { InitiatorGroup } from '../../domain/entities.js';
import type { InitiatorGroupInput, InitiatorGroupService } from '../../domain/initiator-groups.js';
import type { Resource } from './resource.js';
import { int, intOrNull, pick, str, type WireField } from '../http/fields.js';

const textOrList = (description: string) => ({
  anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
  description,
});

const fields: Record<string, WireField> = {
  iscsi_target_initiator_initiators: {
    schema: textOrList('ALL, or iqn./eui./naa. names separated by spaces, commas or newlines'),
    domain: 'initiators',
    response: true,
  },
  iscsi_target_initiator_comment: { schema: str('description for your reference'), domain: 'comment', response: true },
  iscsi_target_initiator_auth_network: {
    schema: textOrList('ALL, or IP addresses / CIDR networks'),
    domain: 'networks',
    response: true,
  },
  iscsi_target_initiator_tag: { schema: intOrNull('group tag; assigned (highest + 1) when absent'), domain: 'tag', response: true },
  id: { schema: int(), ignored: true, response: true },
};

export function authorizedInitiatorResource(service: InitiatorGroupService): Resource<InitiatorGroup, InitiatorGroupInput> {
  return {
    path: 'authorizedinitiator',
    title: 'Authorized initiator: which initiators, from which networks',
    fields,
    service,
    toWire: (g) => ({
      iscsi_target_initiator_initiators: g.initiators.join('\n'),
      iscsi_target_initiator_comment: g.comment,
      iscsi_target_initiator_auth_network: g.networks.join('\n'),
      id: g.id,
      iscsi_target_initiator_tag: g.tag,
    }),
    fromWire: (body) => pick(body, fields) as InitiatorGroupInput,
  };
}

/** FreeNAS `portal` <-> PortalGroup. */
import type { PortalGroup } from '../../domain/entities.js';
import type { PortalGroupInput, PortalGroupService } from '../../domain/portal-groups.js';
import type { Resource } from './resource.js';
import { int, intOrNull, pick, str, type WireField } from '../http/fields.js';

const fields: Record<string, WireField> = {
  iscsi_target_portal_tag: { schema: intOrNull('portal group tag; assigned (highest + 1) when absent'), domain: 'tag', response: true },
  iscsi_target_portal_ips: {
    schema: { type: 'array', items: { type: 'string' }, description: 'IP:PORT to listen to' },
    domain: 'listen',
    response: true,
  },
  iscsi_target_portal_comment: { schema: str('user description'), domain: 'comment', response: true },
  // FreeNAS 9.3+ moved discovery auth onto portals; sanbox keeps it global.
  iscsi_target_portal_discoveryauthmethod: { schema: str(), ignored: true },
  iscsi_target_portal_discoveryauthgroup: { schema: intOrNull(), ignored: true },
  id: { schema: int(), ignored: true, response: true },
};

export function portalResource(service: PortalGroupService): Resource<PortalGroup, PortalGroupInput> {
  return {
    path: 'portal',
    title: 'Portal: IPs and ports the target listens on',
    fields,
    service,
    toWire: (p) => ({
      iscsi_target_portal_tag: p.tag,
      id: p.id,
      iscsi_target_portal_ips: p.listen,
      iscsi_target_portal_comment: p.comment,
    }),
    fromWire: (body) => pick(body, fields) as PortalGroupInput,
  };
}

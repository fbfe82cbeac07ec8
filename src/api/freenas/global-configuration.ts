/** FreeNAS `globalconfiguration` <-> GlobalSettings (a singleton, id 1). */
import type { GlobalSettings } from '../../domain/entities.js';
import type { GlobalsPatch } from '../../domain/globals-service.js';
import { bool, int, intOrNull, pick, str, type WireField } from '../http/fields.js';

export const GLOBALS_ID = 1;

export const globalFields: Record<string, WireField> = {
  iscsi_basename: { schema: str('base name (iqn.yyyy-mm.reversed.domain)'), domain: 'basename', response: true },
  iscsi_discoveryauthmethod: { schema: str('None, Auto, CHAP, CHAP Mutual'), domain: 'discoveryAuthMethod', response: true },
  iscsi_discoveryauthgroup: { schema: intOrNull('auth group tag'), domain: 'discoveryAuthGroup', response: true },
  iscsi_iotimeout: { schema: int('I/O timeout in seconds'), domain: 'ioTimeoutSec', response: true },
  iscsi_nopinint: { schema: int('NOP-In interval in seconds'), domain: 'nopInIntervalSec', response: true },
  iscsi_maxsesh: { schema: int('maximum number of sessions'), domain: 'maxSessions', response: true },
  iscsi_maxconnect: { schema: int('maximum connections per session'), domain: 'maxConnections', response: true },
  iscsi_r2t: { schema: int('pre-send R2Ts per connection'), domain: 'maxPreSendR2T', response: true },
  iscsi_maxoutstandingr2t: { schema: int('MaxOutstandingR2T'), domain: 'maxOutstandingR2T', response: true },
  iscsi_firstburst: { schema: int('FirstBurstLength'), domain: 'firstBurstLength', response: true },
  iscsi_maxburst: { schema: int('MaxBurstLength'), domain: 'maxBurstLength', response: true },
  iscsi_maxrecdata: { schema: int('MaxRecvDataSegmentLength'), domain: 'maxRecvDataSegmentLength', response: true },
  iscsi_defaultt2w: { schema: int('DefaultTime2Wait'), domain: 'defaultTime2Wait', response: true },
  iscsi_defaultt2r: { schema: int('DefaultTime2Retain'), domain: 'defaultTime2Retain', response: true },
  iscsi_toggleluc: { schema: bool('enable LUC (stored, not served)'), domain: 'lucEnabled', response: true },
  iscsi_lucip: { schema: str('controller IP address'), domain: 'lucIp', response: true },
  iscsi_lucport: { schema: int('controller TCP port'), domain: 'lucPort', response: true },
  iscsi_luc_authnetwork: { schema: str('controller authorized network'), domain: 'lucAuthNetwork', response: true },
  iscsi_luc_authmethod: { schema: str('None, Auto, CHAP, CHAP Mutual'), domain: 'lucAuthMethod', response: true },
  iscsi_luc_authgroup: { schema: intOrNull('auth group tag'), domain: 'lucAuthGroup', response: true },
  // Later releases (9.3+): accepted, no effect here.
  iscsi_isns_servers: { schema: str(), ignored: true },
  iscsi_pool_avail_threshold: { schema: intOrNull(), ignored: true },
  iscsi_alua: { schema: bool(), ignored: true },
  id: { schema: int(), ignored: true, response: true },
};

export function globalsToWire(g: GlobalSettings): Record<string, unknown> {
  const wire: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(globalFields)) {
    if (field.domain) wire[name] = g[field.domain as keyof GlobalSettings];
  }
  wire.id = GLOBALS_ID;
  return wire;
}

export function globalsFromWire(body: Record<string, unknown>): GlobalsPatch {
  return pick(body, globalFields) as GlobalsPatch;
}

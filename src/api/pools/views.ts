/**
 * Pools as the share-pool API shows them: the seed's capitalised field names, figures
 * measured now, the password never in clear ("" when none was given, "******" when one
 * was), and the site's uuids beside each pool.
 */
import type { MeasuredPool } from '../../domain/pools.js';
import type { SiteIdentity } from '../../domain/site.js';
import { TYPE_NUMBERS } from './types.js';

const HEALTH: Record<string, string> = { healthy: 'healthy', degraded: 'degraded', offline: 'offline' };

export function poolView(m: MeasuredPool, site: SiteIdentity): Record<string, unknown> {
  const p = m.pool;
  return {
    UUID: p.uuid,
    Name: p.name,
    Type: TYPE_NUMBERS[p.type],
    NamespaceUUID: '',
    ZoneUUID: p.zoneUuid,
    ZoneName: site.zoneName,
    MachineUUID: site.machineUuid,
    IP: p.ip,
    Port: p.port,
    Source: p.source,
    Username: p.username,
    Password: p.password === '' ? '' : '******',
    Ctime: p.createdAt,
    Mtime: p.modifiedAt,
    VolumeTotalCount: m.extentCount,
    AvailHosts: p.availHosts.length ? p.availHosts : null,
    Volumes: null,
    Capacity: m.figures.capacityBytes,
    ShareNsUUIDs: null,
    Used: m.figures.usedBytes,
    Attr: { ...p.attributes },
    ShareNsNames: null,
    Status: HEALTH[m.figures.health],
    AllocatedCapacity: m.allocatedBytes,
    LimitHost: p.limitHost,
  };
}

/** The cluster part of an answer: this one cluster, in "single" mode as the seed leaves it empty. */
export function clusterFields(site: SiteIdentity): { cluster_uuid: string; cluster_name: string; cluster_mode: string } {
  return { cluster_uuid: site.clusterUuid, cluster_name: site.clusterName, cluster_mode: '' };
}

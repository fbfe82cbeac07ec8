/**
 * sanbox's own place in the share-pool API's world: one cluster, one zone ("default") and
 * one machine, each with a uuid made at the first start and kept in the store, so clients
 * that remember them find them again after a restart. GET /api/status shows them.
 */
import { fail } from './errors.js';

export interface SiteIdentity {
  clusterUuid: string;
  clusterName: string;
  zoneUuid: string;
  zoneName: string;
  machineUuid: string;
}

export interface SiteRepository {
  /** Made (and stored) on first call. */
  siteIdentity(): SiteIdentity;
}

export class SiteService {
  constructor(private readonly repo: SiteRepository) {}

  identity(): SiteIdentity {
    return this.repo.siteIdentity();
  }

  /** A request's cluster_uuid must be this cluster's. */
  assertCluster(field: string, uuid: unknown): void {
    if (uuid === undefined || uuid === null || uuid === '') throw fail('value.required', field);
    if (uuid !== this.identity().clusterUuid) throw fail('site.cluster-unknown', field, { uuid: String(uuid) });
  }

  assertZone(field: string, uuid: unknown): void {
    if (uuid === undefined || uuid === null || uuid === '') throw fail('value.required', field);
    if (uuid !== this.identity().zoneUuid) throw fail('site.zone-unknown', field, { uuid: String(uuid) });
  }
}

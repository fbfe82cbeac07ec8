/** All domain services over one store, wired once by the composition root. */
import type { ConfigRepository } from './repository.js';
import { ApiKeyService, type ApiKeyRepository } from './api-keys.js';
import { AuthCredentialService } from './auth-credentials.js';
import type { ImageJournal } from './extent-files.js';
import { ExtentService } from './extents.js';
import { type JobRepository, type JobRunner, JobService } from './jobs.js';
import { GlobalsService } from './globals-service.js';
import { InitiatorGroupService } from './initiator-groups.js';
import { LunService } from './luns.js';
import { Mutations, type DomainLog } from './mutations.js';
import { PortalGroupService } from './portal-groups.js';
import type { ArrayLinks, ConfigApplier, DeviceLinks, PoolStorage, RbdLinks } from './ports.js';
import { TargetService } from './targets.js';
import { TargetGroupService } from './target-groups.js';
import { ServiceSwitch } from './service-switch.js';
import { TenantService } from './tenants.js';
import { PoolService, type PoolRepository } from './pools.js';
import { SiteService, type SiteRepository } from './site.js';
import { Annotations } from './annotations.js';
import { IscsiServices } from './iscsi-services.js';
import { LunMapService } from './lun-maps.js';
import { VolumeService } from './volumes.js';
import { TargetAccessService } from './target-access.js';
import { NodeExports } from './node-exports.js';
import { type BareMetalRepository, NodeService } from './nodes.js';
import { VolumeConnectorService, VolumeTargetService } from './volume-attachments.js';

export interface DomainServices {
  mutations: Mutations;
  tenants: TenantService;
  globals: GlobalsService;
  portalGroups: PortalGroupService;
  initiatorGroups: InitiatorGroupService;
  authCredentials: AuthCredentialService;
  targets: TargetService;
  extents: ExtentService;
  luns: LunService;
  apiKeys: ApiKeyService;
  targetGroups: TargetGroupService;
  serviceSwitch: ServiceSwitch;
  pools: PoolService;
  site: SiteService;
  iscsiServices: IscsiServices;
  volumes: VolumeService;
  lunMaps: LunMapService;
  annotations: Annotations;
  targetAccess: TargetAccessService;
  nodes: NodeService;
  volumeConnectors: VolumeConnectorService;
  volumeTargets: VolumeTargetService;
  jobs: JobService;
}

/**
 * `storage`: the host's storage, which measures pools and says what pool types it can make;
 * `iscsiRunning`: whether the data plane serves a tenant's iSCSI targets now (absent: as switched);
 * `arrays`: the data plane's sessions to the arrays behind iscsi pools (absent: none served);
 * `devices`: the block devices it keeps open behind device pools (absent: none served);
 * `exportListen`: where exports to bare-metal nodes listen until an export portal group exists;
 * `jobRunner`: what moves the bytes of jobs (absent: every job fails, saying so);
 * `imageJournal`: where images being made are recorded until committed (absent: not recorded).
 * `rbd`: the data plane's cluster connections behind rbd pools (absent: none served).
 */
export function createDomainServices(
  store: ConfigRepository & ApiKeyRepository & PoolRepository & SiteRepository & { readonly bareMetal: BareMetalRepository; readonly jobs: JobRepository },
  applier: ConfigApplier,
  log: DomainLog,
  storage: PoolStorage,
  iscsiRunning: ((tenantId: number) => boolean) | null = null,
  arrays: ArrayLinks | null = null,
  devices: DeviceLinks | null = null,
  exportListen = '127.0.0.1:3260',
  jobRunner: JobRunner = NO_JOB_RUNNER,
  imageJournal: ImageJournal | null = null,
  rbd: RbdLinks | null = null,
): DomainServices {
  const mutations = new Mutations(store, applier, log);
  const bm = store.bareMetal;
  const exports = new NodeExports(mutations, bm, exportListen);
  const site = new SiteService(store);
  const pools = new PoolService(mutations, store, storage, site, arrays, devices, undefined, rbd);
  const targets = new TargetService(mutations);
  const extents = new ExtentService(mutations, pools, imageJournal);
  return {
    pools,
    site,
    mutations,
    tenants: new TenantService(mutations),
    globals: new GlobalsService(mutations),
    portalGroups: new PortalGroupService(mutations),
    initiatorGroups: new InitiatorGroupService(mutations),
    authCredentials: new AuthCredentialService(mutations),
    targets,
    iscsiServices: new IscsiServices(mutations, targets),
    volumes: new VolumeService(mutations),
    lunMaps: new LunMapService(mutations),
    annotations: new Annotations(store),
    targetAccess: new TargetAccessService(mutations, targets),
    nodes: new NodeService(mutations, bm, exports),
    volumeConnectors: new VolumeConnectorService(mutations, bm, exports),
    volumeTargets: new VolumeTargetService(mutations, bm, exports),
    extents,
    jobs: new JobService(store.jobs, store, extents, pools, jobRunner, log),
    luns: new LunService(mutations),
    apiKeys: new ApiKeyService(store),
    targetGroups: new TargetGroupService(mutations),
    serviceSwitch: new ServiceSwitch(mutations, iscsiRunning),
  };
}

const noRunner = async (): Promise<never> => {
  throw new Error('this sanbox has no job runner');
};
const NO_JOB_RUNNER: JobRunner = {
  probe: async () => ({ unreadable: 'this sanbox has no job runner' }),
  run: noRunner,
  commit: () => {
    throw new Error('this sanbox has no job runner');
  },
  remove: () => {},
};

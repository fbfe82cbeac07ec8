/**
 * /api/cluster, /api/cluster/nodes and /api/cluster/jobs: sanbox is a one-node cluster.
 * It reports ONTAP 9.15.1, the release from which every client served here uses REST for
 * all of it (Ansible's interface module needs 9.7, its SVM module 9.9.1 to avoid the
 * private CLI, its volume tags 9.13.1; Trident defaults to REST from 9.15.1).
 */
import os from 'node:os';
import type { FastifyInstance } from 'fastify';
import { type Resource, collection, fieldPaths, instance } from './collection.js';
import { CLUSTER_NAME, NODE_NAME, type OntapContext } from './context.js';
import { entryMissing } from './errors.js';
import { SAMPLE_JOB } from './jobs.js';

export const ONTAP_VERSION = { full: 'NetApp Release 9.15.1: sanbox 0.1.0', generation: 9, major: 15, minor: 1 };

export function clusterRoutes(app: FastifyInstance, ctx: OntapContext): void {
  const site = () => ctx.services.site.identity();
  const node = () => ({
    uuid: site().machineUuid,
    name: NODE_NAME,
    model: 'sanbox',
    serial_number: site().machineUuid.replace(/-/g, '').slice(0, 12),
    system_id: site().machineUuid.replace(/-/g, '').slice(0, 10),
    vendor_serial_number: '',
    location: os.hostname(),
    state: 'up',
    membership: 'available',
    uptime: Math.round(process.uptime()),
    version: ONTAP_VERSION,
    cluster_interfaces: [],
    management_interfaces: [],
    ha: { enabled: false },
    _links: { self: { href: `/api/cluster/nodes/${site().machineUuid}` } },
  });
  const cluster = () => ({
    name: CLUSTER_NAME,
    uuid: site().clusterUuid,
    version: ONTAP_VERSION,
    location: '',
    contact: '',
    san_optimized: false,
    _links: { self: { href: '/api/cluster' } },
  });
  const clusterResource: Resource = { path: '/api/cluster', fields: fieldPaths(cluster()), collectionDefaults: [], keys: [], expensive: [] };
  const nodeResource: Resource = {
    path: '/api/cluster/nodes',
    fields: fieldPaths(node(), ['cluster_interfaces.ip.address', 'management_interfaces.ip.address']),
    collectionDefaults: ['uuid', 'name'],
    keys: ['uuid', 'name'],
    expensive: [],
  };
  const jobResource: Resource = { path: '/api/cluster/jobs', fields: fieldPaths(SAMPLE_JOB), collectionDefaults: ['uuid'], keys: ['uuid'], expensive: [] };

  app.get('/cluster', async (request) => instance(request, clusterResource, cluster()));
  app.get('/cluster/nodes', async (request) => collection(request, nodeResource, [node()]));
  app.get<{ Params: { uuid: string } }>('/cluster/nodes/:uuid', async (request) => {
    if (request.params.uuid.toLowerCase() !== site().machineUuid) throw entryMissing('uuid');
    return instance(request, nodeResource, node());
  });
  app.get('/cluster/jobs', async (request) => collection(request, jobResource, ctx.jobs.list()));
  app.get<{ Params: { uuid: string } }>('/cluster/jobs/:uuid', async (request) => {
    const found = ctx.jobs.get(request.params.uuid);
    if (!found) throw entryMissing('uuid');
    return instance(request, jobResource, found);
  });
}

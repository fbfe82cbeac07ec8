/** GET /api/status: sanbox's own live state (listeners, sessions, extents) from the data plane. */
import type { FastifyInstance } from 'fastify';
import type { LiveStatusSource } from '../domain/ports.js';
import type { SiteIdentity } from '../domain/site.js';

const listener = {
  type: 'object',
  properties: {
    address: { type: 'string' },
    portalGroupTag: { type: 'integer' },
    state: { type: 'string', enum: ['listening', 'failed', 'starting'] },
    error: { type: ['string', 'null'] },
  },
};

const extent = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    path: { type: ['string', 'null'] },
    state: { type: 'string', enum: ['online', 'offline'] },
    missing: { type: ['string', 'null'] },
    error: { type: ['string', 'null'] },
    since: { type: ['string', 'null'] },
  },
};

const load = {
  type: 'object',
  description: 'iSCSI limits (README, Reliability) and how much of each is in use',
  properties: {
    connections: { type: 'integer' },
    maxConnections: { type: 'integer' },
    loggingIn: { type: 'integer' },
    maxLoggingIn: { type: 'integer' },
    ioBytes: { type: 'integer' },
    ioBudgetBytes: { type: 'integer' },
    ioWaiting: { type: 'integer' },
  },
};

const site = {
  type: 'object',
  description: "this sanbox's cluster, zone and machine uuids (the share-pool API's cluster_uuid, zone_uuid, hosts) and its tenants",
  properties: {
    clusterUuid: { type: 'string' },
    clusterName: { type: 'string' },
    zoneUuid: { type: 'string' },
    zoneName: { type: 'string' },
    machineUuid: { type: 'string' },
    tenants: { type: 'array', items: { type: 'object', properties: { uuid: { type: 'string' }, name: { type: 'string' } } } },
  },
};

export interface SiteView extends SiteIdentity {
  tenants: Array<{ uuid: string; name: string }>;
}

export async function statusRoutes(app: FastifyInstance, opts: { status: LiveStatusSource; site: () => SiteView }): Promise<void> {
  app.get('/api/status', {
    schema: {
      tags: ['sanbox'],
      summary: 'Live state: listeners (with their errors), sessions, and served extents (offline ones name what is missing)',
      response: {
        200: {
          type: 'object',
          properties: {
            listeners: { type: 'array', items: listener },
            sessions: { type: 'array', items: { type: 'object', additionalProperties: true } },
            extents: { type: 'array', items: extent },
            load,
            site,
          },
        },
      },
    },
    handler: async () => ({ ...opts.status.status(), site: opts.site() }),
  });
}

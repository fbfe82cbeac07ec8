/** GET /api/status: sanbox's own live state (listeners, sessions, extents) from the data plane. */
import type { FastifyInstance } from 'fastify';
import type { LiveStatusSource } from '../domain/ports.js';
import type { SiteIdentity } from '../domain/site.js';
import type { TlsView } from './tls.js';

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

const tls = {
  type: 'object',
  nullable: true,
  description: "the HTTPS listener's certificate (null when HTTPS is not served); check a client's pinned fingerprint against it",
  properties: {
    fingerprintSha256: { type: 'string', description: 'colon-separated hex, as openssl x509 -fingerprint -sha256 prints it' },
    generated: { type: 'boolean', description: 'self-signed by sanbox on its first start (not from SANBOX_TLS_CERT)' },
  },
};

export interface SiteView extends SiteIdentity {
  tenants: Array<{ uuid: string; name: string }>;
}

export async function statusRoutes(app: FastifyInstance, opts: { status: LiveStatusSource; site: () => SiteView; tls: () => TlsView | null }): Promise<void> {
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
            tls,
          },
        },
      },
    },
    handler: async () => ({ ...opts.status.status(), site: opts.site(), tls: opts.tls() }),
  });
}

/**
 * FreeNAS v1.0 as sanbox serves it: two mounts of one dialect, the iSCSI resources under
 * /api/v1.0/services/iscsi and the service switch under /api/v1.0/services/services,
 * each with FreeNAS's credentials (HTTP Basic; X-Api-Key is sanbox's addition), its
 * lenient JSON, its error words and its 404.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DomainServices } from '../../domain/services.js';
import { DEFAULT_TENANT_ID } from '../../domain/tenants.js';
import { defineDialect, type Dialect } from '../http/dialect.js';
import { freenasErrorHandler } from './error-handler.js';
import { notFoundBody } from './errors.js';
import { installLenientJson } from './lenient-json.js';
import { iscsiRoutes } from './routes.js';
import { registerServices } from './services.js';

export const FREENAS_PREFIX = '/api/v1.0/services/iscsi';
export const SERVICES_PREFIX = '/api/v1.0/services/services';

interface FreenasOptions {
  services: DomainServices;
}

const FREENAS = {
  name: 'freenas',
  authSchemes: ['basic', 'api-key', 'console-session'] as const,
  errorHandler: freenasErrorHandler,
  notFound: (request: FastifyRequest, reply: FastifyReply) =>
    reply.code(404).send(notFoundBody(`No route for ${request.method} ${request.url.split('?')[0]}.`)),
  contentTypes: installLenientJson,
};

/** What every FreeNAS route has: the field map for its errors, and Tastypie's Vary. */
function tastypieReplies(app: FastifyInstance, services: DomainServices): void {
  app.decorateRequest('freenasFields', null);
  // FreeNAS serves the default tenant: a key scoped to another tenant may not act here.
  const defaultTenant = services.tenants.get(DEFAULT_TENANT_ID).uuid;
  app.addHook('preValidation', async (request, reply) => {
    const p = request.principal;
    if (p?.kind === 'key' && p.tenant !== null && p.tenant !== defaultTenant) {
      return reply.code(403).send({ error_message: "This API key acts for another tenant; the FreeNAS API serves the default tenant's configuration only." });
    }
  });
  app.addHook('onSend', async (request, reply, payload) => {
    // Tastypie's resources vary by Accept; Django's 404 for a path no resource serves does not.
    if (!request.is404) reply.header('Vary', 'Accept');
    return payload;
  });
}

export const freenasDialects: readonly Dialect<FreenasOptions>[] = [
  defineDialect<FreenasOptions>({
    ...FREENAS,
    prefix: FREENAS_PREFIX,
    routes: (app, { services }) => {
      tastypieReplies(app, services);
      iscsiRoutes(app, services);
    },
  }),
  defineDialect<FreenasOptions>({
    ...FREENAS,
    prefix: SERVICES_PREFIX,
    routes: (app, { services }) => {
      tastypieReplies(app, services);
      registerServices(app, services.serviceSwitch);
    },
  }),
];

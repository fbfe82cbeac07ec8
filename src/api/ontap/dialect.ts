/**
 * NetApp ONTAP's REST API as sanbox serves it: under /api (beside sanbox's own /api/status,
 * /api/keys and FreeNAS's /api/v1.0, which are more specific), HTTP Basic, JSON or HAL
 * JSON, every failure in ONTAP's `{"error": {...}}`. Served on HTTP and HTTPS alike;
 * ONTAP clients use HTTPS.
 */
import type { FastifyInstance } from 'fastify';
import { defineDialect } from '../http/dialect.js';
import { aggregateRoutes } from './aggregates.js';
import { clusterRoutes } from './cluster.js';
import { OntapContext, type OntapOptions } from './context.js';
import { ONTAP_AUTH_REFUSALS, OntapError, ontapErrorHandler } from './errors.js';
import { igroupRoutes } from './igroups.js';
import { interfaceRoutes } from './interfaces.js';
import { iscsiServiceRoutes } from './iscsi-services.js';
import { lunMapRoutes } from './lun-maps.js';
import { lunRoutes } from './luns.js';
import { svmRoutes } from './svms.js';
import { volumeRoutes } from './volumes.js';

export const ONTAP_PREFIX = '/api';

function halJson(app: FastifyInstance): void {
  const strict = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/hal+json', { parseAs: 'string' }, (request, body, done) => {
    if (typeof body === 'string' && body.trim() === '') return done(null, undefined);
    strict(request, body as string, done);
  });
  // A client asking for HAL gets HAL's media type on the same JSON (ONTAP's records carry _links).
  app.addHook('onSend', async (request, reply, payload) => {
    if (String(request.headers.accept ?? '').includes('application/hal+json')) reply.header('content-type', 'application/hal+json; charset=utf-8');
    return payload;
  });
}

export const ontapDialect = defineDialect<OntapOptions>({
  name: 'ontap',
  prefix: ONTAP_PREFIX,
  authSchemes: ['basic'],
  authRefusals: ONTAP_AUTH_REFUSALS,
  errorHandler: ontapErrorHandler,
  notFound: (request, reply) => {
    const e = new OntapError(404, '4', `API not found: ${request.method} ${request.url.split('?')[0]}`);
    return reply.code(404).send(e.body());
  },
  contentTypes: halJson,
  routes: (app, options) => {
    const ctx = new OntapContext(options);
    clusterRoutes(app, ctx);
    svmRoutes(app, ctx);
    iscsiServiceRoutes(app, ctx);
    aggregateRoutes(app, ctx);
    volumeRoutes(app, ctx);
    lunRoutes(app, ctx);
    igroupRoutes(app, ctx);
    lunMapRoutes(app, ctx);
    interfaceRoutes(app, ctx);
  },
});

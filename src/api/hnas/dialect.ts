/**
 * Hitachi NAS's REST API v9 for iSCSI as sanbox serves it: under /v9/storage, with an API
 * key (X-Api-Key), X-Subsystem-User + X-Subsystem-Password, or HTTP Basic; JSON; every
 * failure in the seed's `{errorCode, errorMsg[, errorDetail]}`. A virtual server is a
 * tenant; a key scoped to one sees that server alone.
 */
import { defineDialect } from '../http/dialect.js';
import { HnasContext, type HnasOptions } from './context.js';
import { HNAS_AUTH_REFUSALS, HNAS_CODES, HnasError, hnasErrorHandler } from './errors.js';
import { logicalUnitRoutes } from './logical-units.js';
import { targetRoutes } from './targets.js';
import { virtualServerRoutes } from './virtual-servers.js';

export const HNAS_PREFIX = '/v9/storage';

export const hnasDialect = defineDialect<HnasOptions>({
  name: 'hnas',
  prefix: HNAS_PREFIX,
  authSchemes: ['api-key', 'subsystem', 'basic'],
  authRefusals: HNAS_AUTH_REFUSALS,
  errorHandler: hnasErrorHandler,
  notFound: (request, reply) => {
    const e = new HnasError(404, HNAS_CODES.notFound, 'Cannot find the object of the operation on the device', {
      message: `No such resource: ${request.method} ${request.url.split('?')[0]}`,
      reason: 'The URL names no resource of this API',
    });
    return reply.code(404).send(e.body());
  },
  routes: (app, options) => {
    const ctx = new HnasContext(options);
    virtualServerRoutes(app, ctx);
    targetRoutes(app, ctx);
    logicalUnitRoutes(app, ctx);
  },
});

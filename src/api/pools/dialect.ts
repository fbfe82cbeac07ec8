/**
 * The share-pool API as sanbox serves it: under /v1/pool/share, HTTP Basic or the
 * platform's `ApiKey: <key>` header, strict JSON, every answer (404s and refusals too)
 * in the seed's envelope.
 */
import type { DomainServices } from '../../domain/services.js';
import { defineDialect } from '../http/dialect.js';
import { POOL_AUTH_REFUSALS, poolErrorHandler, sendRequestError } from './errors.js';
import { poolRoutes } from './routes.js';

export const POOLS_PREFIX = '/v1/pool/share';

export const poolDialect = defineDialect<{ services: DomainServices }>({
  name: 'pools',
  prefix: POOLS_PREFIX,
  authSchemes: ['basic', 'apikey-header'],
  authRefusals: POOL_AUTH_REFUSALS,
  errorHandler: poolErrorHandler,
  notFound: (_request, reply) => sendRequestError(reply, 'request.no-route'),
  routes: (app, { services }) => poolRoutes(app, services),
});

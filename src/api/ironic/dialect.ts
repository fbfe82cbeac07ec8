/**
 * OpenStack Ironic's API (nodes and the volume API) as sanbox serves it: /v1, the bookmark
 * roots /nodes and /volume its links point to, and GET / (registered with the server's
 * root routes). HTTP Basic, or X-Auth-Token with an API key; with SANBOX_IRONIC_NOAUTH
 * set, no credentials at all (an operator's choice, as Ironic's `auth_strategy = noauth`).
 * Microversions on every request (versions.ts); errors in Ironic's double-encoded shape.
 */
import type { FastifyInstance } from 'fastify';
import type { AuthScheme } from '../auth/credentials.js';
import { type Dialect, defineDialect } from '../http/dialect.js';
import { IronicContext, type IronicOptions } from './context.js';
import { IRONIC_AUTH_REFUSALS, IronicError, errorBody, ironicErrorHandler } from './errors.js';
import { nodeRoutes } from './nodes.js';
import { rootDocument, v1Document } from './root.js';
import { negotiate } from './versions.js';
import { nodeVolumeRoutes, volumeRoutes } from './volume-resources.js';

const SCHEMES: readonly AuthScheme[] = ['basic', 'auth-token'];

function common(app: FastifyInstance, options: IronicOptions): IronicContext {
  app.decorateRequest('ironicMinor', 1);
  app.addHook('preHandler', async (request, reply) => negotiate(request, reply));
  if (options.noAuth) {
    app.addHook('onRoute', (route) => {
      route.config = { ...route.config, authSchemes: [], publicRoute: true };
    });
  }
  return new IronicContext(options);
}

/** ironicclient sends its DELETEs as an empty application/octet-stream: no body, no refusal. */
function emptyOctetStream(app: FastifyInstance): void {
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) => {
    if ((body as Buffer).length === 0) return done(null, undefined);
    done(new IronicError(415, 'The request media type is not supported: send application/json.'), undefined);
  });
}

function mount(prefix: string, routes: (app: FastifyInstance, ctx: IronicContext) => void, noAuthFlag: boolean): Dialect<IronicOptions> {
  return defineDialect<IronicOptions>({
    name: `ironic${prefix}`,
    prefix,
    authSchemes: noAuthFlag ? [] : SCHEMES,
    authRefusals: IRONIC_AUTH_REFUSALS,
    errorHandler: ironicErrorHandler,
    notFound: (_request, reply) => reply.code(404).send(errorBody(404, 'The resource could not be found.')),
    contentTypes: emptyOctetStream,
    routes: (app, options) => routes(app, common(app, options)),
  });
}

/** The mounts, for the operator's choice of authentication. */
export function ironicDialects(noAuth: boolean): Dialect<IronicOptions>[] {
  return [
    mount(
      '/v1',
      (app, ctx) => {
        app.get('/', { config: { publicRoute: true } }, async (request) => v1Document(request));
        nodeRoutes(app, ctx, '/nodes');
        nodeVolumeRoutes(app, ctx, '/nodes');
        volumeRoutes(app, ctx, '/volume');
      },
      noAuth,
    ),
    mount(
      '/nodes',
      (app, ctx) => {
        nodeRoutes(app, ctx, '');
        nodeVolumeRoutes(app, ctx, '');
      },
      noAuth,
    ),
    mount('/volume', (app, ctx) => volumeRoutes(app, ctx, ''), noAuth),
  ];
}

/** GET /: Ironic's root document, public, with the version headers. */
export function ironicRoot(app: FastifyInstance): void {
  app.get('/', { config: { publicRoute: true, authSchemes: SCHEMES, dialect: 'ironic' } }, async (request, reply) => {
    // A browser at sanbox's root wants the console; Ironic's clients ask for JSON.
    const accept = String(request.headers.accept ?? '');
    if (accept.includes('text/html') && !accept.includes('application/json')) return reply.redirect('/ui/', 302);
    try {
      negotiate(request, reply);
    } catch (err) {
      if (err instanceof IronicError) return reply.code(err.status).send(errorBody(err.status, err.message));
      throw err;
    }
    return rootDocument(request);
  });
}

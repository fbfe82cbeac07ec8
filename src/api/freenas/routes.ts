/**
 * The FreeNAS v1.0 iSCSI dialect, mounted at /api/v1.0/services/iscsi/. Each resource
 * gets list (offset/limit), create, get, update (PUT returns the whole object, 200) and
 * delete (204); globalconfiguration gets GET and PUT. Paths end in a slash as in the
 * seed; the server also accepts them without one.
 */
import type { FastifyInstance, FastifyRequest, HTTPMethods } from 'fastify';
import type { AuthScheme } from '../auth/credentials.js';
import { installLenientJson } from './lenient-json.js';
import { DomainError } from '../../domain/errors.js';
import type { DomainServices } from '../../domain/services.js';
import { authCredentialResource } from './auth-credential.js';
import { authorizedInitiatorResource } from './authorized-initiator.js';
import { freenasErrorHandler, type FreenasRequest } from './error-handler.js';
import { extentResource } from './extent.js';
import { DEFAULT_LIMIT, MAX_LIMIT, parsePage } from './paging.js';
import { GLOBALS_ID, globalFields, globalsFromWire, globalsToWire } from './global-configuration.js';
import { portalResource } from './portal.js';
import type { JsonSchema, Resource, WireField } from './resource.js';
import { targetToExtentResource } from './target-to-extent.js';
import { targetResource } from './target.js';
import { targetGroupResource } from './target-group.js';
import { registerServices } from './services.js';

export const FREENAS_PREFIX = '/api/v1.0/services/iscsi';

// No types here: paging.ts reads offset and limit as Tastypie does, with Tastypie's
// answers, which a schema's coercion and messages would not give.
const PAGE_QUERY = {
  type: 'object',
  properties: {
    offset: { description: 'offset number, a whole number >= 0, default 0' },
    limit: { description: `limit number, a whole number >= 0, default ${DEFAULT_LIMIT}; 0 or more than ${MAX_LIMIT} means ${MAX_LIMIT}` },
    format: { type: 'string', description: 'accepted for Tastypie clients (json only)' },
  },
};
const PAGING_ERROR = { description: "bad offset or limit: Tastypie's {\"error\": \"<message>\"}", type: 'object', properties: { error: { type: 'string' } } };

const FIELD_ERRORS = {
  description: 'invalid input: {"<field>": ["<message>"]}, "__all__" for errors of no single field',
  type: 'object',
  additionalProperties: { type: 'array', items: { type: 'string' } },
};
const NOT_FOUND = { description: 'no such object', type: 'object', properties: { error_message: { type: 'string' } } };

const ID_PARAMS = { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9]+$' } }, required: ['id'] };

const FREENAS_AUTH: readonly AuthScheme[] = ['basic', 'api-key'];

export async function freenasRoutes(app: FastifyInstance, opts: { services: DomainServices }): Promise<void> {
  const { services } = opts;
  installLenientJson(app);
  // FreeNAS clients authenticate with HTTP Basic; X-Api-Key is sanbox's addition.
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, authSchemes: FREENAS_AUTH };
  });
  app.decorateRequest('freenasFields', null);
  app.setErrorHandler(freenasErrorHandler);
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('Vary', 'Accept');
    return payload;
  });

  registerGlobals(app, services);
  // Lists keep their serialized answer while the stored configuration stands still.
  const configVersion = () => services.mutations.version();
  registerCrud(app, portalResource(services.portalGroups), configVersion);
  registerCrud(app, authorizedInitiatorResource(services.initiatorGroups), configVersion);
  registerCrud(app, authCredentialResource(services.authCredentials), configVersion);
  registerCrud(app, targetResource(services.targets), configVersion);
  registerCrud(app, extentResource(services.extents), configVersion);
  registerCrud(app, targetToExtentResource(services.luns), configVersion);
  registerCrud(app, targetGroupResource(services.targetGroups), configVersion);
  registerServices(app, services.serviceSwitch);
}

const JSON_TYPE = 'application/json; charset=utf-8';


function bodySchema(fields: Record<string, WireField>): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [name, f] of Object.entries(fields)) properties[name] = f.schema;
  return { type: 'object', additionalProperties: false, properties };
}

/** Response schema: every field that can go out; nullable where the wire may send null. */
function responseSchema(fields: Record<string, WireField>): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [name, f] of Object.entries(fields)) {
    if (!f.response) continue;
    const { type, items, anyOf } = f.schema as { type?: unknown; items?: unknown; anyOf?: unknown };
    properties[name] = anyOf ? { type: 'string' } : { ...(type ? { type } : {}), ...(items ? { items } : {}) };
  }
  return { type: 'object', properties };
}

function withFields(fields: Record<string, WireField>) {
  return async (request: FastifyRequest) => {
    (request as FreenasRequest).freenasFields = fields;
  };
}

function parseId(params: unknown): number {
  return Number((params as { id: string }).id);
}

/** Tastypie answers a method a resource does not allow with 405 and an Allow header. */
function methodNotAllowed(app: FastifyInstance, url: string, methods: HTTPMethods[], allowed: string): void {
  app.route({
    method: methods,
    url,
    schema: { hide: true },
    handler: async (_request, reply) => reply.code(405).header('Allow', allowed).send(),
  });
}

/**
 * `version` changes whenever a list may answer differently (-1: unknown, don't keep):
 * while it stands still, a list route answers its last serialized page again.
 */
function registerCrud<E extends { id: number }, I>(app: FastifyInstance, r: Resource<E, I>, version: () => number): void {
  const base = `${FREENAS_PREFIX}/${r.path}/`;
  const item = `${FREENAS_PREFIX}/${r.path}/:id/`;
  methodNotAllowed(app, base, ['PUT', 'DELETE', 'PATCH'], 'GET, POST');
  methodNotAllowed(app, item, ['POST', 'PATCH'], 'GET, PUT, DELETE');
  const body = bodySchema(r.fields);
  const one = responseSchema(r.fields);
  const tags = [`freenas: ${r.path}`];
  const onRequest = withFields(r.fields);
  let listCache: { version: number; key: string; body: Buffer } | null = null;

  app.get(base, {
    onRequest,
    schema: { tags, summary: `List ${r.path}`, description: r.title, querystring: PAGE_QUERY, response: { 200: { type: 'array', items: one }, 400: PAGING_ERROR } },
    handler: async (request, reply) => {
      const page = parsePage(request.query);
      const current = version();
      // FreeNAS sees the default tenant only.
      const list = () => r.service.list({ offset: page.offset, limit: page.limit, tenantId: 1 }).items;
      if (current < 0) return list().map(r.toWire);
      // The last answer, serialized, while the configuration has not changed: a list of
      // 500 targets cost ~1 ms of toWire + schema serialization + Content-Length over a
      // 189 KB rope string per request (profile: Buffer.byteLength 27% of the route).
      const key = `${page.offset}:${page.limit}`;
      const c = listCache;
      if (c && c.version === current && c.key === key) return reply.type(JSON_TYPE).send(c.body);
      const body = Buffer.from(reply.serialize(list().map(r.toWire)) as string);
      listCache = { version: current, key, body };
      return reply.type(JSON_TYPE).send(body);
    },
  });
  app.post(base, {
    onRequest,
    schema: { tags, summary: `Create ${r.path}`, body, response: { 201: one, 400: FIELD_ERRORS } },
    handler: async (request, reply) => {
      const created = await r.service.create(r.fromWire(asObject(request.body)));
      return reply.code(201).send(r.toWire(created));
    },
  });
  app.get(item, {
    onRequest,
    schema: { tags, summary: `Get ${r.path}`, params: ID_PARAMS, response: { 200: one, 404: NOT_FOUND } },
    handler: async (request) => r.toWire(r.service.get(parseId(request.params))),
  });
  app.put(item, {
    onRequest,
    // A missing object is a 404 whatever the body says.
    preValidation: async (request) => void r.service.get(parseId(request.params)),
    schema: { tags, summary: `Update ${r.path}`, params: ID_PARAMS, body, response: { 200: one, 400: FIELD_ERRORS, 404: NOT_FOUND } },
    handler: async (request) => {
      const id = parseId(request.params);
      return r.toWire(await r.service.update(id, r.fromWire(asObject(request.body))));
    },
  });
  app.delete(item, {
    onRequest,
    schema: { tags, summary: `Delete ${r.path}`, params: ID_PARAMS, response: { 204: { type: 'null', description: 'deleted' }, 400: FIELD_ERRORS, 404: NOT_FOUND } },
    handler: async (request, reply) => {
      await r.service.delete(parseId(request.params));
      return reply.code(204).send();
    },
  });
}

function registerGlobals(app: FastifyInstance, services: DomainServices): void {
  const base = `${FREENAS_PREFIX}/globalconfiguration/`;
  const item = `${FREENAS_PREFIX}/globalconfiguration/:id/`;
  const body = bodySchema(globalFields);
  const one = responseSchema(globalFields);
  const tags = ['freenas: globalconfiguration'];
  const onRequest = withFields(globalFields);
  const get = async () => globalsToWire(services.globals.get());
  const put = async (request: FastifyRequest) => globalsToWire(await services.globals.update(globalsFromWire(asObject(request.body))));
  methodNotAllowed(app, base, ['POST', 'DELETE', 'PATCH'], 'GET, PUT');
  methodNotAllowed(app, item, ['POST', 'DELETE', 'PATCH'], 'GET, PUT');
  const checkId = async (request: FastifyRequest) => {
    if (parseId(request.params) !== GLOBALS_ID) throw new DomainError('not_found', '__all__', 'No such global configuration.');
  };

  app.get(base, { onRequest, schema: { tags, summary: 'Get the global configuration', response: { 200: one } }, handler: get });
  app.put(base, { onRequest, schema: { tags, summary: 'Update the global configuration', body, response: { 200: one, 400: FIELD_ERRORS } }, handler: put });
  // Later FreeNAS clients address the singleton by id.
  app.get(item, { onRequest, preHandler: checkId, schema: { tags, params: ID_PARAMS, response: { 200: one } }, handler: get });
  app.put(item, { onRequest, preHandler: checkId, schema: { tags, params: ID_PARAMS, body, response: { 200: one } }, handler: put });
}

/** A PUT or POST without a body counts as {}. */
function asObject(body: unknown): Record<string, unknown> {
  return body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
}

/**
 * The FreeNAS v1.0 iSCSI resources, relative to /api/v1.0/services/iscsi/ (dialect.ts).
 * Each resource gets list (offset/limit), create, get, update (PUT returns the whole
 * object, 200) and delete (204); globalconfiguration gets GET and PUT. Paths end in a
 * slash as in the seed; the server also accepts them without one.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DomainServices } from '../../domain/services.js';
import { DEFAULT_TENANT_ID } from '../../domain/tenants.js';
import { notFound } from '../../domain/errors.js';
import type { EntityKind } from '../../domain/error-codes.js';
import { bodyObject, integerIds, methodNotAllowed, registerCrud, type CrudStyle } from '../http/crud.js';
import { bodySchema, responseSchema } from '../http/fields.js';
import { authCredentialResource } from './auth-credential.js';
import { authorizedInitiatorResource } from './authorized-initiator.js';
import { notFoundBody } from './errors.js';
import { extentResource } from './extent.js';
import { GLOBALS_ID, globalFields, globalsFromWire, globalsToWire } from './global-configuration.js';
import { tastypiePaging } from './paging.js';
import { portalResource } from './portal.js';
import { type Resource, setFields } from './resource.js';
import { targetToExtentResource } from './target-to-extent.js';
import { targetGroupResource } from './target-group.js';
import { targetResource } from './target.js';

const PAGING_ERROR = { description: 'bad offset or limit: Tastypie\'s {"error": "<message>"}', type: 'object', properties: { error: { type: 'string' } } };

const FIELD_ERRORS = {
  description: 'invalid input: {"<field>": ["<message>"]}, "__all__" for errors of no single field',
  type: 'object',
  additionalProperties: { type: 'array', items: { type: 'string' } },
};
const NOT_FOUND = { description: 'no such object', type: 'object', properties: { error_message: { type: 'string' } } };

const ID_PARAMS = { type: 'object', properties: { id: integerIds.schema }, required: ['id'] };

export function iscsiRoutes(app: FastifyInstance, services: DomainServices): void {
  registerGlobals(app, services);
  const style: CrudStyle<number> = {
    tag: 'freenas',
    ids: integerIds,
    trailingSlash: true,
    paging: tastypiePaging,
    renderList: (items) => items,
    errors: { invalid: FIELD_ERRORS, notFound: NOT_FOUND, paging: PAGING_ERROR },
    onRequest: setFields,
    // FreeNAS sees the default tenant's configuration only.
    listQuery: (_request, page) => ({ ...page, tenantId: DEFAULT_TENANT_ID }),
    // Lists keep their serialized answer while the stored configuration stands still.
    version: () => services.mutations.version(),
  };
  registerCrud(app, style, defaultTenantOnly(portalResource(services.portalGroups), 'portal-group'));
  registerCrud(app, style, defaultTenantOnly(authorizedInitiatorResource(services.initiatorGroups), 'initiator-group'));
  registerCrud(app, style, defaultTenantOnly(authCredentialResource(services.authCredentials), 'auth-credential'));
  registerCrud(app, style, defaultTenantOnly(targetResource(services.targets), 'target'));
  registerCrud(app, style, defaultTenantOnly(extentResource(services.extents), 'extent'));
  registerCrud(app, style, defaultTenantOnly(targetToExtentResource(services.luns), 'lun'));
  registerCrud(app, style, defaultTenantOnly(targetGroupResource(services.targetGroups), 'target-group'));
}

/**
 * FreeNAS knows one tenant: another tenant's object is, to a FreeNAS client, no object at
 * all (404 for GET, PUT and DELETE by id, as its lists leave it out).
 */
function defaultTenantOnly<E extends { tenantId: number }, I>(r: Resource<E, I>, entity: EntityKind): Resource<E, I> {
  const s = r.service;
  const get = (id: number) => {
    const found = s.get(id);
    if (found.tenantId !== DEFAULT_TENANT_ID) throw notFound(entity);
    return found;
  };
  return {
    ...r,
    service: {
      list: (q) => s.list(q),
      get,
      create: (input) => s.create(input),
      update: (id, input) => (get(id), s.update(id, input)),
      delete: (id) => (get(id), s.delete(id)),
    },
  };
}

function registerGlobals(app: FastifyInstance, services: DomainServices): void {
  const base = '/globalconfiguration/';
  const item = '/globalconfiguration/:id/';
  const body = bodySchema(globalFields);
  const one = responseSchema(globalFields);
  const tags = ['freenas: globalconfiguration'];
  const onRequest = async (request: FastifyRequest) => setFields(request, globalFields);
  const get = async () => globalsToWire(services.globals.get());
  const put = async (request: FastifyRequest) => globalsToWire(await services.globals.update(globalsFromWire(bodyObject(request.body))));
  methodNotAllowed(app, base, ['GET', 'PUT']);
  methodNotAllowed(app, item, ['GET', 'PUT']);
  const checkId = async (request: FastifyRequest, reply: FastifyReply) => {
    if (integerIds.parse((request.params as { id: string }).id) !== GLOBALS_ID) return reply.code(404).send(notFoundBody('No such global configuration.'));
  };

  app.get(base, { onRequest, schema: { tags, summary: 'Get the global configuration', response: { 200: one } }, handler: get });
  app.put(base, { onRequest, schema: { tags, summary: 'Update the global configuration', body, response: { 200: one, 400: FIELD_ERRORS } }, handler: put });
  // Later FreeNAS clients address the singleton by id.
  app.get(item, { onRequest, preHandler: checkId, schema: { tags, params: ID_PARAMS, response: { 200: one } }, handler: get });
  app.put(item, { onRequest, preHandler: checkId, schema: { tags, params: ID_PARAMS, body, response: { 200: one } }, handler: put });
}

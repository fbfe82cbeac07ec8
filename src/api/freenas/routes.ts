/**
 * The FreeNAS v1.0 iSCSI resources, relative to /api/v1.0/services/iscsi/ (dialect.ts).
 * Each resource gets list (offset/limit), create, get, update (PUT returns the whole
 * object, 200) and delete (204); globalconfiguration gets GET and PUT. Paths end in a
 * slash as in the seed; the server also accepts them without one.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DomainServices } from '../../domain/services.js';
import { bodyObject, integerIds, methodNotAllowed, registerCrud, type CrudStyle } from '../http/crud.js';
import { bodySchema, responseSchema } from '../http/fields.js';
import { authCredentialResource } from './auth-credential.js';
import { authorizedInitiatorResource } from './authorized-initiator.js';
import { notFoundBody } from './errors.js';
import { extentResource } from './extent.js';
import { GLOBALS_ID, globalFields, globalsFromWire, globalsToWire } from './global-configuration.js';
import { withListResult } from './list-shim.js';
import { tastypiePaging } from './paging.js';
import { portalResource } from './portal.js';
import { setFields } from './resource.js';
import { targetToExtentResource } from './target-to-extent.js';
import { targetGroupResource } from './target-group.js';
import { targetResource } from './target.js';

const PAGING_ERROR = { description: "bad offset or limit: Tastypie's {\"error\": \"<message>\"}", type: 'object', properties: { error: { type: 'string' } } };

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
    // Lists keep their serialized answer while the stored configuration stands still.
    version: () => services.mutations.version(),
  };
  registerCrud(app, style, withListResult(portalResource(services.portalGroups)));
  registerCrud(app, style, withListResult(authorizedInitiatorResource(services.initiatorGroups)));
  registerCrud(app, style, withListResult(authCredentialResource(services.authCredentials)));
  registerCrud(app, style, withListResult(targetResource(services.targets)));
  registerCrud(app, style, withListResult(extentResource(services.extents)));
  registerCrud(app, style, withListResult(targetToExtentResource(services.luns)));
  registerCrud(app, style, withListResult(targetGroupResource(services.targetGroups)));
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

/**
 * FreeNAS `services/services`: the services this host runs and their switch. sanbox has
 * one, the iSCSI target ("iscsitarget", id 1). `srv_enable` is the administrative state
 * (stored); `srv_state` is what the data plane does now: RUNNING or STOPPED. The rules
 * live in the domain's ServiceSwitch; this file only maps fields.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { methodNotAllowed } from '../http/crud.js';
import type { ServiceState, ServiceSwitch } from '../../domain/service-switch.js';
import { parsePage } from './paging.js';
import { setFields } from './resource.js';
import { bodySchema, bool, int, str, type WireField } from '../http/fields.js';

const fields: Record<string, WireField> = {
  srv_enable: { schema: bool('true starts the service (and keeps it on across restarts), false stops it'), domain: 'enabled', response: true },
  // Clients PUT back what they GET.
  srv_service: { schema: str(), ignored: true, response: true },
  srv_state: { schema: str(), ignored: true, response: true },
  id: { schema: int(), ignored: true, response: true },
};

const one = {
  type: 'object',
  properties: { id: { type: 'integer' }, srv_service: { type: 'string' }, srv_enable: { type: 'boolean' }, srv_state: { type: 'string' } },
};
const PARAMS = { type: 'object', properties: { id: { type: 'string', pattern: '^([0-9]+|[a-z0-9_]+)$' } }, required: ['id'] };
const BODY = bodySchema(fields);

function toWire(s: ServiceState): Record<string, unknown> {
  return { id: s.id, srv_service: s.name, srv_enable: s.enabled, srv_state: s.running ? 'RUNNING' : 'STOPPED' };
}

export function registerServices(app: FastifyInstance, service: ServiceSwitch): void {
  const tags = ['freenas: services'];
  const onRequest = async (request: FastifyRequest) => setFields(request, fields);
  const idOf = (request: FastifyRequest) => (request.params as { id: string }).id;
  // 'slash': the list's own path keeps its trailing slash under the prefix, as in the seed.
  app.get('/', {
    prefixTrailingSlash: 'slash',
    onRequest,
    schema: { tags, summary: 'List services', response: { 200: { type: 'array', items: one } } },
    handler: async (request) => {
      const page = parsePage(request.query);
      return service
        .list()
        .slice(page.offset, page.offset + page.limit)
        .map(toWire);
    },
  });
  app.get('/:id/', {
    onRequest,
    schema: { tags, summary: 'Get a service by id or name', params: PARAMS, response: { 200: one } },
    handler: async (request) => toWire(service.get(idOf(request))),
  });
  app.put('/:id/', {
    onRequest,
    preValidation: async (request) => void service.get(idOf(request)),
    schema: { tags, summary: 'Switch a service on or off', params: PARAMS, body: BODY, response: { 200: one } },
    handler: async (request) => {
      const body = (request.body ?? {}) as { srv_enable?: boolean };
      return toWire(await service.setEnabled(idOf(request), body.srv_enable));
    },
  });
  methodNotAllowed(app, '/', ['GET']);
  methodNotAllowed(app, '/:id/', ['GET', 'PUT']);
}

/**
 * /api/tenants: sanbox's own view of tenants (domain/tenants.ts), the ones every dialect
 * shares: an ONTAP SVM, an HNAS virtual server, the FreeNAS dialect's default tenant.
 * PATCH turns a tenant's iSCSI service on or off (`iscsiEnabled`: off, its targets refuse
 * logins and their sessions end) or stops it (`running`). An API key scoped to a tenant
 * sees and changes only that tenant, and may not create or delete one. Errors are
 * sanbox's own shape, `{"error": {"code", "field", "message", "params"}}`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Tenant } from '../domain/entities.js';
import { DEFAULT_TENANT_ID, type TenantService } from '../domain/tenants.js';
import { isUuid } from '../domain/uuid.js';
import type { Principal } from './auth/authenticator.js';
import { errorView, sanboxErrorHandler, sendNotFound } from './sanbox-errors.js';

const tenantView = {
  type: 'object',
  properties: {
    uuid: { type: 'string' },
    name: { type: 'string' },
    iscsiEnabled: { type: 'boolean', description: "the tenant's iSCSI service: off, its targets refuse logins" },
    running: { type: 'boolean', description: 'stopped, the tenant serves nothing whatever its iSCSI switch says' },
    default: { type: 'boolean', description: 'the default tenant: the one the FreeNAS dialect sees, never deleted' },
  },
};

const changes = {
  name: { type: 'string' },
  iscsiEnabled: { type: 'boolean' },
  running: { type: 'boolean' },
};

function view(t: Tenant): Record<string, unknown> {
  return { uuid: t.uuid, name: t.name, iscsiEnabled: t.iscsiEnabled, running: t.running, default: t.id === DEFAULT_TENANT_ID };
}

/** The tenant a key is scoped to, or null for the admin and unscoped keys. */
function scope(request: FastifyRequest): string | null {
  const p = (request as FastifyRequest & { principal: Principal | null }).principal;
  return p?.kind === 'key' ? p.tenant : null;
}

function forbidden(reply: FastifyReply): FastifyReply {
  return reply
    .code(403)
    .send({ error: { code: 'request.forbidden', field: '__all__', message: 'An API key scoped to a tenant cannot create or delete tenants.' } });
}

export async function tenantRoutes(app: FastifyInstance, opts: { tenants: TenantService }): Promise<void> {
  const { tenants } = opts;
  app.setErrorHandler(sanboxErrorHandler);

  /** The tenant named by the path, if this request may see it. */
  const visible = (request: FastifyRequest): Tenant | null => {
    const { uuid } = request.params as { uuid: string };
    if (!isUuid(uuid)) return null;
    const tenant = tenants.byUuid(uuid);
    const own = scope(request);
    return tenant && (own === null || own === tenant.uuid) ? tenant : null;
  };
  // A DomainError thrown by the work is rendered by sanboxErrorHandler.
  const guarded = async (reply: FastifyReply, work: () => Promise<Tenant | void>, status: number) => {
    const t = await work();
    return t ? reply.code(status).send(view(t)) : reply.code(status).send();
  };

  app.get('/api/tenants', {
    schema: { tags: ['sanbox'], summary: 'Tenants (a scoped key: its own)', response: { 200: { type: 'array', items: tenantView } } },
    handler: async (request) => {
      const own = scope(request);
      return tenants
        .list()
        .filter((t) => own === null || t.uuid === own)
        .map((t) => view(t));
    },
  });
  app.post('/api/tenants', {
    schema: {
      tags: ['sanbox'],
      summary: 'Create a tenant',
      body: { type: 'object', required: ['name'], additionalProperties: false, properties: changes },
      response: { 201: tenantView, 400: errorView, 403: errorView, 409: errorView },
    },
    handler: async (request, reply) => {
      if (scope(request) !== null) return forbidden(reply);
      return guarded(reply, () => tenants.create(request.body as { name: string; iscsiEnabled?: boolean; running?: boolean }), 201);
    },
  });
  app.get('/api/tenants/:uuid', {
    schema: { tags: ['sanbox'], summary: 'One tenant', response: { 200: tenantView, 404: errorView } },
    handler: async (request, reply) => {
      const tenant = visible(request);
      return tenant ? view(tenant) : sendNotFound(reply, 'tenant');
    },
  });
  app.patch('/api/tenants/:uuid', {
    schema: {
      tags: ['sanbox'],
      summary: 'Rename a tenant, switch its iSCSI service, stop or start it',
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: changes },
      response: { 200: tenantView, 400: errorView, 404: errorView, 409: errorView },
    },
    handler: async (request, reply) => {
      const tenant = visible(request);
      if (!tenant) return sendNotFound(reply, 'tenant');
      const body = request.body as { name?: string; iscsiEnabled?: boolean; running?: boolean };
      return guarded(
        reply,
        async () => {
          const changed = await tenants.update(tenant.id, body);
          request.log.info({ tenant: tenant.uuid, ...body }, 'tenant changed');
          return changed;
        },
        200,
      );
    },
  });
  app.delete('/api/tenants/:uuid', {
    schema: {
      tags: ['sanbox'],
      summary: 'Delete an empty tenant',
      response: { 204: { type: 'null', description: 'Deleted' }, 403: errorView, 404: errorView, 409: errorView },
    },
    handler: async (request, reply) => {
      if (scope(request) !== null) return forbidden(reply);
      const tenant = visible(request);
      if (!tenant) return sendNotFound(reply, 'tenant');
      return guarded(reply, () => tenants.delete(tenant.id), 204);
    },
  });
}

/**
 * /api/keys: sanbox's own API keys (domain/api-keys.ts). POST answers the key once, as
 * `key`; GET shows what identifies a key (id, name, its `sbx_<id>_` prefix, tenant,
 * created) and never a secret; DELETE revokes at once. Errors are sanbox's own shape,
 * `{"error": {"code", "field", "message"}}`.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiKey, ApiKeyService } from '../domain/api-keys.js';
import { fail } from '../domain/errors.js';
import type { TenantService } from '../domain/tenants.js';
import { errorView, sanboxErrorHandler, sendNotFound } from './sanbox-errors.js';

const keyView = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    prefix: { type: 'string', description: 'What every token of this key starts with' },
    tenant: { type: ['string', 'null'] },
    created: { type: 'string', format: 'date-time' },
  },
};

function view(k: ApiKey): Record<string, unknown> {
  return { id: k.id, name: k.name, prefix: `sbx_${k.id}_`, tenant: k.tenant, created: k.createdAt };
}

function keyId(raw: string): number | null {
  return /^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : null;
}

export async function keyRoutes(app: FastifyInstance, opts: { keys: ApiKeyService; tenants: TenantService }): Promise<void> {
  const { keys, tenants } = opts;
  app.setErrorHandler(sanboxErrorHandler);
  app.get('/api/keys', {
    schema: { tags: ['sanbox'], summary: 'API keys (never their secrets)', response: { 200: { type: 'array', items: keyView } } },
    handler: async () => keys.list().map(view),
  });
  app.post('/api/keys', {
    schema: {
      tags: ['sanbox'],
      summary: 'Create an API key; the answer carries it once, as `key`',
      body: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: { name: { type: 'string' }, tenant: { type: 'string', description: 'a tenant uuid: the key acts for that tenant only' } },
      },
      response: { 201: { ...keyView, properties: { ...keyView.properties, key: { type: 'string' } } }, 400: errorView, 409: errorView },
    },
    handler: async (request, reply) => {
      const body = request.body as { name: unknown; tenant?: string };
      let tenantId: number | null = null;
      if (body.tenant !== undefined) {
        const tenant = tenants.byUuid(body.tenant);
        if (!tenant) throw fail('tenant.unknown', 'tenant', { uuid: body.tenant });
        tenantId = tenant.id;
      }
      const { key, token } = keys.create({ name: body.name, tenantId });
      request.log.info({ apiKey: key.id, name: key.name }, 'API key created');
      return reply.code(201).send({ ...view(key), key: token });
    },
  });
  app.get('/api/keys/:id', {
    schema: { tags: ['sanbox'], summary: 'One API key', response: { 200: keyView, 404: errorView } },
    handler: async (request, reply) => {
      const id = keyId((request.params as { id: string }).id);
      const key = id === null ? null : keys.get(id);
      return key ? view(key) : sendNotFound(reply, 'api-key');
    },
  });
  app.delete('/api/keys/:id', {
    schema: { tags: ['sanbox'], summary: 'Revoke an API key, at once', response: { 204: { type: 'null', description: 'Revoked' }, 404: errorView } },
    handler: async (request, reply) => {
      const id = keyId((request.params as { id: string }).id);
      if (id === null || !keys.revoke(id)) return sendNotFound(reply, 'api-key');
      request.log.info({ apiKey: id }, 'API key revoked');
      return reply.code(204).send();
    },
  });
}

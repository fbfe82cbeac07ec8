/** GET /api/status: sanbox's own live state (listeners, sessions) from the data plane. */
import type { FastifyInstance } from 'fastify';
import type { LiveStatusSource } from '../domain/ports.js';

const listener = {
  type: 'object',
  properties: {
    address: { type: 'string' },
    portalGroupTag: { type: 'integer' },
    state: { type: 'string', enum: ['listening', 'failed', 'starting'] },
    error: { type: ['string', 'null'] },
  },
};

export async function statusRoutes(app: FastifyInstance, opts: { status: LiveStatusSource }): Promise<void> {
  app.get('/api/status', {
    schema: {
      tags: ['sanbox'],
      summary: 'Live state: listeners (with their errors) and sessions',
      response: {
        200: {
          type: 'object',
          properties: {
            listeners: { type: 'array', items: listener },
            sessions: { type: 'array', items: { type: 'object', additionalProperties: true } },
          },
        },
      },
    },
    handler: async () => opts.status.status(),
  });
}

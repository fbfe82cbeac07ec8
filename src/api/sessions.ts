/**
 * /api/sessions: the live iSCSI sessions with their counters (the console's sessions page
 * and `sanbox sessions`), and DELETE /api/sessions/{tsih}, which ends one at once. Errors
 * are sanbox's own shape (sanbox-errors.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { LiveStatusSource } from '../domain/ports.js';
import { sendNotFound } from './sanbox-errors.js';

const latency = {
  type: 'object',
  properties: {
    bounds: { type: 'array', items: { type: 'number' }, description: 'bucket upper bounds, seconds' },
    counts: { type: 'array', items: { type: 'number' }, description: 'observations per bucket (not cumulative); the last is above every bound' },
    sum: { type: 'number' },
    count: { type: 'integer' },
  },
};

const session = {
  type: 'object',
  properties: {
    tsih: { type: 'integer' },
    initiatorName: { type: 'string' },
    initiatorAddress: { type: 'string' },
    isid: { type: 'string' },
    target: { type: ['string', 'null'] },
    type: { type: 'string', enum: ['Discovery', 'Normal'] },
    portal: { type: 'string', description: 'the address:port the initiator connected to' },
    connections: { type: 'integer' },
    parameters: { type: 'object', additionalProperties: { type: 'string' }, description: 'the negotiated login keys' },
    bytesIn: { type: 'integer', description: 'bytes received on its connections' },
    bytesOut: { type: 'integer', description: 'bytes sent on its connections' },
    commands: { type: 'integer' },
    io: {
      type: 'object',
      properties: {
        reads: { type: 'integer' },
        writes: { type: 'integer' },
        others: { type: 'integer' },
        bytesIn: { type: 'integer', description: 'Data-Out (written)' },
        bytesOut: { type: 'integer', description: 'Data-In (read)' },
        aborts: { type: 'integer' },
        errorsBySenseKey: { type: 'object', additionalProperties: { type: 'integer' } },
        readLatency: latency,
        writeLatency: latency,
      },
    },
  },
};

const errorView = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, field: { type: 'string' }, message: { type: 'string' }, params: { type: 'object', additionalProperties: true } },
    },
  },
};

export async function sessionRoutes(app: FastifyInstance, opts: { status: LiveStatusSource }): Promise<void> {
  const { status } = opts;
  app.get('/api/sessions', {
    schema: {
      tags: ['sanbox'],
      summary: 'Live iSCSI sessions with their negotiated parameters and counters',
      response: { 200: { type: 'array', items: session } },
    },
    handler: async () => [...status.status().sessions].sort((a, b) => a.tsih - b.tsih),
  });
  app.delete('/api/sessions/:tsih', {
    schema: {
      tags: ['sanbox'],
      summary: 'End an iSCSI session at once (its connections are dropped; the initiator may log in again)',
      response: { 204: { type: 'null', description: 'Ended' }, 404: errorView },
    },
    handler: async (request, reply) => {
      const raw = (request.params as { tsih: string }).tsih;
      const tsih = /^[1-9][0-9]{0,4}$/.test(raw) ? Number(raw) : null;
      if (tsih === null || !status.endSession?.(tsih)) return sendNotFound(reply, 'session');
      request.log.info({ tsih }, 'iSCSI session ended through the API');
      return reply.code(204).send();
    },
  });
}

/**
 * /api/jobs: long work as jobs (domain/jobs.ts). POST checks the request, answers 202 with
 * the queued job and its Location, and the work goes on in the background; GET shows
 * state, progress (bytes done of total), rate (bytes/s while running, else 0), error and
 * the extent made; POST .../cancel stops a queued or running job and answers once it has
 * stopped. Errors are sanbox's own shape, `{"error": {"code", "field", "message", "params"}}`.
 */
import type { FastifyInstance } from 'fastify';
import { ALL_JOB_KINDS, JOB_KINDS, type JobService, type JobStatus } from '../domain/jobs.js';
import { isUuid } from '../domain/uuid.js';
import { errorView, sanboxErrorHandler, sendNotFound } from './sanbox-errors.js';

const nullableTime = { type: ['string', 'null'], format: 'date-time' };

const jobView = {
  type: 'object',
  properties: {
    uuid: { type: 'string' },
    kind: { type: 'string', enum: [...ALL_JOB_KINDS] },
    state: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'] },
    progress: { type: 'object', properties: { done: { type: 'integer' }, total: { type: 'integer' } }, description: 'bytes' },
    rate: { type: 'integer', description: 'bytes per second; 0 when not running' },
    error: { type: ['string', 'null'] },
    params: { type: 'object', additionalProperties: true },
    result: { type: ['object', 'null'], properties: { extentId: { type: 'integer' } } },
    createdAt: { type: 'string', format: 'date-time' },
    startedAt: nullableTime,
    finishedAt: nullableTime,
  },
};

const jobBody = {
  type: 'object',
  required: ['kind'],
  additionalProperties: false,
  properties: {
    kind: { type: 'string', description: JOB_KINDS.join(' | ') },
    name: { type: 'string', description: 'the new extent' },
    path: { type: 'string', description: '/mnt/<pool>/<file> (default /mnt/<pool>/<name>.img)' },
    size: { anyOf: [{ type: 'string' }, { type: 'integer' }], description: 'extent.create-thick: "64MB" or bytes' },
    source: { type: 'string', description: 'extent.import: an absolute path on the host' },
    format: { type: 'string', description: 'extent.import: raw | qcow2 (default: detected by qemu-img info)' },
    pool: { type: 'string', description: 'extent.import: the pool (default "default")' },
    extentId: { type: 'integer', description: 'extent.clone: the extent to copy' },
  },
};

function view(j: JobStatus): Record<string, unknown> {
  return {
    uuid: j.uuid,
    kind: j.kind,
    state: j.state,
    progress: { done: j.doneBytes, total: j.totalBytes },
    rate: j.rate,
    error: j.error,
    params: j.params,
    result: j.extentId === null ? null : { extentId: j.extentId },
    createdAt: j.createdAt,
    startedAt: j.startedAt,
    finishedAt: j.finishedAt,
  };
}

export async function jobRoutes(app: FastifyInstance, opts: { jobs: JobService }): Promise<void> {
  const { jobs } = opts;
  app.setErrorHandler(sanboxErrorHandler);
  app.get('/api/jobs', {
    schema: { tags: ['sanbox'], summary: 'Jobs, newest first', response: { 200: { type: 'object', properties: { jobs: { type: 'array', items: jobView } } } } },
    handler: async () => ({ jobs: jobs.list().map(view) }),
  });
  app.post('/api/jobs', {
    schema: {
      tags: ['sanbox'],
      summary: 'Start a job: a thick extent, an image import (raw, qcow2) or an extent clone',
      body: jobBody,
      response: { 202: jobView, 400: errorView, 404: errorView, 409: errorView },
    },
    handler: async (request, reply) => {
      const job = await jobs.submit(request.body as Record<string, unknown>);
      request.log.info({ job: job.uuid, kind: job.kind }, 'job queued');
      return reply.code(202).header('location', `/api/jobs/${job.uuid}`).send(view(job));
    },
  });
  app.get('/api/jobs/:uuid', {
    schema: { tags: ['sanbox'], summary: 'One job', response: { 200: jobView, 404: errorView } },
    handler: async (request, reply) => {
      const { uuid } = request.params as { uuid: string };
      if (!isUuid(uuid)) return sendNotFound(reply, 'job');
      return view(jobs.get(uuid));
    },
  });
  app.post('/api/jobs/:uuid/cancel', {
    schema: {
      tags: ['sanbox'],
      summary: 'Cancel a queued or running job (answers once it has stopped)',
      response: { 202: jobView, 404: errorView, 409: errorView },
    },
    handler: async (request, reply) => {
      const { uuid } = request.params as { uuid: string };
      if (!isUuid(uuid)) return sendNotFound(reply, 'job');
      const job = await jobs.cancel(uuid);
      request.log.info({ job: uuid, state: job.state }, 'job cancel');
      return reply.code(202).send(view(job));
    },
  });
}

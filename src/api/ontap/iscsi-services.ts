/**
 * /api/protocols/san/iscsi/services, the seed: an SVM's iSCSI service is its tenant's
 * tenant-wide target (its `target.name`, generated, and `target.alias`) and its tenant's
 * iSCSI switch (`enabled`: off, every login to the SVM is refused and its sessions end at
 * once). Identified by the SVM's uuid. `statistics` and `metric` come from the live
 * sessions and are returned only when asked for.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IscsiService } from '../../domain/iscsi-services.js';
import { type BodySpec, readBody } from './body.js';
import { type Resource, collection, fieldPaths, instance, wantsRecords } from './collection.js';
import { type OntapContext, checkWriteParams, svmRef } from './context.js';
import { OntapError, inDomain, notSettable, svmMissing } from './errors.js';
import { IoCounters } from './statistics.js';
import { iscsiTargetName } from './svms.js';

const CREATE: BodySpec = { 'svm.uuid': 'string', 'svm.name': 'string', enabled: 'boolean', 'target.alias': 'string', 'target.name': 'string' };
const MODIFY: BodySpec = CREATE;

export function iscsiServiceRoutes(app: FastifyInstance, ctx: OntapContext): void {
  const counters = new IoCounters(ctx.options.status);
  // The counters are read only for a request naming them: a reading moves the metric's window.
  const record = (s: IscsiService, withFigures = false) => ({
    svm: svmRef(s.tenant),
    enabled: s.tenant.iscsiEnabled,
    target: { name: s.target.name, alias: s.target.alias ?? '' },
    ...(withFigures ? { statistics: counters.statistics(s.target.name), metric: counters.metric(s.target.name) } : {}),
    _links: { self: { href: `/api/protocols/san/iscsi/services/${s.tenant.uuid}` } },
  });
  const figuresAsked = (request: FastifyRequest) => /statistics|metric|\*\*/.test(String((request.query as { fields?: unknown }).fields ?? ''));
  const sample = record({ tenant: ctx.services.tenants.get(1), target: { name: '', alias: '' } as IscsiService['target'] }, true);
  const resource: Resource = {
    path: '/api/protocols/san/iscsi/services',
    fields: fieldPaths(sample),
    collectionDefaults: ['svm', '_links'],
    keys: ['svm'],
    expensive: ['statistics', 'metric'],
  };
  const serviceOf = (request: FastifyRequest, uuid: string) => {
    const svm = ctx.svmByUuid(uuid, 'svm.uuid');
    // An SVM-scoped request sees its own SVM only: another's service is not there for it.
    const scoped = ctx.scopedSvm(request);
    if (scoped && scoped.id !== svm.id) throw svmMissing(uuid, 'svm.uuid');
    return inDomain({ fields: { svm: 'svm.uuid' } }, () => ctx.services.iscsiServices.get(svm.id));
  };

  app.get('/protocols/san/iscsi/services', async (request) => {
    const scoped = ctx.scopedSvm(request);
    const services = ctx.services.iscsiServices.list().filter((s) => !scoped || s.tenant.id === scoped.id);
    return collection(
      request,
      resource,
      services.map((s) => record(s, figuresAsked(request))),
    );
  });

  app.get<{ Params: { svm: string } }>('/protocols/san/iscsi/services/:svm', async (request) =>
    instance(request, resource, record(await serviceOf(request, request.params.svm), figuresAsked(request))),
  );

  app.post('/protocols/san/iscsi/services', async (request, reply) => {
    checkWriteParams(request);
    const flat = readBody(request.body, CREATE);
    if (flat['target.name'] !== undefined) throw notSettable('target.name');
    const svm = ctx.svmOf(request, flat)!;
    const service = await inDomain({ fields: { alias: 'target.alias', svm: 'svm.uuid' } }, () =>
      ctx.services.iscsiServices.create(svm.id, {
        name: iscsiTargetName(ctx, svm),
        enabled: flat.enabled as boolean | undefined,
        alias: flat['target.alias'] as string | undefined,
      }),
    );
    reply.code(201).header('Location', `/api/protocols/san/iscsi/services/${svm.uuid}`);
    return wantsRecords(request) ? { num_records: 1, records: [record(service)] } : {};
  });

  app.patch<{ Params: { svm: string } }>('/protocols/san/iscsi/services/:svm', async (request) => {
    checkWriteParams(request);
    const service = await serviceOf(request, request.params.svm);
    const flat = readBody(request.body, MODIFY);
    // The seed's example PATCH body carries the SVM and the target name as read: the same values are no change.
    if (flat['svm.uuid'] !== undefined && flat['svm.uuid'] !== service.tenant.uuid) throw notSettable('svm.uuid');
    if (flat['svm.name'] !== undefined && flat['svm.name'] !== service.tenant.name) throw notSettable('svm.name');
    if (flat['target.name'] !== undefined && flat['target.name'] !== service.target.name) {
      throw new OntapError(
        400,
        '262186',
        'Field "target.name" cannot be set in this operation: it is changed with the ONTAP command line only.',
        'target.name',
      );
    }
    await inDomain({ fields: { alias: 'target.alias', svm: 'svm.uuid' } }, () =>
      ctx.services.iscsiServices.update(service.tenant.id, {
        enabled: flat.enabled as boolean | undefined,
        alias: flat['target.alias'] as string | undefined,
      }),
    );
    return {};
  });

  app.delete<{ Params: { svm: string } }>('/protocols/san/iscsi/services/:svm', async (request) => {
    checkWriteParams(request);
    const service = await serviceOf(request, request.params.svm);
    await inDomain({ fields: { svm: 'svm.uuid' } }, () => ctx.services.iscsiServices.delete(service.tenant.id));
    return {};
  });
}

/**
 * /api/protocols/san/lun-maps: LUN maps (domain/lun-maps.ts). A map makes a LUN visible,
 * under its number, to the initiators of one igroup on the SVM's target; without a number
 * the igroup's lowest free one is taken. Identified by the LUN's and the igroup's uuids.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { InitiatorGroup, LunMap } from '../../domain/entities.js';
import { type BodySpec, readBody } from './body.js';
import { type Resource, collection, fieldPaths, instance, wantsRecords } from './collection.js';
import { type OntapContext, checkWriteParams, svmRef } from './context.js';
import { ONTAP_CODES, OntapError, inDomain, missingArgument } from './errors.js';
import { type LunView, igroupName, lunRef, lunViews } from './luns.js';

const CREATE: BodySpec = {
  'svm.name': 'string',
  'svm.uuid': 'string',
  'igroup.name': 'string',
  'igroup.uuid': 'string',
  'lun.name': 'string',
  'lun.uuid': 'string',
  logical_unit_number: 'integer',
};

export function lunMapRoutes(app: FastifyInstance, ctx: OntapContext): void {
  const igroupRef = (g: InitiatorGroup) => ({ uuid: g.uuid, name: igroupName(ctx, g), _links: { self: { href: `/api/protocols/san/igroups/${g.uuid}` } } });
  const maps = () => {
    const luns = new Map(lunViews(ctx).map((l) => [l.extent.id, l]));
    const groups = new Map(ctx.services.initiatorGroups.list().items.map((g) => [g.id, g]));
    return ctx.services.lunMaps.list().flatMap((m) => {
      const lun = luns.get(m.extentId);
      const group = groups.get(m.initiatorGroupId);
      return lun && group ? [{ map: m, lun, group, tenantId: m.tenantId }] : [];
    });
  };
  const record = ({ map, lun, group }: { map: LunMap; lun: LunView; group: InitiatorGroup }) => ({
    svm: svmRef(ctx.services.tenants.get(map.tenantId)),
    lun: lunRef(lun),
    igroup: igroupRef(group),
    logical_unit_number: map.lun,
    _links: { self: { href: `/api/protocols/san/lun-maps/${lun.extent.uuid}/${group.uuid}` } },
  });
  const resource: Resource = {
    path: '/api/protocols/san/lun-maps',
    fields: fieldPaths(
      record({
        map: { tenantId: 1, lun: 0 } as LunMap,
        lun: { extent: { uuid: '' }, path: '' } as LunView,
        group: { uuid: '', tag: 0 } as InitiatorGroup,
      }),
    ),
    collectionDefaults: ['svm', 'lun', 'igroup', '_links'],
    keys: ['svm', 'lun', 'igroup'],
    expensive: [],
  };
  const mapOf = (lunUuid: string, igroupUuid: string, request: FastifyRequest) => {
    const found = maps().find((m) => m.lun.extent.uuid === lunUuid.toLowerCase() && m.group.uuid === igroupUuid.toLowerCase());
    if (!found || !ctx.visibleTo(request, found.tenantId)) throw new OntapError(404, ONTAP_CODES.mapMissing, 'The LUN map does not exist.', 'lun.uuid');
    return found;
  };

  app.get('/protocols/san/lun-maps', async (request) => collection(request, resource, ctx.inScope(request, maps()).map(record)));
  app.get<{ Params: { lun: string; igroup: string } }>('/protocols/san/lun-maps/:lun/:igroup', async (request) =>
    instance(request, resource, record(mapOf(request.params.lun, request.params.igroup, request))),
  );

  app.post('/protocols/san/lun-maps', async (request, reply) => {
    checkWriteParams(request);
    const flat = readBody(request.body, CREATE);
    const svm = ctx.svmOf(request, flat)!;
    const lunName = flat['lun.name'] as string | undefined;
    const lunUuid = flat['lun.uuid'] as string | undefined;
    if (lunName === undefined && lunUuid === undefined) throw missingArgument('lun.name');
    const lun = lunViews(ctx).find((l) => l.extent.tenantId === svm.id && (lunUuid ? l.extent.uuid === lunUuid.toLowerCase() : l.path === lunName));
    if (!lun)
      throw new OntapError(
        400,
        ONTAP_CODES.entryMissing,
        `LUN "${lunName ?? lunUuid}" does not exist in SVM "${svm.name}".`,
        lunUuid ? 'lun.uuid' : 'lun.name',
      );
    const igName = flat['igroup.name'] as string | undefined;
    const igUuid = flat['igroup.uuid'] as string | undefined;
    if (igName === undefined && igUuid === undefined) throw missingArgument('igroup.name');
    const group = ctx.services.initiatorGroups
      .list()
      .items.find((g) => g.tenantId === svm.id && (igUuid ? g.uuid === igUuid.toLowerCase() : igroupName(ctx, g) === igName));
    if (!group)
      throw new OntapError(
        400,
        ONTAP_CODES.entryMissing,
        `Igroup "${igName ?? igUuid}" does not exist in SVM "${svm.name}".`,
        igUuid ? 'igroup.uuid' : 'igroup.name',
      );
    const made = await inDomain({ fields: { lun: 'logical_unit_number' } }, () =>
      ctx.services.lunMaps.create({
        tenantId: svm.id,
        extentId: lun.extent.id,
        initiatorGroupId: group.id,
        lun: flat.logical_unit_number as number | undefined,
      }),
    );
    reply.code(201).header('Location', `/api/protocols/san/lun-maps/${lun.extent.uuid}/${group.uuid}`);
    return wantsRecords(request) ? { num_records: 1, records: [record({ map: made, lun, group })] } : {};
  });

  app.delete<{ Params: { lun: string; igroup: string } }>('/protocols/san/lun-maps/:lun/:igroup', async (request) => {
    checkWriteParams(request);
    const found = mapOf(request.params.lun, request.params.igroup, request);
    await inDomain({}, () => ctx.services.lunMaps.delete(found.map.id));
    return {};
  });
}

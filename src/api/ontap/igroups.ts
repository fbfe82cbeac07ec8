/**
 * /api/protocols/san/igroups and their /initiators: an igroup is an initiator group of
 * its SVM's tenant, holding exactly its initiators (none: nobody), admitted from any
 * address. Its name, protocol, os_type and the initiators' comments are annotations. An
 * initiator of no igroup of the SVM cannot log in to the SVM's target. A mapped igroup is
 * deleted, or loses an initiator, only with `allow_delete_while_mapped=true`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { InitiatorGroup } from '../../domain/entities.js';
import { type BodySpec, type FlatBody, readBody } from './body.js';
import { type Resource, boolParam, collection, fieldPaths, instance, wantsRecords } from './collection.js';
import { type OntapContext, checkWriteParams, svmRef } from './context.js';
import { ONTAP_CODES, OntapError, entryMissing, inDomain, invalidValue, missingArgument, notSettable } from './errors.js';
import { OS_TYPES, igroupName, lunRef, lunViews } from './luns.js';

const A = 'ontap.';
const PROTOCOLS = ['iscsi', 'fcp', 'mixed'];
const IGROUP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,95}$/;

const CREATE: BodySpec = {
  name: 'string',
  'svm.name': 'string',
  'svm.uuid': 'string',
  protocol: 'string',
  os_type: 'string',
  comment: 'string',
  initiators: 'array',
  delete_on_unmap: 'boolean',
};
const MODIFY: BodySpec = { name: 'string', os_type: 'string', comment: 'string', delete_on_unmap: 'boolean', protocol: 'string' };
const FIELDS = { initiators: 'initiators.name', comment: 'comment' };

interface NewInitiator {
  name: string;
  comment?: string;
}

export function igroupRoutes(app: FastifyInstance, ctx: OntapContext): void {
  const record = (g: InitiatorGroup) => {
    const a = ctx.services.annotations.of(g.uuid);
    const svm = ctx.services.tenants.get(g.tenantId);
    const luns = new Map(lunViews(ctx).map((l) => [l.extent.id, l]));
    const maps = ctx.services.lunMaps.list(g.tenantId).filter((m) => m.initiatorGroupId === g.id);
    return {
      uuid: g.uuid,
      name: igroupName(ctx, g),
      svm: svmRef(svm),
      protocol: a[`${A}protocol`] ?? 'iscsi',
      os_type: a[`${A}os_type`] ?? 'linux',
      comment: g.comment,
      delete_on_unmap: a[`${A}delete_on_unmap`] === 'true',
      initiators: g.initiators
        .filter((n) => n.toUpperCase() !== 'ALL')
        .map((name) => {
          const comment = a[`${A}initiator.${name}`];
          // No comment key for an initiator without one: Ansible compares {name, comment: None}.
          return { name, ...(comment !== undefined ? { comment } : {}), _links: { self: { href: `/api/protocols/san/igroups/${g.uuid}/initiators/${name}` } } };
        }),
      lun_maps: maps.flatMap((m) => {
        const l = luns.get(m.extentId);
        return l ? [{ logical_unit_number: m.lun, lun: lunRef(l) }] : [];
      }),
      _links: { self: { href: `/api/protocols/san/igroups/${g.uuid}` } },
    };
  };
  const resource: Resource = {
    path: '/api/protocols/san/igroups',
    fields: fieldPaths(record({ uuid: '', tenantId: 1, tag: 0, initiators: [], networks: [], comment: '', rules: [], id: 0 }), [
      'initiators.name',
      'initiators.comment',
      'lun_maps.logical_unit_number',
      'lun_maps.lun',
      'lun_maps.lun.name',
      'lun_maps.lun.uuid',
      'igroups',
      'igroups.name',
      'portset',
      'portset.name',
    ]),
    collectionDefaults: ['uuid', 'name'],
    keys: ['uuid', 'name'],
    expensive: [],
  };
  const groupOf = (uuid: string, request: FastifyRequest) => {
    const g = ctx.services.initiatorGroups.list().items.find((x) => x.uuid === uuid.toLowerCase());
    if (!g || !ctx.visibleTo(request, g.tenantId)) throw entryMissing('uuid');
    return g;
  };
  const nameTaken = (tenantId: number, name: string, selfId: number | null) =>
    ctx.services.initiatorGroups.list().items.some((g) => g.tenantId === tenantId && g.id !== selfId && igroupName(ctx, g) === name);
  const mappedRefusal = (g: InitiatorGroup, request: FastifyRequest, what: string) => {
    const maps = ctx.services.lunMaps.list(g.tenantId).filter((m) => m.initiatorGroupId === g.id);
    if (maps.length && !boolParam(request, 'allow_delete_while_mapped')) {
      throw new OntapError(
        400,
        ONTAP_CODES.igroupMapped,
        `${what}: igroup "${igroupName(ctx, g)}" has ${maps.length} LUN map(s); set allow_delete_while_mapped to proceed.`,
        'uuid',
      );
    }
    return maps;
  };

  app.get('/protocols/san/igroups', async (request) =>
    collection(request, resource, ctx.inScope(request, ctx.services.initiatorGroups.list().items).map(record)),
  );
  app.get<{ Params: { uuid: string } }>('/protocols/san/igroups/:uuid', async (request) =>
    instance(request, resource, record(groupOf(request.params.uuid, request))),
  );

  app.post('/protocols/san/igroups', async (request, reply) => {
    checkWriteParams(request);
    const flat = readBody(request.body, CREATE);
    const svm = ctx.svmOf(request, flat)!;
    const name = flat.name as string | undefined;
    if (name === undefined) throw missingArgument('name');
    if (!IGROUP_NAME.test(name)) throw invalidValue('name', name, 'string');
    if (flat.os_type === undefined) throw missingArgument('os_type');
    checkChoice('os_type', flat.os_type, OS_TYPES);
    const protocol = (flat.protocol as string | undefined) ?? 'mixed';
    checkChoice('protocol', protocol, PROTOCOLS);
    if (nameTaken(svm.id, name, null))
      throw new OntapError(400, ONTAP_CODES.igroupExists, `An igroup named "${name}" already exists in SVM "${svm.name}".`, 'name');
    const initiators = flat.initiators === undefined ? [] : initiatorsOf('initiators', flat.initiators);
    const group = await inDomain({ fields: FIELDS }, () =>
      ctx.services.initiatorGroups.create({
        tenantId: svm.id,
        initiatorNames: initiators.map((i) => i.name),
        networks: 'ALL',
        comment: (flat.comment as string | undefined) ?? '',
        annotations: {
          [`${A}name`]: name,
          [`${A}os_type`]: flat.os_type as string,
          [`${A}protocol`]: protocol,
          ...(flat.delete_on_unmap !== undefined ? { [`${A}delete_on_unmap`]: String(flat.delete_on_unmap) } : {}),
          ...commentAnnotations(initiators),
        },
      }),
    );
    reply.code(201).header('Location', `/api/protocols/san/igroups/${group.uuid}`);
    return wantsRecords(request) ? { num_records: 1, records: [record(group)] } : {};
  });

  app.patch<{ Params: { uuid: string } }>('/protocols/san/igroups/:uuid', async (request) => {
    checkWriteParams(request);
    const g = groupOf(request.params.uuid, request);
    const flat = readBody(request.body, MODIFY);
    const a = ctx.services.annotations.of(g.uuid);
    if (flat.protocol !== undefined && flat.protocol !== (a[`${A}protocol`] ?? 'iscsi')) throw notSettable('protocol');
    const annotations: Record<string, string> = {};
    if (flat.name !== undefined) {
      const name = flat.name as string;
      if (!IGROUP_NAME.test(name)) throw invalidValue('name', name, 'string');
      if (nameTaken(g.tenantId, name, g.id)) throw new OntapError(400, ONTAP_CODES.igroupExists, `An igroup named "${name}" already exists.`, 'name');
      annotations[`${A}name`] = name;
    }
    if (flat.os_type !== undefined) {
      checkChoice('os_type', flat.os_type, OS_TYPES);
      annotations[`${A}os_type`] = flat.os_type as string;
    }
    if (flat.delete_on_unmap !== undefined) annotations[`${A}delete_on_unmap`] = String(flat.delete_on_unmap);
    await inDomain({ fields: FIELDS }, () => ctx.services.initiatorGroups.update(g.id, { comment: flat.comment as string | undefined, annotations }));
    return {};
  });

  app.delete<{ Params: { uuid: string } }>('/protocols/san/igroups/:uuid', async (request) => {
    checkWriteParams(request, ['allow_delete_while_mapped']);
    const g = groupOf(request.params.uuid, request);
    const maps = mappedRefusal(g, request, 'Cannot delete');
    for (const m of maps) await ctx.services.lunMaps.delete(m.id);
    await inDomain({ referenced: ONTAP_CODES.igroupMapped }, () => ctx.services.initiatorGroups.delete(g.id));
    return {};
  });

  // ---- initiators ----
  const initiatorRecord = (g: InitiatorGroup, name: string) => {
    const comment = ctx.services.annotations.of(g.uuid)[`${A}initiator.${name}`];
    return {
      name,
      ...(comment !== undefined ? { comment } : {}),
      igroup: { uuid: g.uuid, name: igroupName(ctx, g) },
      _links: { self: { href: `/api/protocols/san/igroups/${g.uuid}/initiators/${name}` } },
    };
  };
  const initiatorResource: Resource = {
    path: '/api/protocols/san/igroups/{igroup.uuid}/initiators',
    fields: ['name', 'comment', 'igroup', 'igroup.uuid', 'igroup.name'],
    collectionDefaults: ['name'],
    keys: ['name'],
    expensive: [],
  };
  const memberOf = (g: InitiatorGroup, name: string) => {
    const found = g.initiators.find((n) => n.toLowerCase() === name.toLowerCase());
    if (!found) throw entryMissing('name');
    return found;
  };

  app.get<{ Params: { uuid: string } }>('/protocols/san/igroups/:uuid/initiators', async (request) => {
    const g = groupOf(request.params.uuid, request);
    return collection(
      request,
      { ...initiatorResource, path: `/api/protocols/san/igroups/${g.uuid}/initiators` },
      g.initiators.filter((n) => n !== 'ALL').map((n) => initiatorRecord(g, n)),
    );
  });
  app.get<{ Params: { uuid: string; name: string } }>('/protocols/san/igroups/:uuid/initiators/:name', async (request) => {
    const g = groupOf(request.params.uuid, request);
    return instance(request, initiatorResource, initiatorRecord(g, memberOf(g, request.params.name)));
  });

  app.post<{ Params: { uuid: string } }>('/protocols/san/igroups/:uuid/initiators', async (request, reply) => {
    checkWriteParams(request);
    const g = groupOf(request.params.uuid, request);
    const flat = readBody(request.body, { records: 'array', name: 'string', comment: 'string' });
    const adding = flat.records !== undefined ? initiatorsOf('records', flat.records) : initiatorsOf('name', [{ name: flat.name, comment: flat.comment }]);
    const current = g.initiators.filter((n) => n.toUpperCase() !== 'ALL');
    for (const i of adding) {
      if (current.some((n) => n.toLowerCase() === i.name.toLowerCase())) {
        throw new OntapError(400, ONTAP_CODES.duplicate, `Initiator ${i.name} is already in igroup "${igroupName(ctx, g)}".`, 'name');
      }
    }
    await inDomain({ fields: FIELDS }, () =>
      ctx.services.initiatorGroups.update(g.id, { initiatorNames: [...current, ...adding.map((i) => i.name)], annotations: commentAnnotations(adding) }),
    );
    reply.code(201);
    return {};
  });

  app.patch<{ Params: { uuid: string; name: string } }>('/protocols/san/igroups/:uuid/initiators/:name', async (request) => {
    checkWriteParams(request);
    const g = groupOf(request.params.uuid, request);
    const name = memberOf(g, request.params.name);
    const flat = readBody(request.body, { comment: 'string' });
    await inDomain({}, () =>
      ctx.services.initiatorGroups.update(g.id, { annotations: { [`${A}initiator.${name}`]: (flat.comment as string | undefined) ?? null } }),
    );
    return {};
  });

  app.delete<{ Params: { uuid: string; name: string } }>('/protocols/san/igroups/:uuid/initiators/:name', async (request) => {
    checkWriteParams(request, ['allow_delete_while_mapped']);
    const g = groupOf(request.params.uuid, request);
    const name = memberOf(g, request.params.name);
    mappedRefusal(g, request, `Cannot remove initiator ${name}`);
    await inDomain({}, () =>
      ctx.services.initiatorGroups.update(g.id, {
        initiatorNames: g.initiators.filter((n) => n !== name && n.toUpperCase() !== 'ALL'),
        annotations: { [`${A}initiator.${name}`]: null },
      }),
    );
    return {};
  });
}

function checkChoice(field: string, value: unknown, choices: readonly string[]): void {
  if (typeof value !== 'string' || !choices.includes(value)) throw invalidValue(field, value, 'enum');
}

function initiatorsOf(path: string, value: unknown): NewInitiator[] {
  if (!Array.isArray(value)) throw invalidValue(path, value, 'array');
  return value.map((item, i) => {
    const flat: FlatBody = readBody(item, { name: 'string', comment: 'string' });
    if (typeof flat.name !== 'string' || flat.name === '') throw missingArgument(`${path}[${i}].name`);
    return { name: flat.name.trim(), ...(typeof flat.comment === 'string' ? { comment: flat.comment } : {}) };
  });
}

function commentAnnotations(initiators: NewInitiator[]): Record<string, string> {
  return Object.fromEntries(initiators.filter((i) => i.comment !== undefined).map((i) => [`${A}initiator.${i.name}`, i.comment!]));
}

/**
 * /api/storage/volumes: FlexVols, sanbox's volumes (domain/volumes.ts): a sized space in
 * an aggregate (pool) holding LUNs, thin (guarantee "none" unless asked "volume", which is
 * echoed), always online, never mounted for NAS. Create and modify answer 202 with a done
 * job, as ONTAP's asynchronous volume operations do. Deleting a volume holding LUNs is refused.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Volume } from '../../domain/entities.js';
import { type BodySpec, type FlatBody, namedRefs, readBody } from './body.js';
import { type Resource, collection, fieldPaths, instance } from './collection.js';
import { type OntapContext, checkWriteParams, svmRef } from './context.js';
import { ONTAP_CODES, OntapError, inDomain, invalidValue, missingArgument, notSettable } from './errors.js';
import { jobReference } from './jobs.js';
import { lunViews } from './luns.js';

const A = 'ontap.';
const ECHOED: Record<string, string> = {
  'guarantee.type': 'none',
  'nas.path': '',
  'nas.security_style': 'unix',
  'snapshot_policy.name': 'none',
  language: 'c.utf_8',
};

const COMMON: BodySpec = {
  comment: 'string',
  size: 'integer',
  'space.size': 'integer',
  state: 'string',
  'guarantee.type': 'string',
  'nas.path': 'string',
  'nas.security_style': 'string',
  'snapshot_policy.name': 'string',
  language: 'string',
};
const CREATE: BodySpec = { ...COMMON, name: 'string', 'svm.name': 'string', 'svm.uuid': 'string', aggregates: 'array', type: 'string', style: 'string' };
const MODIFY: BodySpec = { ...COMMON, name: 'string' };

const FIELDS = { sizeBytes: 'size', name: 'name', poolId: 'aggregates', comment: 'comment' };

export function volumeRoutes(app: FastifyInstance, ctx: OntapContext): void {
  const record = (v: Volume) => {
    const svm = ctx.services.tenants.get(v.tenantId);
    const pool = ctx.services.pools.list().items.find((m) => m.pool.id === v.poolId)?.pool;
    const a = ctx.services.annotations.of(v.uuid);
    const echoed = (k: string) => a[A + k] ?? ECHOED[k]!;
    const used = ctx.services.volumes.usedBytes(v.id);
    return {
      uuid: v.uuid,
      name: v.name,
      svm: svmRef(svm),
      aggregates: pool ? [{ uuid: pool.uuid, name: pool.name, _links: { self: { href: `/api/storage/aggregates/${pool.uuid}` } } }] : [],
      state: 'online',
      style: 'flexvol',
      type: 'rw',
      comment: v.comment,
      language: echoed('language'),
      size: v.sizeBytes,
      create_time: new Date(v.createdAt * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
      space: {
        size: v.sizeBytes,
        available: Math.max(0, v.sizeBytes - used),
        used,
        snapshot: { reserve_percent: 0, used: 0 },
        logical_space: { enforcement: false, reporting: false, used },
      },
      guarantee: { type: echoed('guarantee.type') },
      nas: {
        path: echoed('nas.path'),
        security_style: echoed('nas.security_style'),
        export_policy: { name: 'default' },
        uid: 0,
        gid: 0,
        unix_permissions: 755,
      },
      snapshot_policy: { name: echoed('snapshot_policy.name') },
      encryption: { enabled: false },
      tiering: { policy: 'none' },
      efficiency: { compression: 'none', compaction: 'none', dedupe: 'none' },
      snaplock: { type: 'non_snaplock' },
      files: { maximum: Math.max(1, Math.floor(v.sizeBytes / 32768)), used: 96 },
      _links: { self: { href: `/api/storage/volumes/${v.uuid}` } },
    };
  };
  let shape: Resource | null = null;
  const resource = () =>
    (shape ??= {
      path: '/api/storage/volumes',
      fields: fieldPaths(record({ id: 0, uuid: '', tenantId: 1, name: '', poolId: 0, sizeBytes: 0, comment: '', createdAt: 0 }), [
        'aggregates.name',
        'aggregates.uuid',
        'qos',
        'qos.policy',
        'qos.policy.name',
        'efficiency.policy',
        'efficiency.policy.name',
        'tiering.min_cooling_days',
        'analytics',
        'analytics.state',
        '_tags',
        'movement',
        'movement.state',
      ]),
      collectionDefaults: ['uuid', 'name'],
      keys: ['uuid', 'name'],
      expensive: [],
    });
  const volumeOf = (uuid: string, request: FastifyRequest) => {
    const v = ctx.services.volumes.list().find((x) => x.uuid === uuid.toLowerCase());
    if (!v || !ctx.visibleTo(request, v.tenantId)) throw new OntapError(404, ONTAP_CODES.volumeMissing, `Volume with UUID "${uuid}" was not found.`, 'uuid');
    return v;
  };

  app.get('/storage/volumes', async (request) => collection(request, resource(), ctx.inScope(request, ctx.services.volumes.list()).map(record)));
  app.get<{ Params: { uuid: string } }>('/storage/volumes/:uuid', async (request) =>
    instance(request, resource(), record(volumeOf(request.params.uuid, request))),
  );

  app.post('/storage/volumes', async (request, reply) => {
    checkWriteParams(request);
    const flat = readBody(request.body, CREATE);
    const svm = ctx.svmOf(request, flat)!;
    if (flat.name === undefined) throw missingArgument('name');
    if (flat.aggregates === undefined) throw missingArgument('aggregates');
    const refs = namedRefs('aggregates', flat.aggregates);
    if (refs.length !== 1) throw new OntapError(400, ONTAP_CODES.invalidValue, 'A FlexVol lives in exactly one aggregate.', 'aggregates');
    const pool = ctx.services.pools.list().items.find((m) => (refs[0]!.uuid ? m.pool.uuid === refs[0]!.uuid : m.pool.name === refs[0]!.name))?.pool;
    if (!pool) throw new OntapError(400, ONTAP_CODES.entryMissing, `Aggregate "${refs[0]!.name ?? refs[0]!.uuid}" does not exist.`, 'aggregates');
    if (flat.type !== undefined && flat.type !== 'rw') throw invalidValue('type', flat.type, 'enum');
    if (flat.style !== undefined && flat.style !== 'flexvol') throw invalidValue('style', flat.style, 'enum');
    checkState(flat);
    const sizeBytes = sizeOf(flat);
    if (sizeBytes === undefined) throw missingArgument('size');
    const volume = await inDomain({ fields: FIELDS }, () =>
      ctx.services.volumes.create({
        tenantId: svm.id,
        name: flat.name as string,
        poolId: pool.id,
        sizeBytes,
        comment: flat.comment as string | undefined,
        annotations: echoedAnnotations(flat),
      }),
    );
    reply.code(202).header('Location', `/api/storage/volumes/${volume.uuid}`);
    return jobReference(ctx.jobs.done(`POST /api/storage/volumes/${volume.uuid}`));
  });

  app.patch<{ Params: { uuid: string } }>('/storage/volumes/:uuid', async (request, reply) => {
    checkWriteParams(request, ['sizing_method']);
    const volume = volumeOf(request.params.uuid, request);
    const flat = readBody(request.body, MODIFY);
    checkState(flat);
    await inDomain({ fields: FIELDS }, () =>
      ctx.services.volumes.update(volume.id, {
        name: flat.name as string | undefined,
        sizeBytes: sizeOf(flat),
        comment: flat.comment as string | undefined,
        annotations: echoedAnnotations(flat),
      }),
    );
    reply.code(202);
    return jobReference(ctx.jobs.done(`PATCH /api/storage/volumes/${volume.uuid}`));
  });

  app.delete<{ Params: { uuid: string } }>('/storage/volumes/:uuid', async (request, reply) => {
    checkWriteParams(request);
    const volume = volumeOf(request.params.uuid, request);
    // The domain's refusal names an extent by its row id; an ONTAP client knows the LUN by its path.
    const luns = lunViews(ctx).filter((l) => l.volume.id === volume.id);
    if (luns.length) {
      throw new OntapError(
        400,
        ONTAP_CODES.volumeNotEmpty,
        `Volume "${volume.name}" holds ${luns.length} LUN(s) (${luns.map((l) => l.path).join(', ')}); delete them first.`,
        'uuid',
      );
    }
    await inDomain({ referenced: ONTAP_CODES.volumeNotEmpty }, () => ctx.services.volumes.delete(volume.id));
    reply.code(202);
    return jobReference(ctx.jobs.done(`DELETE /api/storage/volumes/${volume.uuid}`));
  });
}

function sizeOf(flat: FlatBody): number | undefined {
  const size = (flat.size ?? flat['space.size']) as number | undefined;
  if (flat.size !== undefined && flat['space.size'] !== undefined && flat.size !== flat['space.size']) {
    throw new OntapError(400, ONTAP_CODES.invalidValue, '"size" and "space.size" disagree.', 'size');
  }
  return size;
}

function checkState(flat: FlatBody): void {
  if (flat.state !== undefined && flat.state !== 'online') {
    throw new OntapError(400, ONTAP_CODES.invalidValue, `sanbox keeps volumes online; "${String(flat.state)}" is not served.`, 'state');
  }
}

function echoedAnnotations(flat: FlatBody): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const key of Object.keys(ECHOED)) {
    const v = flat[key];
    if (v === undefined) continue;
    if (key === 'guarantee.type' && v !== 'none' && v !== 'volume') throw invalidValue(key, v, 'enum');
    if (key === 'nas.path' && v !== '') throw notSettable('nas.path');
    out[A + key] = v as string;
  }
  return out;
}

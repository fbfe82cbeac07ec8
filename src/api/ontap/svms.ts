/**
 * /api/svm/svms: an SVM is a tenant. Create gives it a uuid and answers 202 with a job
 * that is already done (ONTAP creates SVMs asynchronously); delete is refused while the
 * tenant owns anything. What ONTAP keeps on an SVM that sanbox does not act on (comment,
 * language, snapshot policy, max_volumes, which protocols are allowed, its aggregates)
 * is kept as annotations and echoed. `state: stopped` stops it serving; `iscsi.enabled`
 * is its iSCSI service's switch.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Tenant } from '../../domain/entities.js';
import { type BodySpec, type FlatBody, namedRefs, readBody } from './body.js';
import { type Resource, collection, fieldPaths, instance } from './collection.js';
import { IPSPACE, type OntapContext, checkWriteParams } from './context.js';
import { ONTAP_CODES, OntapError, inDomain, invalidValue, notSettable } from './errors.js';
import { jobReference } from './jobs.js';

const PROTOCOLS = ['cifs', 'fcp', 'iscsi', 'nfs', 'nvme', 'ndmp'] as const;
const A = 'ontap.';

const protocolSpec = Object.fromEntries(
  PROTOCOLS.flatMap((p) => [
    [`${p}.allowed`, 'boolean'],
    [`${p}.enabled`, 'boolean'],
  ]),
);

const CREATE: BodySpec = {
  name: 'string',
  comment: 'string',
  language: 'string',
  subtype: 'string',
  ipspace: 'string',
  'ipspace.name': 'string',
  snapshot_policy: 'string',
  'snapshot_policy.name': 'string',
  max_volumes: 'string',
  aggregates: 'array',
  state: 'string',
  ...protocolSpec,
};
const MODIFY: BodySpec = { ...CREATE };

export function svmRecord(ctx: OntapContext, t: Tenant) {
  const a = ctx.services.annotations.of(t.uuid);
  const service = ctx.services.iscsiServices.of(t.id);
  const pools = new Map(ctx.services.pools.list().items.map((m) => [m.pool.uuid, m.pool]));
  const aggregates = (JSON.parse(a[`${A}aggregates`] ?? '[]') as string[])
    .filter((u) => pools.has(u))
    .map((u) => ({ uuid: u, name: pools.get(u)!.name, _links: { self: { href: `/api/storage/aggregates/${u}` } } }));
  const protocol = (p: (typeof PROTOCOLS)[number]) => {
    if (p === 'iscsi') {
      return {
        allowed: a[`${A}allowed.iscsi`] !== 'false',
        enabled: service !== null && t.iscsiEnabled,
        ...(service ? { _links: { self: { href: `/api/protocols/san/iscsi/services/${t.uuid}` } } } : {}),
      };
    }
    return { allowed: a[`${A}allowed.${p}`] === 'true', enabled: false };
  };
  return {
    uuid: t.uuid,
    name: t.name,
    subtype: 'default',
    state: t.running ? 'running' : 'stopped',
    comment: a[`${A}comment`] ?? '',
    language: a[`${A}language`] ?? 'c.utf_8',
    ipspace: { name: IPSPACE },
    snapshot_policy: { name: a[`${A}snapshot_policy`] ?? 'default' },
    max_volumes: a[`${A}max_volumes`] ?? 'unlimited',
    aggregates,
    ...Object.fromEntries(PROTOCOLS.map((p) => [p, protocol(p)])),
    _links: { self: { href: `/api/svm/svms/${t.uuid}` } },
  };
}

/** The SVM resource's shape, from a record of the default SVM (its fields do not depend on which). */
function svmResource(ctx: OntapContext): Resource {
  return {
    path: '/api/svm/svms',
    fields: fieldPaths(svmRecord(ctx, ctx.services.tenants.get(1)), ['iscsi._links']),
    collectionDefaults: ['uuid', 'name'],
    keys: ['uuid', 'name'],
    expensive: [],
  };
}

/** Annotations and tenant changes a body asks for. */
function annotationsOf(ctx: OntapContext, flat: FlatBody, creating: boolean): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  const str = (path: string) => flat[path] as string | undefined;
  if (str('comment') !== undefined) out[`${A}comment`] = str('comment')!;
  if (str('language') !== undefined) out[`${A}language`] = str('language')!;
  const policy = str('snapshot_policy.name') ?? str('snapshot_policy');
  if (policy !== undefined) out[`${A}snapshot_policy`] = policy;
  if (str('max_volumes') !== undefined) {
    const v = str('max_volumes')!;
    if (v !== 'unlimited' && !/^\d{1,9}$/.test(v)) throw invalidValue('max_volumes', v, 'string');
    out[`${A}max_volumes`] = v;
  }
  const ipspace = str('ipspace.name') ?? str('ipspace');
  if (ipspace !== undefined) {
    if (!creating) throw notSettable('ipspace');
    if (ipspace !== IPSPACE) throw new OntapError(400, ONTAP_CODES.entryMissing, `IPspace "${ipspace}" does not exist.`, 'ipspace.name');
  }
  const subtype = str('subtype');
  if (subtype !== undefined && subtype !== 'default') {
    throw new OntapError(400, ONTAP_CODES.invalidValue, `sanbox serves SVMs of subtype "default" only.`, 'subtype');
  }
  for (const p of PROTOCOLS) {
    const allowed = flat[`${p}.allowed`];
    if (allowed !== undefined) out[`${A}allowed.${p}`] = String(allowed);
    if (p !== 'iscsi' && flat[`${p}.enabled`] === true) {
      throw new OntapError(400, ONTAP_CODES.invalidValue, `sanbox serves iSCSI only; ${p} cannot be enabled.`, `${p}.enabled`);
    }
  }
  if (flat.aggregates !== undefined) {
    const pools = ctx.services.pools.list().items.map((m) => m.pool);
    const uuids = namedRefs('aggregates', flat.aggregates).map((ref) => {
      const pool = pools.find((p) => (ref.uuid ? p.uuid === ref.uuid : p.name === ref.name));
      if (!pool) throw new OntapError(400, ONTAP_CODES.entryMissing, `Aggregate "${ref.name ?? ref.uuid}" does not exist.`, 'aggregates');
      return pool.uuid;
    });
    out[`${A}aggregates`] = JSON.stringify(uuids);
  }
  return out;
}

function runningOf(flat: FlatBody): boolean | undefined {
  const state = flat.state;
  if (state === undefined) return undefined;
  if (state !== 'running' && state !== 'stopped') throw invalidValue('state', state, 'enum');
  return state === 'running';
}

export function svmRoutes(app: FastifyInstance, ctx: OntapContext): void {
  // Module state would be shared by every app in a process: the shape is the routes' own.
  let shape: Resource | null = null;
  const resource = () => (shape ??= svmResource(ctx));
  const SVM_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,46}$/;
  const visible = (request: FastifyRequest) => {
    const scoped = ctx.scopedSvm(request);
    return ctx.services.tenants.list().filter((t) => !scoped || t.id === scoped.id);
  };

  app.get('/svm/svms', async (request) =>
    collection(
      request,
      resource(),
      visible(request).map((t) => svmRecord(ctx, t)),
    ),
  );

  app.get<{ Params: { uuid: string } }>('/svm/svms/:uuid', async (request) => {
    const svm = ctx.svmByUuid(request.params.uuid, 'uuid');
    return instance(request, resource(), svmRecord(ctx, svm));
  });

  app.post('/svm/svms', async (request, reply) => {
    checkWriteParams(request);
    const flat = readBody(request.body, CREATE);
    const name = flat.name;
    if (typeof name !== 'string' || name === '') throw new OntapError(400, ONTAP_CODES.missingArgument, 'Missing value for required field "name".', 'name');
    if (!SVM_NAME.test(name)) throw invalidValue('name', name, 'string');
    const annotations = annotationsOf(ctx, flat, true);
    const tenant = await namedUniquely(name, () => ctx.services.tenants.create({ name, iscsiEnabled: false, running: runningOf(flat) ?? true, annotations }));
    if (flat['iscsi.enabled'] === true) await ctx.services.iscsiServices.create(tenant.id, { name: iscsiTargetName(ctx, tenant) });
    const job = ctx.jobs.done(`POST /api/svm/svms/${tenant.uuid}`);
    reply.code(202).header('Location', `/api/svm/svms/${tenant.uuid}`);
    return jobReference(job);
  });

  app.patch<{ Params: { uuid: string } }>('/svm/svms/:uuid', async (request, reply) => {
    checkWriteParams(request);
    const svm = ctx.svmByUuid(request.params.uuid, 'uuid');
    const flat = readBody(request.body, MODIFY);
    if (flat.subtype !== undefined) throw notSettable('subtype');
    const name = flat.name as string | undefined;
    if (name !== undefined && !SVM_NAME.test(name)) throw invalidValue('name', name, 'string');
    const annotations = annotationsOf(ctx, flat, false);
    await namedUniquely(name, () => ctx.services.tenants.update(svm.id, { name, running: runningOf(flat), annotations }));
    const enabled = flat['iscsi.enabled'];
    if (typeof enabled === 'boolean') {
      if (ctx.services.iscsiServices.of(svm.id)) await ctx.services.iscsiServices.update(svm.id, { enabled });
      else if (enabled) await ctx.services.iscsiServices.create(svm.id, { name: iscsiTargetName(ctx, svm) });
    }
    reply.code(202);
    return jobReference(ctx.jobs.done(`PATCH /api/svm/svms/${svm.uuid}`));
  });

  app.delete<{ Params: { uuid: string } }>('/svm/svms/:uuid', async (request, reply) => {
    checkWriteParams(request);
    const svm = ctx.svmByUuid(request.params.uuid, 'uuid');
    // The domain's refusal counts portal groups, targets and extents: ONTAP's client knows LIFs, a service, LUNs.
    const holds = [
      [ctx.services.volumes.list(svm.id).length, 'volume(s)'],
      [ctx.services.initiatorGroups.list().items.filter((g) => g.tenantId === svm.id).length, 'igroup(s)'],
      [ctx.services.portalGroups.list().items.filter((pg) => pg.tenantId === svm.id).length, 'LIF(s)'],
      [ctx.services.iscsiServices.of(svm.id) ? 1 : 0, 'iSCSI service'],
    ].filter(([n]) => n !== 0);
    if (holds.length) {
      throw new OntapError(
        400,
        ONTAP_CODES.svmNotEmpty,
        `SVM "${svm.name}" cannot be deleted while it holds ${holds.map(([n, what]) => `${n} ${what}`).join(', ')}.`,
        'uuid',
      );
    }
    await inDomain({ referenced: ONTAP_CODES.svmNotEmpty }, () => ctx.services.tenants.delete(svm.id));
    reply.code(202);
    return jobReference(ctx.jobs.done(`DELETE /api/svm/svms/${svm.uuid}`));
  });
}

/** A create or rename, its duplicate name refused in ONTAP's words (the domain's speak of a tenant). */
async function namedUniquely<T>(name: string | undefined, work: () => Promise<T>): Promise<T> {
  try {
    return await inDomain({ duplicate: '13434920' }, work);
  } catch (e) {
    if (e instanceof OntapError && e.code === '13434920') throw new OntapError(400, '13434920', `Duplicate SVM name "${name}".`, 'name');
    throw e;
  }
}

/** ONTAP's target name for an SVM: the cluster's serial number (its uuid's hex) and the SVM's number. */
export function iscsiTargetName(ctx: OntapContext, t: Tenant): string {
  const serial = ctx.services.site.identity().clusterUuid.replace(/-/g, '');
  return `iqn.1992-08.com.netapp:sn.${serial}:vs.${t.id}`;
}

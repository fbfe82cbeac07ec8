/**
 * /v9/storage/iscsi-targets, the seed: a target of a virtual server (tenant), served on
 * every address of it. `alias` is its name within the server (unique there, and its
 * TargetAlias on the wire); `globalUniqueName` its IQN, `<basename>:<server>.<alias>-<n>`,
 * made anew by `regenerateGUN` (sessions end; discovery shows only the new name).
 * `accessConfig` and `enableAuthentication` + `secret` are the target's own access
 * (domain/target-access.ts); the CHAP user an initiator gives is the target's alias.
 * Its logical units are managed through /iscsi-targets/{id}/iscsi-logical-units.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Target } from '../../domain/entities.js';
import { parseAccessConfig } from './access-config.js';
import { type HnasContext, boundedText, readBody } from './context.js';
import { inDomain, invalidParameter, notFound } from './errors.js';
import { logicalUnitOf } from './logical-units.js';
import { objectId, parseObjectId } from './object-ids.js';
import { evsById } from './virtual-servers.js';

const FILE = 'api/hnas/targets.ts';
const A = 'hnas.';
/** HNAS's upper bound; the lower one admits the seed's own example ("secret1234"). */
const SECRET_MIN = 10;
const SECRET_MAX = 16;

const CREATE = {
  alias: 'string',
  comment: 'string',
  virtualServerId: 'integer',
  accessConfig: 'string',
  enableAuthentication: 'boolean',
  secret: 'string',
} as const;
const MODIFY = {
  alias: 'string',
  comment: 'string',
  accessConfig: 'string',
  enableAuthentication: 'boolean',
  secret: 'string',
  regenerateGUN: 'boolean',
} as const;

export function targetRoutes(app: FastifyInstance, ctx: HnasContext): void {
  const record = (t: Target) => {
    const a = ctx.services.annotations.of(t.uuid);
    const access = ctx.services.targetAccess.accessOf(t);
    const extents = new Map(ctx.services.extents.list().items.map((e) => [e.id, e]));
    return {
      accessConfig: a[`${A}accessConfig`] ?? '',
      alias: t.alias ?? '',
      comment: a[`${A}comment`] ?? '',
      globalUniqueName: t.name,
      isAuthenticationEnabled: access.chap !== null,
      iscsiLogicalUnits: ctx.services.luns
        .list()
        .items.filter((l) => l.targetId === t.id)
        .sort((x, y) => x.lun - y.lun)
        .flatMap((l) => {
          const e = extents.get(l.extentId);
          return e ? [{ logicalUnit: l.lun, logicalUnitAlias: e.name, objectId: objectId(e.tenantId, 'lu', e.id) }] : [];
        }),
      objectId: objectId(t.tenantId, 'target', t.id),
      secret: access.chap?.secret ?? a[`${A}secret`] ?? '',
      virtualServerId: t.tenantId,
    };
  };
  const hnasTargets = () => ctx.services.targets.list().items.filter((t) => t.allTenantPortals);
  const answer = (t: Target) => {
    const r = record(t);
    return { iscsiTarget: r, uri: `/v9/storage/iscsi-targets/${r.objectId}` };
  };

  app.get<{ Querystring: { virtualServerId?: string } }>('/iscsi-targets', async (request) => {
    const filter = virtualServerFilter(request.query);
    const items = ctx.visible(request, hnasTargets(), (t) => t.tenantId).filter((t) => filter === null || t.tenantId === filter);
    return { iscsiTargets: items.map(record) };
  });

  app.get<{ Params: { id: string } }>('/iscsi-targets/:id', async (request) => ({
    iscsiTarget: record(targetOf(ctx, request, request.params.id, 'getIscsiTarget')),
  }));

  app.post('/iscsi-targets', async (request, reply) => {
    const body = readBody(request.body, CREATE);
    const evs = evsById(ctx, request, body.virtualServerId);
    const alias = checkAlias(ctx, evs.id, body.alias, null);
    const comment = body.comment === undefined ? '' : boundedText('comment', body.comment, 0, 255);
    const accessText = (body.accessConfig as string | undefined) ?? '';
    const rules = parseAccessConfig(accessText);
    const secret = body.secret === undefined ? undefined : checkSecret(body.secret);
    if (body.enableAuthentication === true && secret === undefined) throw invalidParameter('secret', 'a secret is required to enable authentication');
    const { name, generation } = guniqueName(ctx, evs.name, alias, 0);
    const target = await inDomain({ fileName: FILE, function: 'createIscsiTarget' }, () =>
      ctx.services.targetAccess.create(
        { tenantId: evs.id, name, alias, allTenantPortals: true },
        { rules, chap: body.enableAuthentication === true ? { user: alias, secret: secret! } : null },
        {
          [`${A}accessConfig`]: accessText,
          [`${A}comment`]: comment,
          [`${A}generation`]: String(generation),
          ...(secret !== undefined ? { [`${A}secret`]: secret } : {}),
        },
      ),
    );
    const made = answer(target);
    reply.code(201).header('Location', made.uri);
    return made;
  });

  app.patch<{ Params: { id: string } }>('/iscsi-targets/:id', async (request, reply) => {
    const target = targetOf(ctx, request, request.params.id, 'updateIscsiTarget');
    const body = readBody(request.body, MODIFY);
    const a = ctx.services.annotations.of(target.uuid);
    const alias = body.alias === undefined ? (target.alias ?? '') : checkAlias(ctx, target.tenantId, body.alias, target.id);
    const comment = body.comment === undefined ? undefined : boundedText('comment', body.comment, 0, 255);
    const accessText = body.accessConfig as string | undefined;
    const rules = accessText === undefined ? undefined : parseAccessConfig(accessText);
    const secret = body.secret === undefined ? (a[`${A}secret`] ?? undefined) : checkSecret(body.secret);
    const current = ctx.services.targetAccess.accessOf(target);
    const authOn = (body.enableAuthentication as boolean | undefined) ?? current.chap !== null;
    if (authOn && secret === undefined) throw invalidParameter('secret', 'a secret is required to enable authentication');
    const evs = ctx.services.tenants.get(target.tenantId);
    const generationNow = Number(a[`${A}generation`] ?? '0');
    const fresh = body.regenerateGUN === true ? guniqueName(ctx, evs.name, alias, generationNow + 1) : undefined;
    const name = fresh?.name;
    const generation = fresh?.generation ?? generationNow;
    const updated = await inDomain({ fileName: FILE, function: 'updateIscsiTarget' }, () =>
      ctx.services.targetAccess.update(
        target.id,
        { alias, ...(name !== undefined ? { name } : {}) },
        { ...(rules !== undefined ? { rules } : {}), chap: authOn ? { user: alias, secret: secret! } : null },
        {
          ...(accessText !== undefined ? { [`${A}accessConfig`]: accessText } : {}),
          ...(comment !== undefined ? { [`${A}comment`]: comment } : {}),
          ...(secret !== undefined ? { [`${A}secret`]: secret } : {}),
          [`${A}generation`]: String(generation),
        },
      ),
    );
    const out = answer(updated);
    reply.code(303).header('Location', out.uri);
    return out;
  });

  app.delete<{ Params: { id: string } }>('/iscsi-targets/:id', async (request, reply) => {
    const target = targetOf(ctx, request, request.params.id, 'deleteIscsiTarget');
    await inDomain({ fileName: FILE, function: 'deleteIscsiTarget' }, () => ctx.services.targetAccess.delete(target.id));
    return reply.code(204).send();
  });

  // ---- the target's logical units ----
  app.post<{ Params: { id: string } }>('/iscsi-targets/:id/iscsi-logical-units', async (request, reply) => {
    const target = targetOf(ctx, request, request.params.id, 'addIscsiLogicalUnit');
    const body = readBody(request.body, { logicalUnit: 'integer', logicalUnitObjectId: 'string' });
    if (body.logicalUnitObjectId === undefined) throw invalidParameter('logicalUnitObjectId', 'the parameter is required');
    const lu = logicalUnitOf(ctx, request, body.logicalUnitObjectId as string, 'addIscsiLogicalUnit');
    if (lu.tenantId !== target.tenantId) throw invalidParameter('logicalUnitObjectId', 'the logical unit belongs to another virtual server');
    if (body.logicalUnit !== undefined && ((body.logicalUnit as number) < 0 || (body.logicalUnit as number) > 255)) {
      throw invalidParameter('logicalUnit', 'the LUN must be between 0 and 255');
    }
    await inDomain({ fileName: FILE, function: 'addIscsiLogicalUnit' }, () =>
      ctx.services.luns.create({ tenantId: target.tenantId, targetId: target.id, extentId: lu.id, lun: (body.logicalUnit as number | undefined) ?? null }),
    );
    const out = answer(ctx.services.targets.get(target.id));
    reply.code(201).header('Location', out.uri);
    return out;
  });

  app.delete<{ Params: { id: string; lun: string } }>('/iscsi-targets/:id/iscsi-logical-units/:lun', async (request, reply) => {
    const target = targetOf(ctx, request, request.params.id, 'removeIscsiLogicalUnit');
    if (!/^\d{1,3}$/.test(request.params.lun)) throw invalidParameter('logicalUnit', 'the LUN must be between 0 and 255');
    const lun = ctx.services.luns.list().items.find((l) => l.targetId === target.id && l.lun === Number(request.params.lun));
    if (!lun) throw notFound('logical unit mapping', { fileName: FILE, function: 'removeIscsiLogicalUnit' });
    await inDomain({ fileName: FILE, function: 'removeIscsiLogicalUnit' }, () => ctx.services.luns.delete(lun.id));
    return reply.code(204).send();
  });
}

/** An HNAS target the id names, visible to the request. */
function targetOf(ctx: HnasContext, request: FastifyRequest, id: string, fn: string): Target {
  const parsed = parseObjectId(id);
  const target = parsed?.kind === 'target' ? ctx.services.targets.list().items.find((t) => t.id === parsed.id && t.allTenantPortals) : undefined;
  if (!target || target.tenantId !== parsed!.evs) throw notFound('iSCSI target', { fileName: FILE, function: fn });
  ctx.assertMay(request, target.tenantId);
  return target;
}

function virtualServerFilter(query: { virtualServerId?: string }): number | null {
  const v = query.virtualServerId;
  if (v === undefined) return null;
  if (typeof v !== 'string' || !/^\d{1,3}$/.test(v)) throw invalidParameter('virtualServerId', 'the parameter must be an integer');
  return Number(v);
}

function checkAlias(ctx: HnasContext, tenantId: number, value: unknown, selfId: number | null): string {
  const alias = boundedText('alias', value, 1, 64);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters (and spaces) is the point
  if (/[\x00-\x20\x7f]/.test(alias)) throw invalidParameter('alias', 'the alias has printable characters and no spaces');
  const twin = ctx.services.targets.list().items.find((t) => t.tenantId === tenantId && t.id !== selfId && t.alias === alias);
  if (twin) throw invalidParameter('alias', `a target with alias "${alias}" already exists on this virtual server`);
  return alias;
}

function checkSecret(value: unknown): string {
  const secret = boundedText('secret', value, SECRET_MIN, SECRET_MAX);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\x00-\x1f\x7f]/.test(secret)) throw invalidParameter('secret', 'the secret has printable characters only');
  return secret;
}

/**
 * `<basename>:<server>.<alias>-<generation>`, lower-cased, with what an IQN cannot hold as
 * '-', at the first generation from `from` that no target holds: a renamed target keeps its
 * old name, and aliases differing in case or punctuation slug alike, so a free alias alone
 * does not make a free name.
 */
function guniqueName(ctx: HnasContext, server: string, alias: string, from: number): { name: string; generation: number } {
  const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9.-]/g, '-');
  const basename = ctx.services.globals.get().basename;
  const taken = new Set(ctx.services.targets.list().items.map((t) => t.name));
  let generation = from;
  while (taken.has(`${basename}:${slug(server)}.${slug(alias)}-${generation}`)) generation++;
  return { name: `${basename}:${slug(server)}.${slug(alias)}-${generation}`, generation };
}

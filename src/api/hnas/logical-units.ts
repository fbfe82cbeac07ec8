/**
 * /v9/storage/iscsi-logical-units: the LUs a virtual server offers, sanbox's extents of
 * its tenant: an image file in a pool (`path` as /mnt/<pool>/<file>; by default
 * /mnt/default/<server>-<name>.iscsi) or a range of an iscsi or device pool, `size` in
 * bytes (it grows, never shrinks), `used` the bytes it really holds. Deleting one a target
 * still offers is refused. A target offers one at a LUN through
 * /iscsi-targets/{id}/iscsi-logical-units.
 */
import fs from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Extent } from '../../domain/entities.js';
import { type HnasContext, boundedText, readBody } from './context.js';
import { inDomain, invalidParameter, notFound } from './errors.js';
import { objectId, parseObjectId } from './object-ids.js';
import { evsById } from './virtual-servers.js';

const FILE = 'api/hnas/logical-units.ts';
const LU_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function logicalUnitRoutes(app: FastifyInstance, ctx: HnasContext): void {
  const record = (e: Extent) => ({
    objectId: objectId(e.tenantId, 'lu', e.id),
    name: e.name,
    path: e.displayPath ?? e.path,
    size: e.sizeBytes,
    used: usedBytes(e),
    comment: e.comment,
    virtualServerId: e.tenantId,
    isReadOnly: e.readOnly,
    targets: ctx.services.luns
      .list()
      .items.filter((l) => l.extentId === e.id)
      .map((l) => {
        const t = ctx.services.targets.get(l.targetId);
        return { logicalUnit: l.lun, objectId: objectId(t.tenantId, 'target', t.id), globalUniqueName: t.name };
      }),
  });
  const answer = (e: Extent) => {
    const r = record(e);
    return { iscsiLogicalUnit: r, uri: `/v9/storage/iscsi-logical-units/${r.objectId}` };
  };

  app.get<{ Querystring: { virtualServerId?: string } }>('/iscsi-logical-units', async (request) => {
    const v = request.query.virtualServerId;
    if (v !== undefined && (typeof v !== 'string' || !/^\d{1,3}$/.test(v))) throw invalidParameter('virtualServerId', 'the parameter must be an integer');
    const items = ctx.visible(request, ctx.services.extents.list().items, (e) => e.tenantId).filter((e) => v === undefined || e.tenantId === Number(v));
    return { iscsiLogicalUnits: items.map(record) };
  });

  app.get<{ Params: { id: string } }>('/iscsi-logical-units/:id', async (request) => ({
    iscsiLogicalUnit: record(logicalUnitOf(ctx, request, request.params.id, 'getIscsiLogicalUnit')),
  }));

  app.post('/iscsi-logical-units', async (request, reply) => {
    const body = readBody(request.body, { name: 'string', virtualServerId: 'integer', size: 'integer', path: 'string', comment: 'string' });
    const evs = evsById(ctx, request, body.virtualServerId);
    const name = boundedText('name', body.name, 1, 64);
    if (!LU_NAME.test(name))
      throw invalidParameter('name', 'the name starts with a letter or digit and has up to 64 letters, digits, dots, dashes or underscores');
    if (body.size === undefined || (body.size as number) < 1) throw invalidParameter('size', 'the size is a positive number of bytes');
    const path = (body.path as string | undefined) ?? `/mnt/default/${evs.name}-${name}.iscsi`;
    const extent = await inDomain({ fileName: FILE, function: 'createIscsiLogicalUnit' }, () =>
      ctx.services.extents.create({
        tenantId: evs.id,
        name,
        type: 'File',
        path,
        size: String(body.size),
        comment: body.comment === undefined ? '' : boundedText('comment', body.comment, 0, 120),
      }),
    );
    const made = answer(extent);
    reply.code(201).header('Location', made.uri);
    return made;
  });

  app.patch<{ Params: { id: string } }>('/iscsi-logical-units/:id', async (request, reply) => {
    const extent = logicalUnitOf(ctx, request, request.params.id, 'updateIscsiLogicalUnit');
    const body = readBody(request.body, { size: 'integer', comment: 'string' });
    // As in create: a positive size (0 was taken as "no change", a negative one answered in FreeNAS's words).
    if (body.size !== undefined && (body.size as number) < 1) throw invalidParameter('size', 'the size is a positive number of bytes');
    const updated = await inDomain({ fileName: FILE, function: 'updateIscsiLogicalUnit' }, () =>
      ctx.services.extents.update(extent.id, {
        ...(body.size !== undefined ? { size: String(body.size) } : {}),
        ...(body.comment !== undefined ? { comment: boundedText('comment', body.comment, 0, 120) } : {}),
      }),
    );
    const out = answer(updated);
    reply.code(303).header('Location', out.uri);
    return out;
  });

  app.delete<{ Params: { id: string } }>('/iscsi-logical-units/:id', async (request, reply) => {
    const extent = logicalUnitOf(ctx, request, request.params.id, 'deleteIscsiLogicalUnit');
    await inDomain({ fileName: FILE, function: 'deleteIscsiLogicalUnit' }, () => ctx.services.extents.delete(extent.id));
    return reply.code(204).send();
  });
}

/** The extent an LU object id names, visible to the request. */
export function logicalUnitOf(ctx: HnasContext, request: FastifyRequest, id: string, fn: string): Extent {
  const parsed = parseObjectId(id);
  const extent = parsed?.kind === 'lu' ? ctx.services.extents.list().items.find((e) => e.id === parsed.id) : undefined;
  if (!extent || extent.tenantId !== parsed!.evs) throw notFound('logical unit', { fileName: FILE, function: fn });
  ctx.assertMay(request, extent.tenantId);
  return extent;
}

/** Bytes an image really holds (a sparse file counts what it holds); a carved range all of it. */
function usedBytes(e: Extent): number {
  if (e.poolRange || e.type !== 'File') return e.sizeBytes;
  try {
    return Math.min(e.sizeBytes, fs.statSync(e.path).blocks * 512);
  } catch {
    return 0;
  }
}

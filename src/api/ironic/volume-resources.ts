/**
 * /v1/volume/connectors and /v1/volume/targets (and the same under /volume, where bookmark
 * links point, and node-scoped lists under /v1/nodes/{node}/volume/...): one set of routes
 * over two resources that differ only in their fields, as Ironic's are.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { VolumeConnector, VolumeTarget } from '../../domain/entities.js';
import type { ConnectorInput, VolumeTargetInput } from '../../domain/volume-attachments.js';
import { applyPatch, checkQuery, fieldsOf, links, listOptions, masked, page, project } from './common.js';
import type { IronicContext } from './context.js';
import { IronicError, inDomain } from './errors.js';
import { VOLUME_VERSION } from './versions.js';

type Kind = 'connectors' | 'targets';

interface Spec<T extends { id: number; uuid: string; nodeId: number }, I> {
  kind: Kind;
  /** Ironic's name for one, in messages ("Volume connector"), and in bodies' errors ("volume_connector"). */
  label: string;
  argument: string;
  /** The name Ironic's controller gives the request body ("connector"), in schema errors. */
  body: string;
  fields: readonly string[];
  defaults: readonly string[];
  /** Body keys of a create. */
  creatable: readonly string[];
  patchable: readonly string[];
  list(ctx: IronicContext): T[];
  get(ctx: IronicContext, uuid: string): T;
  record(ctx: IronicContext, request: FastifyRequest, item: T): Record<string, unknown>;
  /** What a PATCH applies to: the record with its secrets as stored. */
  document(ctx: IronicContext, request: FastifyRequest, item: T): Record<string, unknown>;
  input(body: Record<string, unknown>, nodeId: number | undefined): I;
  create(ctx: IronicContext, input: I): Promise<T>;
  update(ctx: IronicContext, uuid: string, input: I): Promise<T>;
  delete(ctx: IronicContext, uuid: string): Promise<void>;
}

const connectorSpec: Spec<VolumeConnector, ConnectorInput> = {
  kind: 'connectors',
  label: 'Volume connector',
  argument: 'volume_connector',
  body: 'connector',
  fields: ['uuid', 'type', 'connector_id', 'node_uuid', 'extra', 'created_at', 'updated_at', 'links'],
  defaults: ['uuid', 'node_uuid', 'type', 'connector_id', 'links'],
  creatable: ['uuid', 'node_uuid', 'type', 'connector_id', 'extra'],
  patchable: ['connector_id', 'extra', 'node_uuid', 'type'],
  list: (ctx) => ctx.services.volumeConnectors.list(),
  get: (ctx, uuid) => ctx.services.volumeConnectors.get(uuid),
  record: (ctx, request, c) => ({
    uuid: c.uuid,
    type: c.type,
    connector_id: c.connectorId,
    node_uuid: ctx.nodeUuid(c.nodeId),
    extra: c.extra,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    links: links(request, `volume/connectors/${c.uuid}`),
  }),
  document: (ctx, request, c) => connectorSpec.record(ctx, request, c),
  input: (b, nodeId) => ({
    uuid: b.uuid as string | undefined,
    nodeId,
    type: b.type as string | undefined,
    connectorId: b.connector_id as string | undefined,
    extra: b.extra as Record<string, unknown> | undefined,
  }),
  create: (ctx, i) => ctx.services.volumeConnectors.create(i),
  update: (ctx, uuid, i) => ctx.services.volumeConnectors.update(uuid, i),
  delete: (ctx, uuid) => ctx.services.volumeConnectors.delete(uuid),
};

const targetSpec: Spec<VolumeTarget, VolumeTargetInput> = {
  kind: 'targets',
  label: 'Volume target',
  argument: 'volume_target',
  body: 'target',
  fields: ['uuid', 'volume_type', 'properties', 'boot_index', 'volume_id', 'extra', 'node_uuid', 'created_at', 'updated_at', 'links'],
  defaults: ['uuid', 'node_uuid', 'volume_type', 'boot_index', 'volume_id', 'links'],
  creatable: ['uuid', 'node_uuid', 'volume_type', 'properties', 'boot_index', 'volume_id', 'extra'],
  patchable: ['boot_index', 'extra', 'node_uuid', 'properties', 'volume_id', 'volume_type'],
  list: (ctx) => ctx.services.volumeTargets.list(),
  get: (ctx, uuid) => ctx.services.volumeTargets.get(uuid),
  record: (ctx, request, t) => ({
    uuid: t.uuid,
    volume_type: t.volumeType,
    properties: masked(t.properties),
    boot_index: t.bootIndex,
    volume_id: t.volumeId,
    extra: t.extra,
    node_uuid: ctx.nodeUuid(t.nodeId),
    created_at: t.createdAt,
    updated_at: t.updatedAt,
    links: links(request, `volume/targets/${t.uuid}`),
  }),
  document: (ctx, request, t) => ({ ...targetSpec.record(ctx, request, t), properties: t.properties }),
  input: (b, nodeId) => ({
    uuid: b.uuid as string | undefined,
    nodeId,
    volumeType: b.volume_type as string | undefined,
    properties: b.properties as Record<string, unknown> | undefined,
    bootIndex: b.boot_index as number | undefined,
    volumeId: b.volume_id as string | undefined,
    extra: b.extra as Record<string, unknown> | undefined,
  }),
  create: (ctx, i) => ctx.services.volumeTargets.create(i),
  update: (ctx, uuid, i) => ctx.services.volumeTargets.update(uuid, i),
  delete: (ctx, uuid) => ctx.services.volumeTargets.delete(uuid),
};

/** Volume routes below a mount (`/v1` or the bookmark root), at volume/... */
/** Volume routes at `at` ('/volume' under /v1; '' in the bookmark mount at /volume). */
export function volumeRoutes(app: FastifyInstance, ctx: IronicContext, at: string): void {
  app.get(at === '' ? '/' : at, async (request) => {
    requireVolumeVersion(request);
    return {
      connectors: links(request, 'volume/connectors'),
      targets: links(request, 'volume/targets'),
      links: links(request, 'volume/'),
    };
  });
  for (const spec of [connectorSpec, targetSpec] as const) resourceRoutes(app, ctx, spec as Spec<{ id: number; uuid: string; nodeId: number }, unknown>, at);
}

/** {at}/{node}/volume/...: lists only (`at` '/nodes' under /v1, '' in the bookmark mount at /nodes). */
export function nodeVolumeRoutes(app: FastifyInstance, ctx: IronicContext, at: string): void {
  app.get<{ Params: { node: string } }>(`${at}/:node/volume`, async (request) => {
    requireVolumeVersion(request);
    const node = ctx.node(request.params.node);
    return {
      connectors: links(request, `nodes/${node.uuid}/volume/connectors`),
      targets: links(request, `nodes/${node.uuid}/volume/targets`),
      links: links(request, `nodes/${node.uuid}/volume/`),
    };
  });
  for (const spec of [connectorSpec, targetSpec] as const) {
    const s = spec as Spec<{ id: number; uuid: string; nodeId: number }, unknown>;
    app.get<{ Params: { node: string } }>(`${at}/:node/volume/${s.kind}`, async (request) => {
      requireVolumeVersion(request);
      const node = ctx.node(request.params.node);
      return listOf(ctx, s, request, node.id, `nodes/${node.uuid}/volume/${s.kind}`);
    });
    app.all(`${at}/:node/volume/${s.kind}/*`, async (request) => {
      requireVolumeVersion(request);
      throw new IronicError(400, 'Malformed request URI.');
    });
    for (const method of ['POST', 'PATCH', 'DELETE', 'PUT'] as const) {
      app.route({
        method,
        url: `${at}/:node/volume/${s.kind}`,
        handler: async (request) => {
          requireVolumeVersion(request);
          throw new IronicError(400, 'Malformed request URI.');
        },
      });
    }
  }
}

function requireVolumeVersion(request: FastifyRequest): void {
  if (request.ironicMinor < VOLUME_VERSION) throw new IronicError(404, 'The resource could not be found.');
}

function listOf(
  ctx: IronicContext,
  spec: Spec<{ id: number; uuid: string; nodeId: number }, unknown>,
  request: FastifyRequest,
  nodeId: number | null,
  path: string,
) {
  const query = checkQuery(
    request,
    nodeId === null ? ['node', 'fields', 'detail', 'limit', 'marker', 'sort_dir', 'sort_key'] : ['fields', 'detail', 'limit', 'marker', 'sort_dir', 'sort_key'],
  );
  const o = listOptions(query, spec.fields, ['extra', 'properties', 'links']);
  let scope = nodeId;
  const nodeIdent = typeof query.node === 'string' ? query.node : undefined;
  if (scope === null && nodeIdent !== undefined) scope = ctx.node(nodeIdent).id;
  const items = spec.list(ctx).filter((i) => scope === null || i.nodeId === scope);
  const records = new Map(items.map((i) => [i.uuid, spec.record(ctx, request, i)]));
  const { items: shown, next } = page(
    request,
    items,
    o,
    (i, key) => records.get(i.uuid)![key],
    (m) => new IronicError(404, `${spec.label} ${m} could not be found.`),
    path,
  );
  const fields = o.fields ?? (o.detail ? null : [...spec.defaults]);
  const body: Record<string, unknown> = { [spec.kind]: shown.map((i) => project(records.get(i.uuid)!, fields)) };
  if (next) body.next = next;
  return body;
}

function resourceRoutes(app: FastifyInstance, ctx: IronicContext, spec: Spec<{ id: number; uuid: string; nodeId: number }, unknown>, at: string): void {
  const base = `${at}/${spec.kind}`;
  const one = (uuid: string) => {
    // Ironic reads the path's id as a UUID: anything else is a bad request, not a missing object.
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uuid)) {
      throw new IronicError(400, `Expected UUID for ${spec.kind.slice(0, -1)}_uuid: ${uuid}`);
    }
    return inDomain(async () => spec.get(ctx, uuid), uuid);
  };

  app.get(base, async (request) => {
    requireVolumeVersion(request);
    return listOf(ctx, spec, request, null, `volume/${spec.kind}`);
  });

  app.get<{ Params: { uuid: string } }>(`${base}/:uuid`, async (request) => {
    requireVolumeVersion(request);
    const query = checkQuery(request, ['fields']);
    const item = await one(request.params.uuid);
    const fields = typeof query.fields === 'string' ? fieldsOf(query.fields, spec.fields) : null;
    return project(spec.record(ctx, request, item), fields);
  });

  app.post(base, async (request, reply) => {
    requireVolumeVersion(request);
    checkQuery(request, []);
    const body = objectBody(request.body, spec.argument);
    // Ironic validates the body with a JSON schema of additionalProperties: false, and says so in jsonschema's words.
    const unknown = Object.keys(body)
      .filter((key) => !spec.creatable.includes(key))
      .sort();
    if (unknown.length) {
      const names = unknown.map((k) => `'${k}'`).join(', ');
      throw new IronicError(
        400,
        `Schema error for ${spec.body}: Additional properties are not allowed (${names} ${unknown.length === 1 ? 'was' : 'were'} unexpected)`,
      );
    }
    for (const key of ['extra', 'properties']) {
      if (body[key] !== undefined && (typeof body[key] !== 'object' || body[key] === null || Array.isArray(body[key]))) {
        throw new IronicError(400, `Invalid input for field/attribute ${key}. Value: '${JSON.stringify(body[key])}'. Value should be a dictionary`);
      }
    }
    const nodeIdent = body.node_uuid;
    if (typeof nodeIdent !== 'string' || nodeIdent === '')
      throw new IronicError(400, 'Invalid input for field/attribute node_uuid. Value: None. Mandatory field missing.');
    const node = ctx.node(nodeIdent, 400);
    const made = await inDomain(() => spec.create(ctx, spec.input(body, node.id)), String(body.uuid ?? ''));
    const record = spec.record(ctx, request, made);
    reply.code(201).header('Location', `${(record.links as { href: string }[])[0]!.href}`);
    return record;
  });

  app.patch<{ Params: { uuid: string } }>(`${base}/:uuid`, async (request) => {
    requireVolumeVersion(request);
    checkQuery(request, []);
    const item = await one(request.params.uuid);
    const patched = applyPatch(spec.document(ctx, request, item), request.body, spec.patchable);
    const nodeIdent = patched.node_uuid;
    if (typeof nodeIdent !== 'string') throw new IronicError(400, 'Invalid input for field/attribute node_uuid. Value: None. Mandatory field missing.');
    const node = ctx.node(nodeIdent, 400);
    const input = spec.input({ ...patched, uuid: undefined }, node.id);
    const updated = await inDomain(() => spec.update(ctx, item.uuid, input), item.uuid);
    return spec.record(ctx, request, updated);
  });

  app.delete<{ Params: { uuid: string } }>(`${base}/:uuid`, async (request, reply) => {
    requireVolumeVersion(request);
    checkQuery(request, []);
    const item = await one(request.params.uuid);
    await inDomain(() => spec.delete(ctx, item.uuid), item.uuid);
    return reply.code(204).send();
  });
  // The api-ref's delete paths are singular (/v1/volume/connector/{id}); Ironic's are plural. Both are served.
  app.delete<{ Params: { uuid: string } }>(`${at}/${spec.kind.slice(0, -1)}/:uuid`, async (request, reply: FastifyReply) => {
    requireVolumeVersion(request);
    const item = await one(request.params.uuid);
    await inDomain(() => spec.delete(ctx, item.uuid), item.uuid);
    return reply.code(204).send();
  });
}

function objectBody(body: unknown, argument: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new IronicError(400, `Invalid input for field/attribute ${argument}. Value should be an object.`);
  return body as Record<string, unknown>;
}

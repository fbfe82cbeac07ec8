/**
 * /v1/nodes, as far as the volume rules need: create (uuid and name optional, driver),
 * list, get by uuid or name, delete (its connectors, targets and their exports go too),
 * and the power and provision state changes clients drive: PUT .../states/power (202,
 * applied before the answer) and .../states/provision (manage, provide, as openstacksdk's
 * create_node sends; applied at once, no cleaning or inspection).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { BareMetalNode } from '../../domain/entities.js';
import { checkQuery, fieldsOf, links, listOptions, page, project } from './common.js';
import type { IronicContext } from './context.js';
import { IronicError, inDomain } from './errors.js';
import { VOLUME_VERSION } from './versions.js';

const FIELDS = [
  'uuid',
  'name',
  'driver',
  'power_state',
  'target_power_state',
  'provision_state',
  'target_provision_state',
  'maintenance',
  'maintenance_reason',
  'instance_uuid',
  'extra',
  'properties',
  'driver_info',
  'instance_info',
  'last_error',
  'created_at',
  'updated_at',
  'links',
  'volume',
];
const DEFAULTS = ['uuid', 'name', 'instance_uuid', 'power_state', 'provision_state', 'maintenance', 'links'];
const POWER_TARGETS: Record<string, boolean | 'reboot'> = {
  'power on': true,
  'power off': false,
  'soft power off': false,
  rebooting: 'reboot',
  'soft rebooting': 'reboot',
};
/** Provision verbs and the state each leads to at once. */
const PROVISION: Record<string, { from: string[]; to: string }> = {
  manage: { from: ['enroll', 'available', 'manageable'], to: 'manageable' },
  provide: { from: ['manageable'], to: 'available' },
};

/** Node routes at `at` ('/nodes' under /v1; '' in the bookmark mount at /nodes). */
export function nodeRoutes(app: FastifyInstance, ctx: IronicContext, at: string): void {
  const record = (request: FastifyRequest, n: BareMetalNode) => ({
    uuid: n.uuid,
    name: n.name,
    driver: n.driver,
    power_state: n.powerState,
    target_power_state: null,
    provision_state: n.provisionState,
    target_provision_state: null,
    maintenance: false,
    maintenance_reason: null,
    instance_uuid: null,
    extra: {},
    properties: {},
    driver_info: {},
    instance_info: {},
    last_error: null,
    created_at: n.createdAt,
    updated_at: n.updatedAt,
    links: links(request, `nodes/${n.uuid}`),
    ...(request.ironicMinor >= VOLUME_VERSION ? { volume: links(request, `nodes/${n.uuid}/volume`) } : {}),
  });

  app.get(at === '' ? '/' : at, async (request) => {
    const query = checkQuery(request, [
      'fields',
      'detail',
      'limit',
      'marker',
      'sort_dir',
      'sort_key',
      'driver',
      'provision_state',
      'maintenance',
      'associated',
    ]);
    const o = listOptions(query, FIELDS, ['extra', 'properties', 'driver_info', 'instance_info', 'links', 'volume']);
    const records = new Map(ctx.services.nodes.list().map((n) => [n.uuid, record(request, n)]));
    const nodes = ctx.services.nodes
      .list()
      .filter(
        (n) =>
          (typeof query.driver !== 'string' || n.driver === query.driver) &&
          (typeof query.provision_state !== 'string' || n.provisionState === query.provision_state),
      );
    const { items, next } = page(
      request,
      nodes,
      o,
      (n, key) => records.get(n.uuid)![key as keyof ReturnType<typeof record>],
      (m) => new IronicError(404, `Node ${m} could not be found.`),
      'nodes',
    );
    const fields = o.fields ?? (o.detail ? null : DEFAULTS);
    return { nodes: items.map((n) => project(records.get(n.uuid)!, fields)), ...(next ? { next } : {}) };
  });

  app.get(`${at}/detail`, async (request) => ({ nodes: ctx.services.nodes.list().map((n) => record(request, n)) }));

  app.get<{ Params: { node: string } }>(`${at}/:node`, async (request) => {
    const query = checkQuery(request, ['fields']);
    const fields = typeof query.fields === 'string' ? fieldsOf(query.fields, FIELDS) : null;
    return project(record(request, ctx.node(request.params.node)), fields);
  });

  app.post(at === '' ? '/' : at, async (request, reply) => {
    checkQuery(request, []);
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new IronicError(400, 'Invalid input for field/attribute node. Value should be an object.');
    const b = body as Record<string, unknown>;
    const known = ['uuid', 'name', 'driver', 'provision_state', 'extra', 'properties', 'driver_info', 'instance_info', 'resource_class', 'network_interface'];
    for (const key of Object.keys(b)) if (!known.includes(key)) throw new IronicError(400, `Unknown attribute for argument node: ${key}`);
    if (typeof b.driver !== 'string' || b.driver === '')
      throw new IronicError(400, 'Invalid input for field/attribute driver. Value: None. Mandatory field missing.');
    if (b.provision_state !== undefined && b.provision_state !== 'enroll')
      throw new IronicError(400, 'Only the "enroll" provision state may be given to a new node.');
    const node = await inDomain(() =>
      ctx.services.nodes.create({ uuid: b.uuid as string | undefined, name: (b.name as string | null | undefined) ?? null, driver: b.driver as string }),
    );
    const r = record(request, node);
    reply.code(201).header('Location', r.links[0]!.href);
    return r;
  });

  app.delete<{ Params: { node: string } }>(`${at}/:node`, async (request, reply) => {
    const node = ctx.node(request.params.node);
    await inDomain(() => ctx.services.nodes.delete(node.uuid));
    return reply.code(204).send();
  });

  app.get<{ Params: { node: string } }>(`${at}/:node/states`, async (request) => {
    const n = ctx.node(request.params.node);
    return {
      power_state: n.powerState,
      target_power_state: null,
      provision_state: n.provisionState,
      target_provision_state: null,
      last_error: null,
      console_enabled: false,
    };
  });

  app.put<{ Params: { node: string } }>(`${at}/:node/states/power`, async (request, reply) => {
    const node = ctx.node(request.params.node);
    const b = (request.body ?? {}) as Record<string, unknown>;
    const target = b.target;
    if (typeof target !== 'string' || !(target in POWER_TARGETS)) {
      throw new IronicError(
        400,
        `Invalid input for field/attribute target. Value: '${String(target)}'. Value should be one of: ${Object.keys(POWER_TARGETS).join(', ')}`,
      );
    }
    const to = POWER_TARGETS[target]!;
    // A reboot leaves the node on.
    await inDomain(() => ctx.services.nodes.setPower(node.uuid, to === 'reboot' ? true : to));
    reply.code(202).header('Location', `${links(request, `nodes/${node.uuid}/states`)[0]!.href}`);
    return reply.send();
  });

  app.put<{ Params: { node: string } }>(`${at}/:node/states/provision`, async (request, reply) => {
    const node = ctx.node(request.params.node);
    const b = (request.body ?? {}) as Record<string, unknown>;
    const verb = PROVISION[String(b.target)];
    if (!verb) throw new IronicError(400, `The requested action "${String(b.target)}" is not supported here: sanbox's nodes take "manage" and "provide".`);
    if (!verb.from.includes(node.provisionState)) {
      throw new IronicError(
        400,
        `The requested action "${String(b.target)}" can not be performed on node "${node.uuid}" while it is in state "${node.provisionState}".`,
      );
    }
    await inDomain(() => ctx.services.nodes.setProvisionState(node.uuid, verb.to));
    reply.code(202);
    return reply.send();
  });
}

/**
 * /api/network/ip/interfaces: an iSCSI data LIF is a portal group of its SVM's tenant that
 * listens on one address, on the iSCSI port (3260) of `ip.address`. Only iSCSI service
 * policies are served (default-data-iscsi, default-data-blocks: sanbox has no NAS). The
 * LIF's home node is sanbox's one node; its home port, netmask and failover settings are
 * kept as annotations and echoed. `enabled: false` stops the address listening; `state`
 * is whether it listens now. The netmask is answered, as ONTAP does, as a prefix length.
 */
import net from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { formatListenAddress, parseListenAddress } from '../../domain/addresses.js';
import type { PortalGroup } from '../../domain/entities.js';
import { type BodySpec, type FlatBody, readBody } from './body.js';
import { type Resource, collection, fieldPaths, instance, wantsRecords } from './collection.js';
import { IPSPACE, NODE_NAME, type OntapContext, checkWriteParams, svmRef } from './context.js';
import { ONTAP_CODES, OntapError, entryMissing, inDomain, invalidValue, missingArgument, notSettable } from './errors.js';

const A = 'ontap.';
const ISCSI_POLICIES = ['default-data-iscsi', 'default-data-blocks'];
const LIF_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,251}$/;
const FAILOVER = ['home_port_only', 'default', 'home_node_only', 'sfo_partners_only', 'broadcast_domain_only'];

const COMMON: BodySpec = {
  name: 'string',
  enabled: 'boolean',
  'ip.address': 'string',
  'ip.netmask': 'string',
  'ip.family': 'string',
  'location.home_node.name': 'string',
  'location.home_node.uuid': 'string',
  'location.home_port': 'string',
  'location.home_port.name': 'string',
  'location.home_port.uuid': 'string',
  'location.home_port.node.name': 'string',
  'location.auto_revert': 'boolean',
  'location.failover': 'string',
  'location.broadcast_domain.name': 'string',
  service_policy: 'string',
  'service_policy.name': 'string',
  services: 'string-array',
  comment: 'string',
};
const CREATE: BodySpec = { ...COMMON, 'svm.name': 'string', 'svm.uuid': 'string', scope: 'string', 'ipspace.name': 'string', ipspace: 'string' };
const MODIFY: BodySpec = COMMON;

export function interfaceRoutes(app: FastifyInstance, ctx: OntapContext): void {
  const port = ctx.options.portalPort;
  const node = () => ({ uuid: ctx.services.site.identity().machineUuid, name: NODE_NAME });
  const lifs = () =>
    ctx.services.portalGroups
      .list()
      .items.filter((pg) => pg.listen.length === 1)
      .map((pg) => ({ pg, address: parseListenAddress(pg.listen[0]!)!, tenantId: pg.tenantId }));
  const record = ({ pg, address }: { pg: PortalGroup; address: { host: string; family: 4 | 6 } }) => {
    const a = ctx.services.annotations.of(pg.uuid);
    const listening = ctx.options.status.status().listeners.some((l) => l.address === pg.listen[0] && l.state === 'listening');
    const homePort = { name: a[`${A}home_port`] ?? 'e0a', node: { name: NODE_NAME } };
    const policy = a[`${A}service_policy`] ?? 'default-data-iscsi';
    return {
      uuid: pg.uuid,
      name: a[`${A}name`] ?? `lif_pg${pg.tag}`,
      svm: svmRef(ctx.services.tenants.get(pg.tenantId)),
      scope: 'svm',
      ipspace: { name: IPSPACE },
      ip: { address: address.host, netmask: a[`${A}netmask`] ?? (address.family === 4 ? '32' : '128'), family: address.family === 4 ? 'ipv4' : 'ipv6' },
      enabled: pg.enabled,
      state: pg.enabled && listening ? 'up' : 'down',
      location: {
        home_node: node(),
        home_port: homePort,
        node: node(),
        port: homePort,
        is_home: true,
        auto_revert: a[`${A}auto_revert`] === 'true',
        failover: a[`${A}failover`] ?? 'home_port_only',
        broadcast_domain: { name: IPSPACE },
      },
      service_policy: { name: policy },
      services: ['data_core', 'data_iscsi'],
      comment: pg.comment,
      _links: { self: { href: `/api/network/ip/interfaces/${pg.uuid}` } },
    };
  };
  let shape: Resource | null = null;
  const resource = () =>
    (shape ??= {
      path: '/api/network/ip/interfaces',
      fields: fieldPaths(record({ pg: { uuid: '', tenantId: 1, tag: 0, listen: [''], comment: '', enabled: true, id: 0 }, address: { host: '', family: 4 } }), [
        'dns_zone',
        'ddns_enabled',
        'probe_port',
        'subnet',
        'subnet.name',
        'vip',
      ]),
      collectionDefaults: ['uuid', 'name'],
      keys: ['uuid', 'name'],
      expensive: [],
    });
  const lifOf = (uuid: string, request: FastifyRequest) => {
    const l = lifs().find((x) => x.pg.uuid === uuid.toLowerCase());
    if (!l || !ctx.visibleTo(request, l.tenantId)) throw entryMissing('uuid');
    return l;
  };
  const nameTaken = (tenantId: number, name: string, selfId: number | null) =>
    lifs().some((l) => l.tenantId === tenantId && l.pg.id !== selfId && record(l).name === name);

  // sanbox has no Fibre Channel: the collection exists, empty (Ansible's interface module asks
  // it when a task does not say which kind of interface it means).
  const fcResource: Resource = {
    path: '/api/network/fc/interfaces',
    fields: [
      'uuid',
      'name',
      'svm',
      'svm.name',
      'svm.uuid',
      'wwpn',
      'wwnn',
      'data_protocol',
      'enabled',
      'state',
      'location',
      'location.home_port',
      'location.home_node',
    ],
    collectionDefaults: ['uuid', 'name'],
    keys: ['uuid', 'name'],
    expensive: [],
  };
  app.get('/network/fc/interfaces', async (request) => collection(request, fcResource, []));

  app.get('/network/ip/interfaces', async (request) => collection(request, resource(), ctx.inScope(request, lifs()).map(record)));
  app.get<{ Params: { uuid: string } }>('/network/ip/interfaces/:uuid', async (request) =>
    instance(request, resource(), record(lifOf(request.params.uuid, request))),
  );

  app.post('/network/ip/interfaces', async (request, reply) => {
    checkWriteParams(request);
    const flat = readBody(request.body, CREATE);
    const svm = ctx.svmOf(request, flat)!;
    if (flat.scope !== undefined && flat.scope !== 'svm') throw invalidValue('scope', flat.scope, 'enum');
    const ipspace = flat['ipspace.name'] ?? flat.ipspace;
    if (ipspace !== undefined && ipspace !== IPSPACE)
      throw new OntapError(400, ONTAP_CODES.entryMissing, `IPspace "${String(ipspace)}" does not exist.`, 'ipspace.name');
    const name = flat.name as string | undefined;
    if (name === undefined) throw missingArgument('name');
    if (!LIF_NAME.test(name)) throw invalidValue('name', name, 'string');
    if (nameTaken(svm.id, name, null)) throw new OntapError(400, ONTAP_CODES.duplicate, `Duplicate LIF name "${name}" in SVM "${svm.name}".`, 'name');
    const address = flat['ip.address'] as string | undefined;
    if (address === undefined) throw missingArgument('ip.address');
    const netmask = flat['ip.netmask'] as string | undefined;
    if (netmask === undefined) throw missingArgument('ip.netmask');
    const listen = listenOf(address, port);
    const group = await inDomain({ fields: { listen: 'ip.address' } }, () =>
      ctx.services.portalGroups.create({
        tenantId: svm.id,
        listen: [listen],
        comment: (flat.comment as string | undefined) ?? '',
        enabled: (flat.enabled as boolean | undefined) ?? true,
        annotations: { [`${A}name`]: name, [`${A}netmask`]: prefixOf(address, netmask), ...locationAnnotations(flat) },
      }),
    );
    reply.code(201).header('Location', `/api/network/ip/interfaces/${group.uuid}`);
    return wantsRecords(request) ? { num_records: 1, records: [record(lifOf(group.uuid, request))] } : {};
  });

  app.patch<{ Params: { uuid: string } }>('/network/ip/interfaces/:uuid', async (request) => {
    checkWriteParams(request);
    const lif = lifOf(request.params.uuid, request);
    const flat = readBody(request.body, MODIFY);
    const current = record(lif);
    const annotations: Record<string, string> = locationAnnotations(flat);
    if (flat.name !== undefined) {
      const name = flat.name as string;
      if (!LIF_NAME.test(name)) throw invalidValue('name', name, 'string');
      if (nameTaken(lif.tenantId, name, lif.pg.id)) throw new OntapError(400, ONTAP_CODES.duplicate, `Duplicate LIF name "${name}".`, 'name');
      annotations[`${A}name`] = name;
    }
    const address = (flat['ip.address'] as string | undefined) ?? current.ip.address;
    if (flat['ip.netmask'] !== undefined || flat['ip.address'] !== undefined) {
      annotations[`${A}netmask`] = prefixOf(address, (flat['ip.netmask'] as string | undefined) ?? current.ip.netmask);
    }
    await inDomain({ fields: { listen: 'ip.address' } }, () =>
      ctx.services.portalGroups.update(lif.pg.id, {
        ...(flat['ip.address'] !== undefined ? { listen: [listenOf(address, port)] } : {}),
        ...(flat.enabled !== undefined ? { enabled: flat.enabled as boolean } : {}),
        ...(flat.comment !== undefined ? { comment: flat.comment as string } : {}),
        annotations,
      }),
    );
    return {};
  });

  app.delete<{ Params: { uuid: string } }>('/network/ip/interfaces/:uuid', async (request) => {
    checkWriteParams(request);
    const lif = lifOf(request.params.uuid, request);
    await inDomain({}, () => ctx.services.portalGroups.delete(lif.pg.id));
    return {};
  });
}

function listenOf(address: string, port: number): string {
  const family = net.isIPv4(address) ? 4 : net.isIPv6(address) ? 6 : 0;
  if (family === 0) throw invalidValue('ip.address', address, 'IP address');
  const parsed = parseListenAddress(family === 6 ? `[${address}]:${port}` : `${address}:${port}`);
  if (!parsed) throw invalidValue('ip.address', address, 'IP address');
  return formatListenAddress(parsed);
}

/** A netmask as its prefix length ("255.0.0.0" and "8" are both "8"). */
function prefixOf(address: string, netmask: string): string {
  const max = net.isIPv6(address) ? 128 : 32;
  if (/^\d{1,3}$/.test(netmask) && Number(netmask) <= max) return String(Number(netmask));
  if (max === 32 && net.isIPv4(netmask)) {
    const bits = netmask
      .split('.')
      .map((o) => Number(o).toString(2).padStart(8, '0'))
      .join('');
    if (/^1*0*$/.test(bits)) return String(bits.indexOf('0') < 0 ? 32 : bits.indexOf('0'));
  }
  throw invalidValue('ip.netmask', netmask, 'netmask');
}

function locationAnnotations(flat: FlatBody): Record<string, string> {
  const out: Record<string, string> = {};
  const homeNode = (flat['location.home_node.name'] ?? flat['location.home_port.node.name']) as string | undefined;
  if (homeNode !== undefined && homeNode !== NODE_NAME) {
    throw new OntapError(400, ONTAP_CODES.entryMissing, `Node "${homeNode}" does not exist: sanbox's one node is "${NODE_NAME}".`, 'location.home_node.name');
  }
  const homePort = (flat['location.home_port.name'] ?? flat['location.home_port']) as string | undefined;
  if (homePort !== undefined) {
    if (!/^[a-z][a-z0-9]{1,14}$/.test(homePort)) throw invalidValue('location.home_port.name', homePort, 'port name');
    out[`${A}home_port`] = homePort;
  }
  if (flat['location.auto_revert'] !== undefined) out[`${A}auto_revert`] = String(flat['location.auto_revert']);
  const failover = flat['location.failover'];
  if (failover !== undefined) {
    if (!FAILOVER.includes(failover as string)) throw invalidValue('location.failover', failover, 'enum');
    out[`${A}failover`] = failover as string;
  }
  const domain = flat['location.broadcast_domain.name'];
  if (domain !== undefined && domain !== IPSPACE)
    throw new OntapError(400, ONTAP_CODES.entryMissing, `Broadcast domain "${String(domain)}" does not exist.`, 'location.broadcast_domain.name');
  const policy = (flat['service_policy.name'] ?? flat.service_policy) as string | undefined;
  if (policy !== undefined) {
    if (!ISCSI_POLICIES.includes(policy)) {
      throw new OntapError(
        400,
        ONTAP_CODES.invalidValue,
        `sanbox serves iSCSI data LIFs only: service policy "${policy}" is not one of ${ISCSI_POLICIES.join(', ')}.`,
        'service_policy',
      );
    }
    out[`${A}service_policy`] = policy;
  }
  const services = flat.services as string[] | undefined;
  if (services !== undefined && !services.includes('data_iscsi')) {
    throw new OntapError(400, ONTAP_CODES.invalidValue, 'sanbox serves iSCSI data LIFs only: services must include data_iscsi.', 'services');
  }
  if (flat['ip.family'] !== undefined) throw notSettable('ip.family');
  return out;
}

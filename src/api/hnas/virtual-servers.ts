/**
 * /v9/storage/virtual-servers: an EVS is a tenant. `virtualServerId` is the tenant's id
 * (the default tenant is 1; 0, the management server, and 255, "not assigned", name no
 * tenant). `ipAddresses` are the addresses its targets are served on: a portal group of
 * the tenant listening on each, at the portal port. `status` is the tenant's iSCSI switch
 * (ONLINE or DISABLED), which /enable and /disable drive.
 */
import net from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PortalGroup, Tenant } from '../../domain/entities.js';
import { formatListenAddress, parseListenAddress } from '../../domain/addresses.js';
import { type HnasContext, boundedText, readBody } from './context.js';
import { HnasError, inDomain, invalidParameter, notFound } from './errors.js';
import { objectId, parseObjectId } from './object-ids.js';

const FILE = 'api/hnas/virtual-servers.ts';
const WHERE = { fileName: FILE, function: 'virtualServers' };
const ADDRESSES = 'hnas.addresses';
const EVS_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function virtualServerRoutes(app: FastifyInstance, ctx: HnasContext): void {
  const record = (t: Tenant) => ({
    virtualServerId: t.id,
    objectId: objectId(t.id, 'evs', t.id),
    name: t.name,
    status: t.iscsiEnabled && t.running ? 'ONLINE' : 'DISABLED',
    isEnabled: t.iscsiEnabled && t.running,
    type: 'EVS',
    ipAddresses: addressesOf(ctx, t.id),
  });

  app.get('/virtual-servers', async (request) => ({
    virtualServers: ctx.visible(request, ctx.services.tenants.list(), (t) => t.id).map(record),
  }));

  app.get<{ Params: { id: string } }>('/virtual-servers/:id', async (request) => ({
    virtualServer: record(evsOf(ctx, request, request.params.id, 'getVirtualServer')),
  }));

  app.post('/virtual-servers', async (request, reply) => {
    if (ctx.scope(request)) throw new HnasError(403, null, 'Forbidden request - the client does not have the required permissions to perform the operation');
    const body = readBody(request.body, { name: 'string', ipAddresses: 'string-array' });
    const name = boundedText('name', body.name, 1, 64);
    if (!EVS_NAME.test(name))
      throw invalidParameter('name', 'the name starts with a letter or digit and has up to 64 letters, digits, dots, dashes or underscores');
    const listen = listenOf(ctx, (body.ipAddresses as string[] | undefined) ?? []);
    if (ctx.services.tenants.list().length >= 254) throw invalidParameter('name', 'no virtual server id is free (1 to 254)');
    const tenant = await inDomain(WHERE, () => ctx.services.tenants.create({ name, iscsiEnabled: true }));
    if (listen.length > 0) {
      await inDomain(WHERE, () => ctx.services.portalGroups.create({ tenantId: tenant.id, listen, annotations: { [ADDRESSES]: 'true' } })).catch(
        async (err) => {
          // The addresses are part of the create: refused, the virtual server is not made either.
          await ctx.services.tenants.delete(tenant.id);
          throw err;
        },
      );
    }
    const made = record(ctx.services.tenants.get(tenant.id));
    reply.code(201).header('Location', `/v9/storage/virtual-servers/${made.objectId}`);
    return { virtualServer: made, uri: `/v9/storage/virtual-servers/${made.objectId}` };
  });

  app.patch<{ Params: { id: string } }>('/virtual-servers/:id', async (request, reply) => {
    const evs = evsOf(ctx, request, request.params.id, 'updateVirtualServer');
    const body = readBody(request.body, { name: 'string', ipAddresses: 'string-array' });
    const name = body.name === undefined ? undefined : boundedText('name', body.name, 1, 64);
    if (name !== undefined && !EVS_NAME.test(name))
      throw invalidParameter('name', 'the name starts with a letter or digit and has up to 64 letters, digits, dots, dashes or underscores');
    const listen = body.ipAddresses === undefined ? undefined : listenOf(ctx, body.ipAddresses as string[]);
    if (name !== undefined) await inDomain(WHERE, () => ctx.services.tenants.update(evs.id, { name }));
    if (listen !== undefined) {
      const own = addressGroup(ctx, evs.id);
      if (own && listen.length === 0) await inDomain(WHERE, () => ctx.services.portalGroups.delete(own.id));
      else if (own) await inDomain(WHERE, () => ctx.services.portalGroups.update(own.id, { listen }));
      else if (listen.length > 0)
        await inDomain(WHERE, () => ctx.services.portalGroups.create({ tenantId: evs.id, listen, annotations: { [ADDRESSES]: 'true' } }));
    }
    const updated = record(ctx.services.tenants.get(evs.id));
    reply.code(303).header('Location', `/v9/storage/virtual-servers/${updated.objectId}`);
    return { virtualServer: updated, uri: `/v9/storage/virtual-servers/${updated.objectId}` };
  });

  app.delete<{ Params: { id: string } }>('/virtual-servers/:id', async (request, reply) => {
    if (ctx.scope(request)) throw new HnasError(403, null, 'Forbidden request - the client does not have the required permissions to perform the operation');
    const evs = evsOf(ctx, request, request.params.id, 'deleteVirtualServer');
    // Its own addresses go with it, in the same transaction; anything else it holds refuses the delete.
    const own = addressGroup(ctx, evs.id);
    await inDomain(WHERE, () => ctx.services.tenants.delete(evs.id, own ? [own.id] : []));
    return reply.code(204).send();
  });

  for (const [action, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    app.post<{ Params: { id: string } }>(`/virtual-servers/:id/${action}`, async (request, reply) => {
      const evs = evsOf(ctx, request, request.params.id, `${action}VirtualServer`);
      await inDomain(WHERE, () => ctx.services.serviceSwitch.setEnabled('iscsitarget', enabled, evs.id));
      return reply.code(204).send();
    });
  }
}

/** The virtual server an object id names, visible to the request; 404 or 403 otherwise. */
export function evsOf(ctx: HnasContext, request: FastifyRequest, id: string, fn: string): Tenant {
  const parsed = parseObjectId(id);
  const tenant = parsed?.kind === 'evs' ? (ctx.services.tenants.list().find((t) => t.id === parsed.id) ?? null) : null;
  if (!tenant || tenant.id !== parsed!.evs) throw notFound('virtual server', { fileName: FILE, function: fn });
  ctx.assertMay(request, tenant.id);
  return tenant;
}

/** The tenant a body's virtualServerId names (it must be one the request may use). */
export function evsById(ctx: HnasContext, request: FastifyRequest, id: unknown): Tenant {
  if (typeof id !== 'number' || !Number.isInteger(id)) throw invalidParameter('virtualServerId', 'the parameter must be an integer');
  if (id === 0 || id === 255) throw invalidParameter('virtualServerId', `virtual server ${id} serves no iSCSI targets`);
  const tenant = ctx.services.tenants.list().find((t) => t.id === id);
  if (!tenant) throw invalidParameter('virtualServerId', `virtual server ${id} does not exist`);
  ctx.assertMay(request, tenant.id);
  return tenant;
}

function addressGroup(ctx: HnasContext, tenantId: number): PortalGroup | undefined {
  return ctx.services.portalGroups.list().items.find((g) => g.tenantId === tenantId && ctx.services.annotations.of(g.uuid)[ADDRESSES] === 'true');
}

function addressesOf(ctx: HnasContext, tenantId: number): string[] {
  const hosts = ctx.services.portalGroups
    .list()
    .items.filter((g) => g.tenantId === tenantId)
    .flatMap((g) => g.listen.map((l) => parseListenAddress(l)?.host ?? l));
  return [...new Set(hosts)];
}

function listenOf(ctx: HnasContext, addresses: string[]): string[] {
  return addresses.map((a) => {
    if (!net.isIP(a)) throw invalidParameter('ipAddresses', `"${a.slice(0, 60)}" is not an IP address`);
    const parsed = parseListenAddress(net.isIPv6(a) ? `[${a}]:${ctx.options.portalPort}` : `${a}:${ctx.options.portalPort}`);
    if (!parsed) throw invalidParameter('ipAddresses', `"${a.slice(0, 60)}" is not an IP address`);
    return formatListenAddress(parsed);
  });
}

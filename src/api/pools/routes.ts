/**
 * The share-pool API (../shared/seeds/share-pool-api.zh.md) under /v1/pool/share: POST
 * list, get, create, delete, set, status/check and fc_device/list, GET pool_type/support.
 * Every body is a JSON object; fields the seed does not name are ignored, as the
 * platform's Go server ignores them. Every request names this cluster (cluster_uuid).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fail, notFound } from '../../domain/errors.js';
import type { DomainServices } from '../../domain/services.js';
import { success } from './envelope.js';
import { PoolRequestError } from './errors.js';
import { typeOf } from './types.js';
import { clusterFields, poolView } from './views.js';

type Body = Record<string, unknown>;

function body(request: FastifyRequest): Body {
  const b = request.body;
  if (b === undefined || b === null || typeof b !== 'object' || Array.isArray(b)) throw new PoolRequestError('request.not-object');
  return b as Body;
}

/** page_num counts from 1 (0 is the first page too); page_size 0 is every pool. */
function wholeNumber(field: string, value: unknown): number {
  if (value === undefined || value === null || value === '') return 0;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw fail('value.not-integer', field);
  if (n < 0) throw fail('value.below-minimum', field, { min: 0 });
  if (n > 1_000_000) throw fail('value.above-maximum', field, { max: 1_000_000 });
  return n;
}

function optionalString(field: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw fail('value.not-uuid', field);
  return value;
}

export function poolRoutes(app: FastifyInstance, services: DomainServices): void {
  const { pools, site, tenants } = services;
  const identity = () => site.identity();

  /** The tenant a request names (required where the seed says so): its uuid and name. */
  const tenantOf = (value: unknown, required: boolean): { uuid: string; name: string } | null => {
    const uuid = optionalString('tenant', value);
    if (uuid === undefined) {
      if (required) throw fail('value.required', 'tenant');
      return null;
    }
    const tenant = tenants.byUuid(uuid);
    if (!tenant) throw fail('tenant.unknown', 'tenant', { uuid });
    return { uuid: tenant.uuid, name: tenant.name };
  };

  const poolUuid = (value: unknown): string => {
    if (value === undefined || value === null || value === '') throw fail('value.required', 'poolUuid');
    if (typeof value !== 'string') throw fail('value.not-uuid', 'poolUuid');
    return value;
  };

  /** A pool a tenant may see: one whose avail_tenant is empty or names it. */
  const visible = (uuid: string, tenant: { uuid: string } | null) => {
    const m = pools.get(uuid);
    if (tenant && m.pool.availTenants.length && !m.pool.availTenants.includes(tenant.uuid)) throw notFound('pool');
    return m;
  };

  const answer = (pool: Record<string, unknown> | null, tenant: { uuid: string; name: string } | null, clusterKnown = true) => ({
    pool,
    ...(clusterKnown ? clusterFields(identity()) : { cluster_uuid: '', cluster_name: '', cluster_mode: '' }),
    tenant: tenant?.uuid ?? '',
    tenant_name: tenant?.name ?? '',
    PoolTypes: null,
  });

  /** Every body names this cluster. */
  const clusterBody = (request: FastifyRequest): Body => {
    const b = body(request);
    site.assertCluster('clusterUuid', b.cluster_uuid);
    return b;
  };

  /** get, delete, set and status/check name a tenant and one pool that tenant may see. */
  const onePool = (request: FastifyRequest) => {
    const b = clusterBody(request);
    const tenant = tenantOf(b.tenant, true);
    const uuid = poolUuid(b.pool_uuid);
    return { b, tenant, uuid, measured: visible(uuid, tenant) };
  };

  app.post('/list', async (request) => {
    const b = clusterBody(request);
    const tenant = tenantOf(b.tenant, false);
    const pageNum = wholeNumber('page_num', b.page_num);
    const pageSize = wholeNumber('page_size', b.page_size);
    const filter = b.filter_name === undefined || b.filter_name === null ? '' : b.filter_name;
    if (typeof filter !== 'string') throw fail('value.too-long', 'filter_name', { maxLength: 64, length: String(filter).length });
    const offset = pageSize === 0 ? 0 : (Math.max(pageNum, 1) - 1) * pageSize;
    const result = pools.list({ tenantUuid: tenant?.uuid, nameContains: filter, offset, limit: pageSize });
    const cluster = clusterFields(identity());
    return success({
      infos: result.items.map((m) => ({ tenant: tenant?.uuid ?? '', tenant_name: tenant?.name ?? '', pool: poolView(m, identity()), ...cluster })),
      each_range_list_state: [{ ...cluster, namespace_uuid: '', result: success(''), total_count: result.total }],
      TotalCount: result.total,
    });
  });

  app.post('/get', async (request) => {
    const { tenant, measured } = onePool(request);
    return success(answer(poolView(measured, identity()), tenant));
  });

  app.post('/create', async (request) => {
    const b = clusterBody(request);
    const created = await pools.create({
      name: b.pool_name,
      type: typeOf(b.pool_type),
      source: b.source,
      ip: b.ip,
      port: b.port,
      username: b.username,
      password: b.password,
      zoneUuid: b.zone_uuid,
      limitHost: b.limit_host,
      availHosts: b.avail_host,
      availTenants: b.avail_tenant,
      attributes: b.attr,
    });
    request.log.info({ pool: created.pool.uuid, name: created.pool.name, type: created.pool.type }, 'pool created');
    return success(answer(poolView(created, identity()), null));
  });

  app.post('/delete', async (request) => {
    const { b, uuid, measured } = onePool(request);
    const { pool } = measured;
    if (b.pool_name !== undefined && b.pool_name !== null && b.pool_name !== pool.name) {
      throw fail('pool.name-mismatch', 'name', { name: String(b.pool_name) });
    }
    await pools.delete(uuid);
    request.log.info({ pool: uuid }, 'pool deleted');
    return success({ pool: {} });
  });

  app.post('/set', async (request) => {
    const { b, uuid } = onePool(request);
    if (b.attr === undefined || b.attr === null) throw fail('value.required', 'attributes');
    await pools.update(uuid, { name: b.pool_name === '' ? undefined : b.pool_name, attributes: b.attr });
    return success(answer(null, null, false));
  });

  app.post('/status/check', async (request) => {
    const { uuid } = onePool(request);
    const checked = await pools.check(uuid);
    request.log.info({ pool: uuid, status: checked.figures.health, reason: checked.figures.reason }, 'pool status checked');
    return success(answer(null, null, false));
  });

  app.get('/pool_type/support', async (request) => {
    site.assertCluster('clusterUuid', (request.query as Record<string, unknown>).cluster_uuid);
    return success({ ...answer(null, null, false), PoolTypes: pools.supportedTypes() });
  });

  app.post('/fc_device/list', async (request) => {
    const b = clusterBody(request);
    site.assertZone('zoneUuid', b.zone_uuid);
    // Grouped by the device's name, each with the hosts that see it (here: this machine).
    const list: Record<string, Array<{ host_uuid: string; host_name: string; disk_path: string }>> = {};
    for (const d of pools.fcDevices()) {
      const hosts = list[d.name] ?? [];
      hosts.push({ host_uuid: identity().machineUuid, host_name: d.hostName, disk_path: d.diskPath });
      list[d.name] = hosts;
    }
    return success({ list });
  });
}

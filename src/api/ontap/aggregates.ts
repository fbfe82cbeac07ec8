/**
 * /api/storage/aggregates: sanbox's pools (the share-pool API and SANBOX_POOLS make them),
 * read-only here, with `space.block_storage` measured from the pool's storage now and the
 * state from its health.
 */
import type { FastifyInstance } from 'fastify';
import type { MeasuredPool } from '../../domain/pools.js';
import { type Resource, collection, fieldPaths, instance } from './collection.js';
import { NODE_NAME, type OntapContext } from './context.js';
import { entryMissing } from './errors.js';

export function aggregateRoutes(app: FastifyInstance, ctx: OntapContext): void {
  const node = () => ({ uuid: ctx.services.site.identity().machineUuid, name: NODE_NAME });
  const record = (m: MeasuredPool) => {
    const f = m.figures;
    return {
      uuid: m.pool.uuid,
      name: m.pool.name,
      node: node(),
      home_node: node(),
      state: f.health === 'offline' ? 'offline' : 'online',
      space: {
        block_storage: {
          size: f.capacityBytes,
          available: f.freeBytes,
          used: f.usedBytes,
          full_threshold_percent: 98,
        },
        efficiency: { savings: 0, ratio: 1, logical_used: m.allocatedBytes },
      },
      block_storage: { primary: { disk_type: m.pool.type === 'disk' ? 'vmdisk' : 'lun', raid_type: 'raid0' } },
      volume_count: ctx.services.volumes.list().filter((v) => v.poolId === m.pool.id).length,
      _links: { self: { href: `/api/storage/aggregates/${m.pool.uuid}` } },
    };
  };
  const sample = () => ctx.services.pools.list().items.map(record)[0] ?? {};
  let resource: Resource | null = null;
  const shape = () =>
    (resource ??= {
      path: '/api/storage/aggregates',
      fields: fieldPaths(sample(), ['uuid', 'name', 'state', 'node.name', 'node.uuid', 'space.block_storage.size']),
      collectionDefaults: ['uuid', 'name'],
      keys: ['uuid', 'name'],
      expensive: [],
    });

  app.get('/storage/aggregates', async (request) => collection(request, shape(), ctx.services.pools.list().items.map(record)));
  app.get<{ Params: { uuid: string } }>('/storage/aggregates/:uuid', async (request) => {
    const m = ctx.services.pools.list().items.find((p) => p.pool.uuid === request.params.uuid.toLowerCase());
    if (!m) throw entryMissing('uuid');
    return instance(request, shape(), record(m));
  });
}

/**
 * One kind of object per dialect resource, each told how to create it (by a number, so
 * names never collide), list every one, and delete one: what the API storm runs. Ids are
 * the dialect's own (FreeNAS numbers, UUIDs, HNAS object ids), as strings.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FREENAS, type ApiResponse, type TestSanbox } from '../../support/sanbox.js';

export interface Kind {
  name: string;
  /** The new object's id on 2xx, else null; the answer either way. */
  create(i: number): Promise<{ id: string | null; res: ApiResponse }>;
  list(): Promise<string[]>;
  remove(id: string): Promise<ApiResponse>;
}

const IRONIC = { 'x-openstack-ironic-api-version': '1.32' };
const HNAS = '/v9/storage';

function ok(res: ApiResponse): boolean {
  return res.status >= 200 && res.status < 300;
}

function must(res: ApiResponse, what: string): ApiResponse['body'] {
  if (!ok(res)) throw new Error(`${what}: ${res.status} ${res.text}`);
  return res.body;
}

/** The id at the end of a Location header. */
function fromLocation(res: ApiResponse): string | null {
  const loc = res.headers.get('location');
  return ok(res) && loc ? loc.replace(/\/+$/, '').split('/').pop()! : null;
}

export interface KindContext {
  sb: TestSanbox;
  /** Ports nobody listens on, one per FreeNAS portal made (each is used once). */
  ports: number[];
  /** A directory whose subdirectories become disk pools. */
  poolRoot: string;
}

export async function makeKinds(ctx: KindContext): Promise<Kind[]> {
  const { sb } = ctx;
  const site = must(await sb.api('GET', '/api/status'), 'status').site;
  const tenant = site.tenants[0].uuid as string;
  const freenas = (resource: string, body: (i: number) => unknown): Kind => ({
    name: `freenas ${resource}`,
    async create(i) {
      const res = await sb.api('POST', `${FREENAS}/${resource}/`, body(i));
      return { id: ok(res) ? String(res.body.id) : null, res };
    },
    async list() {
      return (must(await sb.api('GET', `${FREENAS}/${resource}/?limit=1000`), resource) as Array<{ id: number }>).map((o) => String(o.id));
    },
    remove: (id) => sb.api('DELETE', `${FREENAS}/${resource}/${id}/`),
  });
  const ontap = (collection: string, body: (i: number) => unknown): Kind => ({
    name: `ontap ${collection}`,
    async create(i) {
      const res = await sb.api('POST', `/api/${collection}`, body(i));
      return { id: fromLocation(res), res };
    },
    async list() {
      return (must(await sb.api('GET', `/api/${collection}?max_records=10000`), collection).records as Array<{ uuid: string }>).map((r) => r.uuid);
    },
    remove: (id) => sb.api('DELETE', `/api/${collection}/${id}`),
  });
  const hnas = (collection: string, field: string, body: (i: number) => unknown): Kind => ({
    name: `hnas ${collection}`,
    async create(i) {
      const res = await sb.api('POST', `${HNAS}/${collection}`, body(i));
      return { id: ok(res) ? res.body[field.replace(/s$/, '')].objectId : null, res };
    },
    async list() {
      return (must(await sb.api('GET', `${HNAS}/${collection}`), collection)[field] as Array<{ objectId: string }>).map((o) => o.objectId);
    },
    remove: (id) => sb.api('DELETE', `${HNAS}/${collection}/${id}`),
  });
  const ironic = (collection: string, field: string, body: (i: number) => unknown): Kind => ({
    name: `ironic volume ${collection}`,
    async create(i) {
      const res = await sb.request('POST', `/v1/volume/${collection}`, { body: body(i), headers: IRONIC });
      return { id: ok(res) ? res.body.uuid : null, res };
    },
    async list() {
      const all: string[] = [];
      let url: string | null = `/v1/volume/${collection}?limit=1000`;
      while (url) {
        const body = must(await sb.request('GET', url, { headers: IRONIC }), collection);
        all.push(...(body[field] as Array<{ uuid: string }>).map((o) => o.uuid));
        url = body.next ? new URL(body.next).pathname + new URL(body.next).search : null;
      }
      return all;
    },
    remove: (id) => sb.request('DELETE', `/v1/volume/${collection}/${id}`, { headers: IRONIC }),
  });

  // What the storm's objects hang on: an ONTAP volume for the LUNs, an Ironic node.
  must(
    await sb.api('POST', '/api/storage/volumes', { name: 'stormvol', svm: { name: 'default' }, aggregates: [{ name: 'default' }], size: 4 * 2 ** 30 }),
    'volume',
  );
  const node = must(await sb.request('POST', '/v1/nodes', { body: { driver: 'fake-hardware', name: 'storm-node' }, headers: IRONIC }), 'node').uuid;
  const extentDir = path.join(sb.dataDir, 'pools', 'default');
  const MiB = 1 << 20;
  let portals = 0;

  return [
    freenas('extent', (i) => ({
      iscsi_target_extent_type: 'File',
      iscsi_target_extent_name: `st-e${i}`,
      iscsi_target_extent_filesize: '1MB',
      iscsi_target_extent_path: path.join(extentDir, `st-e${i}.img`),
    })),
    freenas('target', (i) => ({ iscsi_target_name: `st-t${i}` })),
    freenas('portal', () => ({ iscsi_target_portal_ips: [`127.0.0.1:${ctx.ports[portals++ % ctx.ports.length]}`] })),
    freenas('authorizedinitiator', (i) => ({ iscsi_target_initiator_initiators: `iqn.2026-01.storm:i${i}`, iscsi_target_initiator_auth_network: 'ALL' })),
    {
      name: 'share-pool pools',
      async create(i) {
        const source = path.join(ctx.poolRoot, `p${i}`);
        fs.mkdirSync(source, { recursive: true });
        const res = await sb.api('POST', '/v1/pool/share/create', {
          ...{ pool_name: `st-p${i}`, pool_type: 4, zone_uuid: site.zoneUuid, ip: '127.0.0.1', port: '', source },
          ...{ username: '', password: '', limit_host: false, avail_host: [], avail_tenant: [], attr: {}, cluster_uuid: site.clusterUuid },
        });
        return { id: ok(res) && res.body.scode === 0 ? res.body.data.pool.UUID : null, res };
      },
      async list() {
        const body = must(await sb.api('POST', '/v1/pool/share/list', { cluster_uuid: site.clusterUuid, page_size: 0 }), 'pools');
        return (body.data.infos as Array<{ pool: { UUID: string } }>).map((p) => p.pool.UUID);
      },
      remove: (id) => sb.api('POST', '/v1/pool/share/delete', { tenant, pool_uuid: id, cluster_uuid: site.clusterUuid }),
    },
    ontap('storage/volumes', (i) => ({ name: `stv${i}`, svm: { name: 'default' }, aggregates: [{ name: 'default' }], size: 32 * MiB })),
    ontap('storage/luns', (i) => ({ svm: { name: 'default' }, name: `/vol/stormvol/l${i}`, os_type: 'linux', space: { size: MiB } })),
    ontap('protocols/san/igroups', (i) => ({
      svm: { name: 'default' },
      name: `stig${i}`,
      os_type: 'linux',
      protocol: 'iscsi',
      initiators: [{ name: `iqn.2026-01.storm:ig${i}` }],
    })),
    hnas('iscsi-logical-units', 'iscsiLogicalUnits', (i) => ({ name: `st-lu${i}`, virtualServerId: 1, size: MiB })),
    hnas('iscsi-targets', 'iscsiTargets', (i) => ({ alias: `st-tg${i}`, virtualServerId: 1 })),
    ironic('connectors', 'connectors', (i) => ({ node_uuid: node, type: 'iqn', connector_id: `iqn.2026-01.storm:c${i}` })),
    ironic('targets', 'targets', (i) => ({ node_uuid: node, volume_type: 'iscsi', boot_index: i, volume_id: `vol-${i}` })),
  ];
}

/**
 * /api/storage/luns: a LUN is an extent in a volume. Its name is `/vol/<volume>/<lun>`;
 * its image lives in the volume's aggregate (pool), sized exactly as asked, so a client
 * comparing sizes byte for byte finds no change. Its 12-character serial is its SCSI unit
 * serial (VPD 80h). Growing it is seen by initiators as CAPACITY DATA HAS CHANGED; it
 * cannot shrink (sanbox never cuts an image). Deleting it is refused while it is mapped,
 * unless `allow_delete_while_mapped=true`, which unmaps it first.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Extent, Volume } from '../../domain/entities.js';
import { type BodySpec, type FlatBody, readBody } from './body.js';
import { type Resource, boolParam, collection, fieldPaths, instance, wantsRecords } from './collection.js';
import { type OntapContext, checkWriteParams, svmRef } from './context.js';
import { ONTAP_CODES, OntapError, entryMissing, inDomain, invalidValue, missingArgument, notSettable } from './errors.js';

const A = 'ontap.';
export const OS_TYPES = [
  'aix',
  'hpux',
  'hyper_v',
  'linux',
  'netware',
  'openvms',
  'solaris',
  'solaris_efi',
  'vmware',
  'windows',
  'windows_2008',
  'windows_gpt',
  'xen',
];
const LUN_NAME = /^[A-Za-z0-9_.-]{1,255}$/;
const SERIAL_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

const COMMON: BodySpec = {
  comment: 'string',
  'space.size': 'integer',
  'space.guarantee.requested': 'boolean',
  'space.scsi_thin_provisioning_support_enabled': 'boolean',
  name: 'string',
  os_type: 'string',
  enabled: 'boolean',
};
const CREATE: BodySpec = {
  ...COMMON,
  'svm.name': 'string',
  'svm.uuid': 'string',
  'location.volume.name': 'string',
  'location.volume.uuid': 'string',
  'location.logical_unit': 'string',
};
const MODIFY: BodySpec = COMMON;
const FIELDS = { sizeBytes: 'space.size', name: 'name', comment: 'comment', volumeId: 'location.volume.name' };

/** A LUN as ONTAP names it, from its extent. */
export interface LunView {
  extent: Extent;
  volume: Volume;
  /** The logical unit's own name (the last part of the path). */
  unit: string;
  path: string;
}

export function lunViews(ctx: OntapContext): LunView[] {
  const volumes = new Map(ctx.services.volumes.list().map((v) => [v.id, v]));
  return ctx.services.extents
    .list()
    .items.filter((e) => e.volumeId !== undefined && volumes.has(e.volumeId))
    .map((extent) => {
      const volume = volumes.get(extent.volumeId!)!;
      const unit = ctx.services.annotations.of(extent.uuid)[`${A}logical_unit`] ?? extent.name;
      return { extent, volume, unit, path: `/vol/${volume.name}/${unit}` };
    });
}

export function lunRef(l: LunView) {
  return { uuid: l.extent.uuid, name: l.path, _links: { self: { href: `/api/storage/luns/${l.extent.uuid}` } } };
}

export function lunRoutes(app: FastifyInstance, ctx: OntapContext): void {
  const record = (l: LunView) => {
    const a = ctx.services.annotations.of(l.extent.uuid);
    const svm = ctx.services.tenants.get(l.extent.tenantId);
    const groups = new Map(ctx.services.initiatorGroups.list().items.map((g) => [g.id, g]));
    const maps = ctx.services.lunMaps.list(l.extent.tenantId).filter((m) => m.extentId === l.extent.id);
    const offline = ctx.options.status.status().extents.some((x) => x.id === l.extent.id && x.state === 'offline');
    return {
      uuid: l.extent.uuid,
      name: l.path,
      svm: svmRef(svm),
      location: {
        logical_unit: l.unit,
        volume: { uuid: l.volume.uuid, name: l.volume.name, _links: { self: { href: `/api/storage/volumes/${l.volume.uuid}` } } },
      },
      class: 'regular',
      os_type: a[`${A}os_type`] ?? 'linux',
      serial_number: l.extent.serial ?? '',
      comment: l.extent.comment,
      enabled: true,
      create_time: a[`${A}create_time`] ?? '',
      space: {
        size: l.extent.sizeBytes,
        used: 0,
        guarantee: { requested: a[`${A}guarantee`] === 'true', reserved: false },
        scsi_thin_provisioning_support_enabled: a[`${A}thin_provisioning`] === 'true',
      },
      status: { state: offline ? 'offline' : 'online', container_state: 'online', mapped: maps.length > 0, read_only: l.extent.readOnly },
      lun_maps: maps.map((m) => {
        const g = groups.get(m.initiatorGroupId)!;
        return {
          logical_unit_number: m.lun,
          igroup: { uuid: g.uuid, name: igroupName(ctx, g) },
          _links: { self: { href: `/api/protocols/san/lun-maps/${l.extent.uuid}/${g.uuid}` } },
        };
      }),
      _links: { self: { href: `/api/storage/luns/${l.extent.uuid}` } },
    };
  };
  let shape: Resource | null = null;
  const resource = () =>
    (shape ??= {
      path: '/api/storage/luns',
      fields: fieldPaths(
        record({
          extent: { uuid: '', tenantId: 1, comment: '', sizeBytes: 0, serial: '', readOnly: false, id: 0 } as Extent,
          volume: { uuid: '', name: '' } as Volume,
          unit: '',
          path: '',
        }),
        ['lun_maps.logical_unit_number', 'lun_maps.igroup', 'lun_maps.igroup.name', 'lun_maps.igroup.uuid', 'qos_policy', 'qos_policy.name'],
      ),
      collectionDefaults: ['uuid', 'name'],
      keys: ['uuid', 'name'],
      expensive: [],
    });
  const lunOf = (uuid: string, request: FastifyRequest) => {
    const l = lunViews(ctx).find((x) => x.extent.uuid === uuid.toLowerCase());
    if (!l || !ctx.visibleTo(request, l.extent.tenantId)) throw entryMissing('uuid');
    return l;
  };
  const visible = (request: FastifyRequest) =>
    ctx.inScope(
      request,
      lunViews(ctx).map((l) => ({ ...l, tenantId: l.extent.tenantId })),
    );

  app.get('/storage/luns', async (request) => collection(request, resource(), visible(request).map(record)));
  app.get<{ Params: { uuid: string } }>('/storage/luns/:uuid', async (request) => instance(request, resource(), record(lunOf(request.params.uuid, request))));

  app.post('/storage/luns', async (request, reply) => {
    checkWriteParams(request);
    const flat = readBody(request.body, CREATE);
    const svm = ctx.svmOf(request, flat)!;
    const { volume, unit } = placeOf(ctx, svm.id, flat);
    if (lunViews(ctx).some((l) => l.volume.id === volume.id && l.unit === unit)) {
      throw new OntapError(400, ONTAP_CODES.lunPathExists, `A LUN with path "/vol/${volume.name}/${unit}" already exists.`, 'name');
    }
    const osType = flat.os_type;
    if (osType === undefined) throw missingArgument('os_type');
    if (!OS_TYPES.includes(osType as string)) throw invalidValue('os_type', osType, 'enum');
    const size = flat['space.size'];
    if (size === undefined) throw missingArgument('space.size');
    const pool = ctx.services.pools.list().items.find((m) => m.pool.id === volume.poolId)!.pool;
    const extent = await inDomain({ fields: FIELDS }, () =>
      ctx.services.extents.create({
        tenantId: svm.id,
        name: `${volume.name}/${unit}`.slice(0, 120),
        type: 'File',
        path: `/mnt/${pool.name}/lun-${randomUUID()}`,
        size: String(size),
        comment: (flat.comment as string | undefined) ?? '',
        serial: newSerial(),
        blockSize: 512,
        volumeId: volume.id,
        annotations: {
          [`${A}logical_unit`]: unit,
          [`${A}os_type`]: osType as string,
          [`${A}guarantee`]: String(flat['space.guarantee.requested'] ?? false),
          [`${A}thin_provisioning`]: String(flat['space.scsi_thin_provisioning_support_enabled'] ?? false),
          [`${A}create_time`]: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        },
      }),
    );
    const made = lunOf(extent.uuid, request);
    reply.code(201).header('Location', `/api/storage/luns/${extent.uuid}`);
    return wantsRecords(request) ? { num_records: 1, records: [record(made)] } : {};
  });

  app.patch<{ Params: { uuid: string } }>('/storage/luns/:uuid', async (request) => {
    checkWriteParams(request);
    const l = lunOf(request.params.uuid, request);
    const flat = readBody(request.body, MODIFY);
    const a = ctx.services.annotations.of(l.extent.uuid);
    if (flat.os_type !== undefined && flat.os_type !== (a[`${A}os_type`] ?? 'linux')) throw notSettable('os_type');
    if (flat.enabled === false) throw new OntapError(400, ONTAP_CODES.invalidValue, 'sanbox keeps LUNs online.', 'enabled');
    const annotations: Record<string, string> = {};
    if (flat.name !== undefined) {
      const { volume, unit } = placeOf(ctx, l.extent.tenantId, { name: flat.name });
      if (volume.id !== l.volume.id) throw new OntapError(400, ONTAP_CODES.invalidValue, 'A LUN cannot move to another volume.', 'name');
      if (unit !== l.unit && lunViews(ctx).some((x) => x.volume.id === volume.id && x.unit === unit)) {
        throw new OntapError(400, ONTAP_CODES.lunPathExists, `A LUN with path "/vol/${volume.name}/${unit}" already exists.`, 'name');
      }
      annotations[`${A}logical_unit`] = unit;
    }
    if (flat['space.guarantee.requested'] !== undefined) annotations[`${A}guarantee`] = String(flat['space.guarantee.requested']);
    if (flat['space.scsi_thin_provisioning_support_enabled'] !== undefined) {
      annotations[`${A}thin_provisioning`] = String(flat['space.scsi_thin_provisioning_support_enabled']);
    }
    const size = flat['space.size'] as number | undefined;
    if (size !== undefined && size === l.extent.sizeBytes && Object.keys(flat).length === 1) {
      // Ansible's LUN module treats exactly these words as "no change".
      throw new OntapError(400, ONTAP_CODES.invalidValue, 'New LUN size is the same as the old LUN size.', 'space.size');
    }
    await inDomain({ fields: FIELDS }, () =>
      ctx.services.extents.update(l.extent.id, {
        ...(size !== undefined && size !== l.extent.sizeBytes ? { size: String(size) } : {}),
        ...(flat.comment !== undefined ? { comment: flat.comment as string } : {}),
        annotations,
      }),
    );
    return {};
  });

  app.delete<{ Params: { uuid: string } }>('/storage/luns/:uuid', async (request) => {
    checkWriteParams(request, ['allow_delete_while_mapped']);
    const l = lunOf(request.params.uuid, request);
    const maps = ctx.services.lunMaps.list(l.extent.tenantId).filter((m) => m.extentId === l.extent.id);
    if (maps.length && !boolParam(request, 'allow_delete_while_mapped')) {
      throw new OntapError(
        400,
        ONTAP_CODES.lunMapped,
        `LUN "${l.path}" is mapped to ${maps.length} igroup(s); unmap it first or set allow_delete_while_mapped.`,
        'uuid',
      );
    }
    for (const m of maps) await ctx.services.lunMaps.delete(m.id);
    await inDomain({ referenced: ONTAP_CODES.lunMapped }, () => ctx.services.extents.delete(l.extent.id));
    return {};
  });
}

/** The volume and logical-unit name a body places a LUN at: `name` as /vol/<volume>/<lun>, or `location`. */
function placeOf(ctx: OntapContext, tenantId: number, flat: FlatBody): { volume: Volume; unit: string } {
  let volumeName = flat['location.volume.name'] as string | undefined;
  const volumeUuid = flat['location.volume.uuid'] as string | undefined;
  let unit = flat['location.logical_unit'] as string | undefined;
  const name = flat.name as string | undefined;
  if (name !== undefined) {
    const m = /^\/vol\/([^/]+)\/([^/]+)$/.exec(name);
    if (!m) throw new OntapError(400, ONTAP_CODES.invalidValue, `"${name}" is not a LUN path: /vol/<volume>/<lun>.`, 'name');
    if (volumeName !== undefined && volumeName !== m[1]) throw invalidValue('location.volume.name', volumeName, 'string');
    volumeName = m[1];
    unit = m[2];
  }
  if (unit === undefined) throw missingArgument('name');
  if (!LUN_NAME.test(unit)) throw invalidValue('name', name ?? unit, 'string');
  const volumes = ctx.services.volumes.list(tenantId);
  const volume = volumeUuid ? volumes.find((v) => v.uuid === volumeUuid) : volumes.find((v) => v.name === volumeName);
  if (volumeName === undefined && volumeUuid === undefined) throw missingArgument('location.volume.name');
  if (!volume) throw new OntapError(404, ONTAP_CODES.volumeMissing, `Volume "${volumeName ?? volumeUuid}" does not exist in the SVM.`, 'location.volume.name');
  return { volume, unit };
}

function newSerial(): string {
  return [...randomBytes(12)].map((b) => SERIAL_CHARS[b % SERIAL_CHARS.length]).join('');
}

/** ONTAP's name for an initiator group: its own, or for one made elsewhere (FreeNAS), by its tag. */
export function igroupName(ctx: OntapContext, g: { uuid: string; tag: number }): string {
  return ctx.services.annotations.of(g.uuid)[`${A}name`] ?? `igroup${g.tag}`;
}

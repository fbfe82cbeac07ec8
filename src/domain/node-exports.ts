/**
 * The export follows the record: a node's iSCSI volume target that names one of sanbox's
 * extents (by uuid, or by name in the node's tenant) is exported to that node. The export
 * is a target (served through the export portal group: the node's portal), an initiator
 * group of its own admitting the node's `iqn` connectors by name (none: nobody) from its
 * `ip` connectors as networks (none: anywhere), a CHAP credential of its own with a
 * generated secret, and the extent as LUN 0. The volume target's `properties` are filled
 * as Cinder fills them for Ironic. Re-derived on every change to the node's connectors
 * and targets; removed with the volume target or the node. A volume target naming no
 * extent is kept as Ironic keeps it, and exports nothing.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { putAnnotations } from './annotations.js';
import { TARGET_DEFAULTS } from './defaults.js';
import type { Extent, PortalGroup, Target, VolumeTarget } from './entities.js';
import { servedTargetName } from './served-name.js';
import type { Mutations } from './mutations.js';
import type { BareMetalRepository } from './repository.js';
import { isUuid } from './uuid.js';

/** Marks the objects an export owns (by the volume target's uuid), and the export portal group. */
const OWNER = 'sanbox.export-of';
const EXPORT_PORTAL = 'sanbox.export-portal';
/** The properties an export fills; a client's own keys beside them are kept. */
const FILLED = [
  'target_discovered',
  'target_iqn',
  'target_portal',
  'target_portals',
  'target_lun',
  'auth_method',
  'auth_username',
  'auth_password',
  'access_mode',
  'volume_id',
];
const SECRET_CHARS = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

export class NodeExports {
  constructor(
    private readonly m: Mutations,
    private readonly repo: BareMetalRepository,
    /** Where exports listen when no export portal group exists yet ("127.0.0.1:3260"). */
    private readonly defaultListen: string,
  ) {}

  /** Brings every export of node `nodeId` in line with its records; inside the caller's mutation. */
  sync(nodeId: number): void {
    const connectors = this.repo.listVolumeConnectors().filter((c) => c.nodeId === nodeId);
    const initiators = connectors.filter((c) => c.type === 'iqn').map((c) => c.connectorId);
    const ips = connectors.filter((c) => c.type === 'ip').map((c) => c.connectorId);
    for (const vt of this.repo.listVolumeTargets().filter((t) => t.nodeId === nodeId)) {
      const extent = vt.volumeType === 'iscsi' ? this.extentNamed(vt) : null;
      if (!extent) {
        this.drop(vt);
        continue;
      }
      const target = vt.exportTargetId === null ? null : this.m.store.getTarget(vt.exportTargetId);
      const lun = target ? this.m.store.lunsOfTarget(target.id)[0] : undefined;
      if (target && lun?.extentId !== extent.id) this.drop(vt);
      const current = this.repo.listVolumeTargets().find((t) => t.id === vt.id)!;
      const exported = current.exportTargetId === null ? this.create(current, extent) : this.m.store.getTarget(current.exportTargetId)!;
      const group = this.m.store.getInitiatorGroup(exported.initiatorGroupId!)!;
      this.m.store.updateInitiatorGroup({ ...group, initiators, networks: ips.length ? ips : ['ALL'] });
      this.fill(current, exported, extent);
    }
  }

  /** Removes a volume target's export, keeping the record (its filled properties go). */
  drop(vt: VolumeTarget): void {
    // No export, nothing filled: the properties are the client's own (a volume managed elsewhere), kept as Ironic keeps them.
    if (vt.exportTargetId === null) return;
    const owned = (uuid: string) => this.m.store.annotations(uuid)[OWNER] === vt.uuid;
    if (vt.exportTargetId !== null) {
      const target = this.m.store.getTarget(vt.exportTargetId);
      if (target && owned(target.uuid)) {
        this.m.store.deleteTarget(target.id);
        const group = target.initiatorGroupId === null ? null : this.m.store.getInitiatorGroup(target.initiatorGroupId);
        if (group && owned(group.uuid)) this.m.store.deleteInitiatorGroup(group.id);
        for (const c of target.authGroup === null ? [] : this.m.store.authCredentialsWithTag(target.tenantId, target.authGroup)) {
          if (owned(c.uuid)) this.m.store.deleteAuthCredential(c.id);
        }
      }
    }
    const properties = Object.fromEntries(Object.entries(vt.properties).filter(([k]) => !FILLED.includes(k)));
    const current = this.repo.listVolumeTargets().find((t) => t.id === vt.id);
    if (current) this.repo.updateVolumeTarget({ ...current, exportTargetId: null, properties });
  }

  /** Every export of a node, before the node goes. */
  dropNode(nodeId: number): void {
    for (const vt of this.repo.listVolumeTargets().filter((t) => t.nodeId === nodeId)) this.drop(vt);
  }

  /** Makes a volume target's export: its initiator group, CHAP credential, target and LUN 0. */
  private create(vt: VolumeTarget, extent: Extent): Target {
    const store = this.m.store;
    const tenantId = extent.tenantId;
    const portal = this.exportPortal(tenantId);
    const groupUuid = randomUUID();
    const groupId = store.insertInitiatorGroup({
      uuid: groupUuid,
      tenantId,
      tag: store.maxInitiatorTag(tenantId) + 1,
      initiators: [],
      networks: ['ALL'],
      comment: `export of volume target ${vt.uuid}`,
      rules: [],
    });
    putAnnotations(store, groupUuid, { [OWNER]: vt.uuid });
    const credUuid = randomUUID();
    const tag = store.maxAuthTag(tenantId) + 1;
    const secret = [...randomBytes(16)].map((b) => SECRET_CHARS[b % SECRET_CHARS.length]).join('');
    store.insertAuthCredential({ uuid: credUuid, tenantId, tag, user: `ironic-${vt.uuid.slice(0, 8)}`, secret, peerUser: '', peerSecret: '' });
    putAnnotations(store, credUuid, { [OWNER]: vt.uuid });
    const target: Omit<Target, 'id'> = {
      ...TARGET_DEFAULTS,
      uuid: randomUUID(),
      tenantId,
      name: `ironic-${vt.uuid}`,
      alias: `volume ${extent.name} for node`,
      serial: `ir${vt.uuid.replace(/-/g, '').slice(0, 14)}`,
      portalGroupId: portal.id,
      initiatorGroupId: groupId,
      authMethod: 'CHAP',
      authGroup: tag,
    };
    const targetId = store.insertTarget(target);
    putAnnotations(store, target.uuid, { [OWNER]: vt.uuid });
    store.insertLun({ uuid: randomUUID(), tenantId, targetId, extentId: extent.id, lun: 0, autoNumbered: false });
    this.repo.updateVolumeTarget({ ...vt, exportTargetId: targetId });
    return { id: targetId, ...target };
  }

  private fill(vt: VolumeTarget, target: Target, extent: Extent): void {
    const store = this.m.store;
    const portal = store.getPortalGroup(target.portalGroupId!)!;
    const portals = portal.listen.map((l) => l.replace(/^0\.0\.0\.0:/, '127.0.0.1:').replace(/^\[::\]:/, '[::1]:'));
    const cred = store.authCredentialsWithTag(target.tenantId, target.authGroup!)[0]!;
    const properties = {
      ...vt.properties,
      target_discovered: false,
      target_iqn: servedTargetName(store.getGlobals()!.basename, target),
      target_portal: portals[0] ?? '',
      target_portals: portals,
      target_lun: 0,
      auth_method: 'CHAP',
      auth_username: cred.user,
      auth_password: cred.secret,
      access_mode: extent.readOnly ? 'ro' : 'rw',
      volume_id: vt.volumeId,
    };
    const current = this.repo.listVolumeTargets().find((t) => t.id === vt.id)!;
    this.repo.updateVolumeTarget({ ...current, properties });
  }

  /** The volume a target's volume_id names: an extent by uuid, or by name in the node's tenant. */
  private extentNamed(vt: VolumeTarget): Extent | null {
    const extents = this.m.store.listExtents().items;
    const e = isUuid(vt.volumeId)
      ? extents.find((x) => x.uuid === vt.volumeId.toLowerCase())
      : extents.find((x) => x.tenantId === vt.tenantId && x.name === vt.volumeId);
    return e && e.tenantId === vt.tenantId ? e : null;
  }

  /** The tenant's export portal group, made on first use listening on the default address. */
  private exportPortal(tenantId: number): PortalGroup {
    const store = this.m.store;
    const found = store.listPortalGroups({ tenantId }).items.find((g) => store.annotations(g.uuid)[EXPORT_PORTAL] === 'true');
    if (found) return found;
    const existing = store.portalGroupListeningOn(this.defaultListen);
    if (existing !== null) {
      const group = store.getPortalGroup(existing)!;
      if (group.tenantId === tenantId) return group;
    }
    const group: Omit<PortalGroup, 'id'> = {
      uuid: randomUUID(),
      tenantId,
      tag: store.maxPortalTag(tenantId) + 1,
      listen: [this.defaultListen],
      comment: 'exports to bare-metal nodes',
      enabled: true,
    };
    const id = store.insertPortalGroup(group);
    putAnnotations(store, group.uuid, { [EXPORT_PORTAL]: 'true' });
    return { id, ...group };
  }
}

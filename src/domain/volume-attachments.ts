/**
 * A node's volume connectors (its initiator identities) and volume targets (the remote
 * volumes it attaches), as Ironic keeps them: a connector's (type, connector_id) is unique
 * across all nodes, a target's boot_index unique per node; both change only while their
 * node is powered off. Every change re-derives the node's exports (node-exports.ts).
 */
import { randomUUID } from 'node:crypto';
import { CONNECTOR_TYPES, type VolumeConnector, type VolumeTarget } from './entities.js';
import { fail, notFound } from './errors.js';
import { isIscsiName } from './iscsi-names.js';
import type { Mutations } from './mutations.js';
import type { NodeExports } from './node-exports.js';
import { type BareMetalRepository, assertPoweredOff, isoNow } from './nodes.js';
import { text } from './rules.js';
import { isUuid } from './uuid.js';
import { isIPv4, isIPv6 } from './addresses.js';

export interface ConnectorInput {
  uuid?: string;
  nodeId?: number;
  type?: string;
  connectorId?: string;
  extra?: Record<string, unknown>;
}

export interface VolumeTargetInput {
  uuid?: string;
  nodeId?: number;
  volumeType?: string;
  properties?: Record<string, unknown>;
  bootIndex?: number;
  volumeId?: string;
  extra?: Record<string, unknown>;
}

export class VolumeConnectorService {
  constructor(
    private readonly m: Mutations,
    private readonly repo: BareMetalRepository,
    private readonly exports: NodeExports,
  ) {}

  list(): VolumeConnector[] {
    return this.repo.listVolumeConnectors();
  }

  get(uuid: string): VolumeConnector {
    const c = isUuid(uuid) ? this.repo.listVolumeConnectors().find((x) => x.uuid === uuid.toLowerCase()) : undefined;
    if (!c) throw notFound('volume-connector');
    return c;
  }

  create(input: ConnectorInput): Promise<VolumeConnector> {
    return this.m.run(() => {
      const uuid = (input.uuid ?? randomUUID()).toLowerCase();
      if (!isUuid(uuid)) throw fail('value.not-uuid', 'uuid');
      if (this.repo.listVolumeConnectors().some((c) => c.uuid === uuid)) throw fail('uuid.taken', 'uuid', { entity: 'volume-connector', uuid });
      const node = this.node(input.nodeId);
      const c: Omit<VolumeConnector, 'id'> = {
        uuid,
        tenantId: node.tenantId,
        nodeId: node.id,
        type: checkType(input.type),
        connectorId: '',
        extra: input.extra ?? {},
        createdAt: isoNow(),
        updatedAt: null,
      };
      c.connectorId = this.checkId(c.type, input.connectorId, null);
      const id = this.repo.insertVolumeConnector(c);
      this.exports.sync(node.id);
      return { id, ...c };
    });
  }

  /** The whole new record (an RFC 6902 patch already applied by the dialect), checked again. */
  update(uuid: string, next: ConnectorInput): Promise<VolumeConnector> {
    return this.m.run(() => {
      const current = this.get(uuid);
      assertPoweredOff(this.node(current.nodeId), 'volume connector update');
      const node = this.node(next.nodeId ?? current.nodeId);
      assertPoweredOff(node, 'volume connector update');
      const type = checkType(next.type ?? current.type);
      const updated: VolumeConnector = {
        ...current,
        nodeId: node.id,
        type,
        connectorId: this.checkId(type, next.connectorId ?? current.connectorId, current.id),
        extra: next.extra ?? current.extra,
        updatedAt: isoNow(),
      };
      this.repo.updateVolumeConnector(updated);
      this.exports.sync(current.nodeId);
      if (node.id !== current.nodeId) this.exports.sync(node.id);
      return updated;
    });
  }

  delete(uuid: string): Promise<void> {
    return this.m.run(() => {
      const c = this.get(uuid);
      assertPoweredOff(this.node(c.nodeId), 'volume connector deletion');
      this.repo.deleteVolumeConnector(c.id);
      this.exports.sync(c.nodeId);
    });
  }

  private node(id: number | undefined) {
    const node = id === undefined ? undefined : this.repo.listNodes().find((n) => n.id === id);
    if (id === undefined) throw fail('value.required', 'node_uuid');
    if (!node) throw fail('reference.missing', 'node_uuid', { entity: 'node', id });
    return node;
  }

  private checkId(type: VolumeConnector['type'], value: unknown, selfId: number | null): string {
    if (typeof value !== 'string' || value === '') throw fail('value.required', 'connector_id');
    const id = text('connector_id', value, 255);
    // The ids sanbox serves by: an iSCSI name admits by name, an address by network.
    if (type === 'iqn' && !isIscsiName(id)) throw fail('initiators.not-iscsi-name', 'connector_id', { name: id });
    if (type === 'ip' && !isIPv4(id) && !isIPv6(id)) throw fail('value.not-ip-address', 'connector_id');
    const twin = this.repo.listVolumeConnectors().find((c) => c.type === type && c.connectorId === id && c.id !== selfId);
    if (twin) throw fail('volume-connector.exists', 'connector_id', { type, connectorId: id });
    return id;
  }
}

function checkType(type: unknown): VolumeConnector['type'] {
  if (typeof type !== 'string' || type === '') throw fail('value.required', 'type');
  if (!(CONNECTOR_TYPES as readonly string[]).includes(type)) throw fail('value.not-a-choice', 'type', { value: type, choices: [...CONNECTOR_TYPES] });
  return type as VolumeConnector['type'];
}

export class VolumeTargetService {
  constructor(
    private readonly m: Mutations,
    private readonly repo: BareMetalRepository,
    private readonly exports: NodeExports,
  ) {}

  list(): VolumeTarget[] {
    return this.repo.listVolumeTargets();
  }

  get(uuid: string): VolumeTarget {
    const t = isUuid(uuid) ? this.repo.listVolumeTargets().find((x) => x.uuid === uuid.toLowerCase()) : undefined;
    if (!t) throw notFound('volume-target');
    return t;
  }

  create(input: VolumeTargetInput): Promise<VolumeTarget> {
    return this.m.run(() => {
      const uuid = (input.uuid ?? randomUUID()).toLowerCase();
      if (!isUuid(uuid)) throw fail('value.not-uuid', 'uuid');
      if (this.repo.listVolumeTargets().some((t) => t.uuid === uuid)) throw fail('uuid.taken', 'uuid', { entity: 'volume-target', uuid });
      const node = this.node(input.nodeId);
      const t: Omit<VolumeTarget, 'id'> = {
        uuid,
        tenantId: node.tenantId,
        nodeId: node.id,
        volumeType: required('volume_type', input.volumeType),
        properties: input.properties ?? {},
        bootIndex: this.checkBootIndex(node.id, input.bootIndex, null),
        volumeId: required('volume_id', input.volumeId),
        extra: input.extra ?? {},
        exportTargetId: null,
        createdAt: isoNow(),
        updatedAt: null,
      };
      const id = this.repo.insertVolumeTarget(t);
      this.exports.sync(node.id);
      return this.get(uuid) ?? { id, ...t };
    });
  }

  update(uuid: string, next: VolumeTargetInput): Promise<VolumeTarget> {
    return this.m.run(() => {
      const current = this.get(uuid);
      assertPoweredOff(this.node(current.nodeId), 'volume target update');
      const node = this.node(next.nodeId ?? current.nodeId);
      assertPoweredOff(node, 'volume target update');
      const updated: VolumeTarget = {
        ...current,
        nodeId: node.id,
        volumeType: required('volume_type', next.volumeType ?? current.volumeType),
        properties: next.properties ?? current.properties,
        bootIndex: this.checkBootIndex(node.id, next.bootIndex ?? current.bootIndex, current.id),
        volumeId: required('volume_id', next.volumeId ?? current.volumeId),
        extra: next.extra ?? current.extra,
        updatedAt: isoNow(),
      };
      this.repo.updateVolumeTarget(updated);
      this.exports.sync(current.nodeId);
      if (node.id !== current.nodeId) this.exports.sync(node.id);
      return this.get(uuid);
    });
  }

  delete(uuid: string): Promise<void> {
    return this.m.run(() => {
      const t = this.get(uuid);
      assertPoweredOff(this.node(t.nodeId), 'volume target deletion');
      this.exports.drop(t);
      this.repo.deleteVolumeTarget(t.id);
    });
  }

  private node(id: number | undefined) {
    if (id === undefined) throw fail('value.required', 'node_uuid');
    const node = this.repo.listNodes().find((n) => n.id === id);
    if (!node) throw fail('reference.missing', 'node_uuid', { entity: 'node', id });
    return node;
  }

  private checkBootIndex(nodeId: number, bootIndex: unknown, selfId: number | null): number {
    if (bootIndex === undefined) throw fail('value.required', 'boot_index');
    if (typeof bootIndex !== 'number' || !Number.isSafeInteger(bootIndex)) throw fail('value.not-integer', 'boot_index');
    if (bootIndex < 0) throw fail('value.below-minimum', 'boot_index', { min: 0 });
    const twin = this.repo.listVolumeTargets().find((t) => t.nodeId === nodeId && t.bootIndex === bootIndex && t.id !== selfId);
    if (twin) throw fail('volume-target.boot-index-taken', 'boot_index', { bootIndex });
    return bootIndex;
  }
}

function required(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw fail('value.required', field);
  return text(field, value, 255);
}

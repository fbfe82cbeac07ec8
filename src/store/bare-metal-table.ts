/**
 * Bare-metal nodes, their volume connectors and volume targets on SQLite (migration 9):
 * JSON columns for `extra` and `properties`, ISO 8601 times as text.
 */
import type { BareMetalNode, VolumeConnector, VolumeTarget } from '../domain/entities.js';
import type { BareMetalRepository } from '../domain/nodes.js';
import type { Db } from './database.js';

interface NodeRow {
  id: number;
  uuid: string;
  tenant_id: number;
  name: string | null;
  driver: string;
  power_state: string;
  provision_state: string;
  created_at: string;
  updated_at: string | null;
}

interface ConnectorRow {
  id: number;
  uuid: string;
  tenant_id: number;
  node_id: number;
  type: string;
  connector_id: string;
  extra: string;
  created_at: string;
  updated_at: string | null;
}

interface TargetRow {
  id: number;
  uuid: string;
  tenant_id: number;
  node_id: number;
  volume_type: string;
  properties: string;
  boot_index: number;
  volume_id: string;
  extra: string;
  export_target_id: number | null;
  created_at: string;
  updated_at: string | null;
}

const node = (r: NodeRow): BareMetalNode => ({
  id: r.id,
  uuid: r.uuid,
  tenantId: r.tenant_id,
  name: r.name,
  driver: r.driver,
  powerState: r.power_state as BareMetalNode['powerState'],
  provisionState: r.provision_state,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const connector = (r: ConnectorRow): VolumeConnector => ({
  id: r.id,
  uuid: r.uuid,
  tenantId: r.tenant_id,
  nodeId: r.node_id,
  type: r.type as VolumeConnector['type'],
  connectorId: r.connector_id,
  extra: JSON.parse(r.extra) as Record<string, unknown>,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const target = (r: TargetRow): VolumeTarget => ({
  id: r.id,
  uuid: r.uuid,
  tenantId: r.tenant_id,
  nodeId: r.node_id,
  volumeType: r.volume_type,
  properties: JSON.parse(r.properties) as Record<string, unknown>,
  bootIndex: r.boot_index,
  volumeId: r.volume_id,
  extra: JSON.parse(r.extra) as Record<string, unknown>,
  exportTargetId: r.export_target_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class BareMetalTable implements BareMetalRepository {
  constructor(private readonly db: Db) {}

  listNodes(): BareMetalNode[] {
    return (this.db.prepare('SELECT * FROM nodes ORDER BY id').all() as NodeRow[]).map(node);
  }

  insertNode(n: Omit<BareMetalNode, 'id'>): number {
    return Number(
      this.db
        .prepare('INSERT INTO nodes (uuid, tenant_id, name, driver, power_state, provision_state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(n.uuid, n.tenantId, n.name, n.driver, n.powerState, n.provisionState, n.createdAt, n.updatedAt).lastInsertRowid,
    );
  }

  updateNode(n: BareMetalNode): void {
    this.db
      .prepare('UPDATE nodes SET name = ?, driver = ?, power_state = ?, provision_state = ?, updated_at = ? WHERE id = ?')
      .run(n.name, n.driver, n.powerState, n.provisionState, n.updatedAt, n.id);
  }

  deleteNode(id: number): void {
    this.db.prepare('DELETE FROM nodes WHERE id = ?').run(id);
  }

  listVolumeConnectors(): VolumeConnector[] {
    return (this.db.prepare('SELECT * FROM volume_connectors ORDER BY id').all() as ConnectorRow[]).map(connector);
  }

  insertVolumeConnector(c: Omit<VolumeConnector, 'id'>): number {
    return Number(
      this.db
        .prepare('INSERT INTO volume_connectors (uuid, tenant_id, node_id, type, connector_id, extra, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(c.uuid, c.tenantId, c.nodeId, c.type, c.connectorId, JSON.stringify(c.extra), c.createdAt, c.updatedAt).lastInsertRowid,
    );
  }

  updateVolumeConnector(c: VolumeConnector): void {
    this.db
      .prepare('UPDATE volume_connectors SET node_id = ?, type = ?, connector_id = ?, extra = ?, updated_at = ? WHERE id = ?')
      .run(c.nodeId, c.type, c.connectorId, JSON.stringify(c.extra), c.updatedAt, c.id);
  }

  deleteVolumeConnector(id: number): void {
    this.db.prepare('DELETE FROM volume_connectors WHERE id = ?').run(id);
  }

  listVolumeTargets(): VolumeTarget[] {
    return (this.db.prepare('SELECT * FROM volume_targets ORDER BY id').all() as TargetRow[]).map(target);
  }

  insertVolumeTarget(t: Omit<VolumeTarget, 'id'>): number {
    return Number(
      this.db
        .prepare(
          `INSERT INTO volume_targets (uuid, tenant_id, node_id, volume_type, properties, boot_index, volume_id, extra, export_target_id, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          t.uuid,
          t.tenantId,
          t.nodeId,
          t.volumeType,
          JSON.stringify(t.properties),
          t.bootIndex,
          t.volumeId,
          JSON.stringify(t.extra),
          t.exportTargetId,
          t.createdAt,
          t.updatedAt,
        ).lastInsertRowid,
    );
  }

  updateVolumeTarget(t: VolumeTarget): void {
    this.db
      .prepare(
        `UPDATE volume_targets SET node_id = ?, volume_type = ?, properties = ?, boot_index = ?, volume_id = ?, extra = ?, export_target_id = ?, updated_at = ?
         WHERE id = ?`,
      )
      .run(t.nodeId, t.volumeType, JSON.stringify(t.properties), t.bootIndex, t.volumeId, JSON.stringify(t.extra), t.exportTargetId, t.updatedAt, t.id);
  }

  deleteVolumeTarget(id: number): void {
    this.db.prepare('DELETE FROM volume_targets WHERE id = ?').run(id);
  }
}

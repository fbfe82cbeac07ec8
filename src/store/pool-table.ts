/**
 * Pools and the site identity on SQLite: the `pools` table (JSON columns for the lists and
 * attributes the share-pool API sends as arrays and maps) and three rows of `settings`
 * for the cluster, zone and machine uuids, made once.
 */
import { randomUUID } from 'node:crypto';
import type { Pool, PoolHealth, PoolType } from '../domain/entities.js';
import type { SiteIdentity } from '../domain/site.js';
import type { Db } from './database.js';

interface PoolRow {
  id: number;
  uuid: string;
  name: string;
  type: string;
  path: string;
  source: string;
  ip: string;
  port: string;
  username: string;
  password: string;
  zone_uuid: string;
  limit_host: number;
  avail_hosts: string;
  avail_tenants: string;
  attributes: string;
  created_at: number;
  modified_at: number;
  configured: number;
  health: string;
  health_reason: string | null;
}

function poolFromRow(r: PoolRow): Pool {
  return {
    id: r.id,
    uuid: r.uuid,
    name: r.name,
    type: r.type as PoolType,
    path: r.path,
    source: r.source,
    ip: r.ip,
    port: r.port,
    username: r.username,
    password: r.password,
    zoneUuid: r.zone_uuid,
    limitHost: r.limit_host === 1,
    availHosts: JSON.parse(r.avail_hosts) as string[],
    availTenants: JSON.parse(r.avail_tenants) as string[],
    attributes: JSON.parse(r.attributes) as Record<string, string>,
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
    configured: r.configured === 1,
    health: r.health as PoolHealth,
    healthReason: r.health_reason,
  };
}

function poolParams(p: Omit<Pool, 'id'>): unknown[] {
  return [
    p.uuid,
    p.name,
    p.type,
    p.path,
    p.source,
    p.ip,
    p.port,
    p.username,
    p.password,
    p.zoneUuid,
    p.limitHost ? 1 : 0,
    JSON.stringify(p.availHosts),
    JSON.stringify(p.availTenants),
    JSON.stringify(p.attributes),
    p.createdAt,
    p.modifiedAt,
    p.configured ? 1 : 0,
    p.health,
    p.healthReason,
  ];
}

const COLUMNS =
  'uuid, name, type, path, source, ip, port, username, password, zone_uuid, limit_host, avail_hosts, avail_tenants, attributes, created_at, modified_at, configured, health, health_reason';

const SITE_KEYS = { clusterUuid: 'site.cluster_uuid', zoneUuid: 'site.zone_uuid', machineUuid: 'site.machine_uuid' } as const;

export class PoolTable {
  constructor(private readonly db: Db) {}

  list(): Pool[] {
    return (this.db.prepare('SELECT * FROM pools ORDER BY id').all() as PoolRow[]).map(poolFromRow);
  }

  get(id: number): Pool | null {
    const row = this.db.prepare('SELECT * FROM pools WHERE id = ?').get(id) as PoolRow | undefined;
    return row ? poolFromRow(row) : null;
  }

  byUuid(uuid: string): Pool | null {
    const row = this.db.prepare('SELECT * FROM pools WHERE uuid = ?').get(uuid) as PoolRow | undefined;
    return row ? poolFromRow(row) : null;
  }

  byName(name: string): Pool | null {
    const row = this.db.prepare('SELECT * FROM pools WHERE name = ?').get(name) as PoolRow | undefined;
    return row ? poolFromRow(row) : null;
  }

  insert(p: Omit<Pool, 'id'>): number {
    const placeholders = COLUMNS.split(',')
      .map(() => '?')
      .join(', ');
    return Number(this.db.prepare(`INSERT INTO pools (${COLUMNS}) VALUES (${placeholders})`).run(...poolParams(p)).lastInsertRowid);
  }

  update(p: Pool): void {
    const sets = COLUMNS.split(', ')
      .map((c) => `${c} = ?`)
      .join(', ');
    this.db.prepare(`UPDATE pools SET ${sets} WHERE id = ?`).run(...poolParams(p), p.id);
  }

  delete(id: number): void {
    this.db.prepare('DELETE FROM pools WHERE id = ?').run(id);
  }

  /**
   * A pool the settings define (the default pool, SANBOX_POOLS): made on first start,
   * its directory kept in step with the settings afterwards; a pool of that name made
   * through an API becomes the settings' one.
   */
  upsertConfigured(name: string, dir: string, zoneUuid: string): void {
    const existing = this.byName(name);
    if (existing) {
      this.update({ ...existing, type: 'disk', path: dir, source: dir, configured: true, zoneUuid: existing.zoneUuid || zoneUuid });
      return;
    }
    this.insert({
      uuid: randomUUID(),
      name,
      type: 'disk',
      path: dir,
      source: dir,
      ip: '127.0.0.1',
      port: '',
      username: '',
      password: '',
      zoneUuid,
      limitHost: false,
      availHosts: [],
      availTenants: [],
      attributes: { overAllocationThreshold: '1.0' },
      createdAt: Math.floor(Date.now() / 1000),
      modifiedAt: 0,
      configured: true,
      health: 'healthy',
      healthReason: null,
    });
  }

  siteIdentity(): SiteIdentity {
    const read = (key: string) => (this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined)?.value;
    const ensure = (key: string) => {
      const value = read(key);
      if (value) return value;
      const made = randomUUID();
      this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)').run(key, made);
      return made;
    };
    return {
      clusterUuid: ensure(SITE_KEYS.clusterUuid),
      clusterName: 'sanbox',
      zoneUuid: ensure(SITE_KEYS.zoneUuid),
      zoneName: 'default',
      machineUuid: ensure(SITE_KEYS.machineUuid),
    };
  }
}

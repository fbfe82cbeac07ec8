/**
 * Tenants: who owns configuration. Every portal group, initiator group, auth credential,
 * target, extent, LUN mapping and target group belongs to one, and refers only to its
 * tenant's objects; names and tags are unique within a tenant. The default tenant (id 1)
 * owns what existed before tenants and everything the FreeNAS dialect creates; it cannot
 * be deleted. Each tenant has its own iSCSI service switch (service-switch.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Tenant } from './entities.js';
import { putAnnotations, type AnnotationChanges } from './annotations.js';
import { fail, notFound } from './errors.js';
import type { Mutations } from './mutations.js';
import type { ConfigRepository } from './repository.js';
import { text } from './rules.js';

export const DEFAULT_TENANT_ID = 1;

export interface TenantInput {
  name?: string;
  /** Its iSCSI service switch at creation (default on; an ONTAP SVM starts without a service, so off). */
  iscsiEnabled?: boolean;
  /** Stopped: it serves nothing (default running). */
  running?: boolean;
  annotations?: AnnotationChanges;
}

/** The tenant a new object goes to: the one asked for (it must exist), else the default tenant. */
export function ownerTenant(store: ConfigRepository, tenantId: number | undefined): number {
  if (tenantId === undefined) return DEFAULT_TENANT_ID;
  if (!Number.isInteger(tenantId) || !store.getTenant(tenantId)) throw fail('reference.missing', 'tenantId', { entity: 'tenant', id: tenantId });
  return tenantId;
}

/** An object stays with the tenant it was created in. */
export function keepTenant(asked: number | undefined, current: number): void {
  if (asked !== undefined && asked !== current) throw fail('tenant.move-refused', 'tenantId');
}

export class TenantService {
  constructor(private readonly m: Mutations) {}

  list(): Tenant[] {
    return this.m.store.listTenants();
  }

  /** The tenant with this uuid, or null. */
  byUuid(uuid: string): Tenant | null {
    return this.m.store.tenantByUuid(uuid.toLowerCase());
  }

  get(id: number): Tenant {
    const tenant = this.m.store.getTenant(id);
    if (!tenant) throw notFound('tenant');
    return tenant;
  }

  create(input: TenantInput): Promise<Tenant> {
    return this.m.run(() => {
      const name = this.checkName(input.name, null);
      const tenant: Omit<Tenant, 'id'> = { uuid: randomUUID(), name, iscsiEnabled: input.iscsiEnabled ?? true, running: input.running ?? true };
      const id = this.m.store.insertTenant(tenant);
      putAnnotations(this.m.store, tenant.uuid, input.annotations);
      return { id, ...tenant };
    });
  }

  update(id: number, input: TenantInput): Promise<Tenant> {
    return this.m.run(() => {
      const next = { ...this.get(id) };
      if (input.name !== undefined) next.name = this.checkName(input.name, id);
      if (input.running !== undefined) next.running = input.running;
      if (input.iscsiEnabled !== undefined) next.iscsiEnabled = input.iscsiEnabled;
      this.m.store.updateTenant(next);
      putAnnotations(this.m.store, next.uuid, input.annotations);
      return next;
    });
  }

  private checkName(name: unknown, selfId: number | null): string {
    if (typeof name !== 'string' || name.trim() === '') throw fail('value.required', 'name');
    const trimmed = text('name', name, 64).trim();
    const twin = this.m.store.tenantByName(trimmed);
    if (twin && twin.id !== selfId) throw fail('name.taken', 'name', { entity: 'tenant', name: trimmed });
    return trimmed;
  }

  /**
   * Refused for the default tenant, and while the tenant owns anything but `ownPortalGroups`
   * (its own addresses, as an HNAS virtual server's), which go with it.
   */
  delete(id: number, ownPortalGroups: readonly number[] = []): Promise<void> {
    return this.m.run(() => {
      const tenant = this.get(id);
      if (id === DEFAULT_TENANT_ID) throw fail('tenant.default-kept', '__all__');
      const all = this.m.store.tenantHoldings(id);
      const held = { ...all, 'portal groups': (all['portal groups'] ?? 0) - ownPortalGroups.length };
      if (Object.values(held).some((n) => n > 0)) {
        const holds = Object.entries(all).map(([kind, n]) => `${n} ${kind}`);
        throw fail('tenant.not-empty', '__all__', { tenant: tenant.name, holds });
      }
      for (const group of ownPortalGroups) this.m.store.deletePortalGroup(group);
      this.m.store.deleteTenant(id);
    });
  }
}

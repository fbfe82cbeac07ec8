/**
 * A tenant's iSCSI service (ONTAP's `vserver iscsi`): the tenant's one tenant-wide target
 * (entities.ts) and the tenant's iSCSI switch. It exists while that target does; creating
 * it creates the target (named by the dialect, aliased by default with the tenant's name)
 * and sets the switch; deleting it is refused while it is enabled, and deletes the target.
 * The tenant's LUN maps and initiator groups are the tenant's and stay.
 */
import type { Target, Tenant } from './entities.js';
import { fail, notFound } from './errors.js';
import type { Mutations } from './mutations.js';
import type { TargetService } from './targets.js';

export interface IscsiService {
  tenant: Tenant;
  target: Target;
}

export interface IscsiServiceInput {
  /** The target's iSCSI name (create only). */
  name?: string;
  /** null or '' clears it. */
  alias?: string | null;
  enabled?: boolean;
}

/** 1 to 128 printable characters, no space (ONTAP's rule for a target alias). */
const ALIAS = /^[\x21-\x7e]{1,128}$/;

export class IscsiServices {
  constructor(
    private readonly m: Mutations,
    private readonly targets: TargetService,
  ) {}

  list(): IscsiService[] {
    const tenants = new Map(this.m.store.listTenants().map((t) => [t.id, t]));
    return this.m.store
      .listTargets()
      .items.filter((t) => t.tenantWide && tenants.has(t.tenantId))
      .map((target) => ({ tenant: tenants.get(target.tenantId)!, target }));
  }

  of(tenantId: number): IscsiService | null {
    return this.list().find((s) => s.tenant.id === tenantId) ?? null;
  }

  get(tenantId: number): IscsiService {
    const tenant = this.m.store.getTenant(tenantId);
    if (!tenant) throw notFound('tenant');
    const service = this.of(tenantId);
    if (!service) throw fail('iscsi-service.missing', 'svm', { tenant: tenant.name });
    return service;
  }

  create(tenantId: number, input: IscsiServiceInput): Promise<IscsiService> {
    return this.m.run(() => {
      const tenant = this.m.store.getTenant(tenantId);
      if (!tenant) throw notFound('tenant');
      if (this.of(tenantId)) throw fail('iscsi-service.exists', 'svm', { tenant: tenant.name });
      const alias = input.alias === undefined ? tenant.name : checkAlias(input.alias);
      const target = this.targets.insert({ tenantId, name: input.name, alias, tenantWide: true, authMethod: 'None' });
      const enabled = input.enabled ?? true;
      this.m.store.updateTenant({ ...tenant, iscsiEnabled: enabled });
      return { tenant: { ...tenant, iscsiEnabled: enabled }, target };
    });
  }

  update(tenantId: number, input: IscsiServiceInput): Promise<IscsiService> {
    return this.m.run(() => {
      const service = this.get(tenantId);
      let { target, tenant } = service;
      if (input.alias !== undefined) target = this.targets.revise(target.id, { alias: checkAlias(input.alias) });
      if (input.enabled !== undefined && input.enabled !== tenant.iscsiEnabled) {
        tenant = { ...tenant, iscsiEnabled: input.enabled };
        this.m.store.updateTenant(tenant);
      }
      return { tenant, target };
    });
  }

  delete(tenantId: number): Promise<void> {
    return this.m.run(() => {
      const service = this.get(tenantId);
      if (service.tenant.iscsiEnabled) throw fail('iscsi-service.enabled', 'enabled');
      this.m.store.deleteTarget(service.target.id);
    });
  }
}

function checkAlias(alias: string | null): string | null {
  if (alias === null || alias === '') return null;
  if (typeof alias !== 'string' || !ALIAS.test(alias)) throw fail('iscsi-service.alias-invalid', 'alias');
  return alias;
}

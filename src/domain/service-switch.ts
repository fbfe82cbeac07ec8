/**
 * The services sanbox runs and their administrative state: today one, the iSCSI target
 * (FreeNAS's "iscsitarget"), switched per tenant. Switched off, the tenant's targets end
 * their sessions and refuse every login, and discovery no longer reports them; for the
 * default tenant its portals also stop listening. Switched on, they serve again. The state
 * is the tenant's row, so it survives a restart; a new tenant has it on. The FreeNAS dialect
 * switches the default tenant's.
 */
import type { ServiceSetting } from './entities.js';
import { fail, notFound } from './errors.js';
import type { Mutations } from './mutations.js';
import { DEFAULT_TENANT_ID } from './tenants.js';

export const ISCSI_SERVICE_ID = 1;
export const ISCSI_SERVICE_NAME = 'iscsitarget';

export interface ServiceState extends ServiceSetting {
  /** Live: the data plane serves it now (listening and admitting logins). */
  running: boolean;
}

export class ServiceSwitch {
  /** `running`: the data plane's word on whether it serves a tenant's iSCSI targets now. */
  constructor(
    private readonly m: Mutations,
    private readonly running: ((tenantId: number) => boolean) | null = null,
  ) {}

  list(tenantId = DEFAULT_TENANT_ID): ServiceState[] {
    return [this.state(tenantId)];
  }

  /** By id (1) or by name ("iscsitarget"). */
  get(idOrName: string | number, tenantId = DEFAULT_TENANT_ID): ServiceState {
    const key = String(idOrName);
    if (key !== String(ISCSI_SERVICE_ID) && key !== ISCSI_SERVICE_NAME) throw notFound('service');
    return this.state(tenantId);
  }

  setEnabled(idOrName: string | number, enabled: boolean | undefined, tenantId = DEFAULT_TENANT_ID): Promise<ServiceState> {
    this.get(idOrName, tenantId);
    return this.m
      .run(() => {
        if (enabled === undefined) return;
        if (typeof enabled !== 'boolean') throw fail('value.not-boolean', 'enabled');
        const tenant = this.m.store.getTenant(tenantId)!;
        this.m.store.updateTenant({ ...tenant, iscsiEnabled: enabled });
      })
      .then(() => this.state(tenantId));
  }

  private state(tenantId: number): ServiceState {
    const tenant = this.m.store.getTenant(tenantId);
    if (!tenant) throw notFound('tenant');
    const enabled = tenant.iscsiEnabled;
    return { id: ISCSI_SERVICE_ID, name: ISCSI_SERVICE_NAME, enabled, running: this.running ? this.running(tenantId) : enabled };
  }
}

/**
 * The services sanbox runs and their administrative state: today one, the iSCSI target
 * (FreeNAS's "iscsitarget"), for the one default tenant. Switched off, the data plane
 * closes its portals, ends its sessions and refuses logins; switched on, it serves again.
 * The state is stored, so it survives a restart; a fresh store has it on.
 */
import type { ServiceSetting } from './entities.js';
import { fail, notFound } from './errors.js';
import type { Mutations } from './mutations.js';

export const ISCSI_SERVICE_ID = 1;
export const ISCSI_SERVICE_NAME = 'iscsitarget';

export interface ServiceState extends ServiceSetting {
  /** Live: the data plane serves it now (listening and admitting logins). */
  running: boolean;
}

export class ServiceSwitch {
  /** `running`: the data plane's word on whether the iSCSI target serves now. */
  constructor(
    private readonly m: Mutations,
    private readonly running: (() => boolean) | null = null,
  ) {}

  list(): ServiceState[] {
    return [this.state()];
  }

  /** By id (1) or by name ("iscsitarget"). */
  get(idOrName: string | number): ServiceState {
    const key = String(idOrName);
    if (key !== String(ISCSI_SERVICE_ID) && key !== ISCSI_SERVICE_NAME) throw notFound('service');
    return this.state();
  }

  setEnabled(idOrName: string | number, enabled: boolean | undefined): Promise<ServiceState> {
    this.get(idOrName);
    return this.m
      .run(() => {
        if (enabled === undefined) return;
        if (typeof enabled !== 'boolean') throw fail('value.not-boolean', 'enabled');
        this.m.store.setIscsiEnabled(enabled);
      })
      .then(() => this.state());
  }

  private state(): ServiceState {
    const enabled = this.m.store.iscsiEnabled();
    return { id: ISCSI_SERVICE_ID, name: ISCSI_SERVICE_NAME, enabled, running: this.running ? this.running() : enabled };
  }
}

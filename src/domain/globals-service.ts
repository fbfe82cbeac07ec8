/** The global iSCSI settings: one row, created with the seed's defaults on first start. */
import { defaultGlobals } from './defaults.js';
import type { GlobalSettings } from './entities.js';
import { fail } from './errors.js';
import { isIscsiName } from './iscsi-names.js';
import { isIPv4, isIPv6, isNetwork } from './addresses.js';
import type { Mutations } from './mutations.js';
import { AUTH_METHODS, atMost, choice, intInRange, noControlCharacters, noControlCharactersInList } from './rules.js';
import { assertAuthGroupUsable } from './auth-groups.js';
import { DEFAULT_TENANT_ID } from './tenants.js';

export type GlobalsPatch = Partial<GlobalSettings>;

/** RFC 7143 §13: burst and segment lengths are 512 .. 2^24-1. */
const MAX_24 = 16777215;

export class GlobalsService {
  constructor(private readonly m: Mutations) {}

  /** Creates the settings row with the defaults if it does not exist yet. */
  ensureDefaults(): void {
    this.m.store.transaction(() => {
      if (!this.m.store.getGlobals()) this.m.store.putGlobals(defaultGlobals());
    });
  }

  get(): GlobalSettings {
    return this.m.store.getGlobals()!;
  }

  update(patch: GlobalsPatch): Promise<GlobalSettings> {
    return this.m.run(() => {
      const next: GlobalSettings = { ...this.get(), ...stripUndefined(patch) };
      validateGlobals(next, this.m);
      this.m.store.putGlobals(next);
      return next;
    });
  }
}

function validateGlobals(g: GlobalSettings, m: Mutations): void {
  noControlCharacters('basename', g.basename);
  if (!isIscsiName(g.basename)) {
    throw fail('globals.basename-invalid', 'basename');
  }
  choice('discoveryAuthMethod', g.discoveryAuthMethod, AUTH_METHODS);
  intInRange('ioTimeoutSec', g.ioTimeoutSec, 0, 300);
  intInRange('nopInIntervalSec', g.nopInIntervalSec, 0, 300);
  intInRange('maxSessions', g.maxSessions, 1, 65535);
  intInRange('maxConnections', g.maxConnections, 1, 65535);
  intInRange('maxPreSendR2T', g.maxPreSendR2T, 1, 65535);
  intInRange('maxOutstandingR2T', g.maxOutstandingR2T, 1, 65535);
  intInRange('firstBurstLength', g.firstBurstLength, 512, MAX_24);
  intInRange('maxBurstLength', g.maxBurstLength, 512, MAX_24);
  intInRange('maxRecvDataSegmentLength', g.maxRecvDataSegmentLength, 512, MAX_24);
  if (g.firstBurstLength > g.maxBurstLength) {
    throw fail('globals.first-burst-too-large', 'firstBurstLength');
  }
  intInRange('defaultTime2Wait', g.defaultTime2Wait, 0, 3600);
  intInRange('defaultTime2Retain', g.defaultTime2Retain, 0, 3600);
  if (typeof g.lucEnabled !== 'boolean') throw fail('value.not-boolean', 'lucEnabled');
  if (!isIPv4(g.lucIp) && !isIPv6(g.lucIp)) throw fail('value.not-ip-address', 'lucIp');
  intInRange('lucPort', g.lucPort, 1, 65535);
  noControlCharactersInList('lucAuthNetwork', g.lucAuthNetwork);
  if (
    g.lucAuthNetwork !== '' &&
    !g.lucAuthNetwork
      .split(/[\s,]+/)
      .filter(Boolean)
      .every(isNetwork)
  ) {
    throw fail('globals.networks-invalid', 'lucAuthNetwork');
  }
  choice('lucAuthMethod', g.lucAuthMethod, ['', ...AUTH_METHODS]);
  atMost('lucAuthNetwork', g.lucAuthNetwork, 120);
  // The global settings are the default tenant's, and so are the auth groups they name.
  assertAuthGroupUsable(m.store, DEFAULT_TENANT_ID, 'discoveryAuthGroup', g.discoveryAuthMethod, g.discoveryAuthGroup);
  if (g.lucAuthGroup !== null) assertAuthGroupUsable(m.store, DEFAULT_TENANT_ID, 'lucAuthGroup', 'Auto', g.lucAuthGroup);
}

export function stripUndefined<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

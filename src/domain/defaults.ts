/**
 * Defaults a fresh install starts with: the FreeNAS v1.0 seed's global configuration, and
 * the defaults of fields a client may leave out.
 */
import type { GlobalSettings } from './entities.js';

export function defaultGlobals(): GlobalSettings {
  return {
    basename: 'iqn.2011-03.org.example.istgt',
    discoveryAuthMethod: 'None',
    discoveryAuthGroup: null,
    ioTimeoutSec: 30,
    nopInIntervalSec: 20,
    maxSessions: 16,
    maxConnections: 8,
    maxPreSendR2T: 32,
    maxOutstandingR2T: 16,
    firstBurstLength: 65536,
    maxBurstLength: 262144,
    maxRecvDataSegmentLength: 262144,
    defaultTime2Wait: 2,
    defaultTime2Retain: 60,
    lucEnabled: false,
    lucIp: '127.0.0.1',
    lucPort: 3261,
    lucAuthNetwork: '',
    lucAuthMethod: '',
    lucAuthGroup: null,
  };
}

/** First serial FreeNAS hands out; later ones count up from it. */
export const FIRST_TARGET_SERIAL = 10000001;

export const EXTENT_DEFAULTS = {
  comment: '',
  blockSize: null,
  serial: null,
  readOnly: false,
  rpm: 'SSD',
  insecureTpc: true,
  xen: false,
  availThreshold: null,
} as const;

export const TARGET_DEFAULTS = {
  alias: null,
  readOnly: false,
  initiatorGroupId: null,
  authMethod: 'Auto',
  authGroup: null,
  digest: 'Auto',
  queueDepth: 32,
  blockSize: 512,
  type: 'Disk',
  tenantWide: false,
  allTenantPortals: false,
} as const;

/** Highest LUN number a mapping may ask for (FreeNAS's limit). */
export const MAX_LUN = 1023;

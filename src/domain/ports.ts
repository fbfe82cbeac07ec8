/**
 * What the domain needs from the outside, as interfaces it owns. The composition root
 * (src/app.ts) plugs the data plane in; the domain never imports dataplane/.
 */
import type { ConfigSnapshot } from './entities.js';

/**
 * Receives the whole configuration after every committed change and makes it live.
 * The mutation's caller (an API request) waits for `apply` to resolve, so when the API
 * answers, an initiator that logs in next already sees the change. `apply` must not
 * throw for a portal that cannot listen: that is live state, reported by `status()`.
 */
export interface ConfigApplier {
  apply(snapshot: ConfigSnapshot): Promise<void>;
}

/** Live state for GET /api/status: listeners and sessions, shaped by the data plane. */
export interface LiveStatusSource {
  status(): LiveStatus;
}

export interface ListenerStatus {
  address: string;
  portalGroupTag: number;
  state: 'listening' | 'failed' | 'starting';
  error: string | null;
}

export interface SessionStatus {
  initiatorName: string;
  initiatorAddress: string;
  isid: string;
  tsih: number;
  target: string | null;
  type: 'Discovery' | 'Normal';
  portal: string;
  connections: number;
  parameters: Record<string, string>;
  bytesIn: number;
  bytesOut: number;
  commands: number;
}

/**
 * A served extent's medium. Offline: its file (or the pool directory holding it) is
 * missing or cannot be opened, so its LUNs answer NOT READY; nothing is created.
 */
export interface ExtentStatus {
  id: number;
  name: string;
  /** The real path the data plane opens (null for a null device). */
  path: string | null;
  state: 'online' | 'offline';
  /** Offline: the first missing path, the image or its directory (pool not mounted). */
  missing: string | null;
  /** Offline: why the open failed, e.g. "ENOENT: no such file or directory, open '...'". */
  error: string | null;
  /** Offline: when it was first found missing (ISO 8601). */
  since: string | null;
}

/** The iSCSI target's process-wide limits and how much of each is in use now. */
export interface TargetLoadStatus {
  connections: number;
  maxConnections: number;
  loggingIn: number;
  maxLoggingIn: number;
  /** Bytes of buffered Data-Out and unsent Data-In, the budget, and commands waiting for it. */
  ioBytes: number;
  ioBudgetBytes: number;
  ioWaiting: number;
}

export interface LiveStatus {
  listeners: ListenerStatus[];
  sessions: SessionStatus[];
  /** Extents mapped to a target, with the state of their medium. */
  extents: ExtentStatus[];
  /** Absent when no data plane runs (API-only tests). */
  load?: TargetLoadStatus;
}

/** A pool's figures, measured from its storage when asked (never stored). */
export interface PoolMeasure {
  capacityBytes: number;
  /** Bytes really allocated under the pool (du, not ls -l). */
  usedBytes: number;
  freeBytes: number;
  health: 'healthy' | 'degraded' | 'offline';
  reason: string | null;
}

/** What the host's storage can do: measure a pool, and say which pool types it can create now. */
export interface PoolStorage {
  measure(pool: { type: string; path: string; source: string }): PoolMeasure;
  /** null when this host can create pools of `type` now; otherwise what is missing, in plain words. */
  unsupported(type: string): string | null;
  /** Fibre Channel disks this host sees (none without an FC HBA). */
  fcDevices(): FcDevice[];
}

export interface FcDevice {
  /** The stable name (/dev/disk/by-id/...), which the share-pool API groups by. */
  name: string;
  hostName: string;
  diskPath: string;
}

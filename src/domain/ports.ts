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
  /** The live counters (GET /metrics); absent when no data plane runs (API-only tests). */
  counters?(): LiveCounters;
  /** Ends the session with this TSIH at once; false when there is none. Absent without a data plane. */
  endSession?(tsih: number): boolean;
}

/** Latency observations in fixed buckets: `counts[i]` fell at or under `bounds[i]` seconds (not cumulative); the last is above them all. */
export interface LatencySnapshot {
  bounds: readonly number[];
  counts: number[];
  sum: number;
  count: number;
}

/** A logical unit's or a session's I/O since it started. */
export interface IoCountersSnapshot {
  reads: number;
  writes: number;
  others: number;
  /** Data-Out bytes (written). */
  bytesIn: number;
  /** Data-In bytes (read). */
  bytesOut: number;
  aborts: number;
  /** CHECK CONDITION answers by sense key name (e.g. illegal_request); only the keys seen. */
  errorsBySenseKey: Record<string, number>;
  readLatency: LatencySnapshot;
  writeLatency: LatencySnapshot;
}

export type LoginRefusalReason =
  | 'bad_chap'
  | 'initiator_not_allowed'
  | 'target_not_found'
  | 'service_disabled'
  | 'too_many_sessions'
  | 'connection_limit'
  | 'other';

/** The data plane's counters, for as long as it runs (monotonic, except a deleted target's LUs go). */
export interface LiveCounters {
  /** Per target and LUN. `tenant`: the target's tenant's name. */
  lus: Array<{ target: string; lun: number; tenant: string | null; io: IoCountersSnapshot }>;
  /** Per initiator, target and portal: the sessions that ended plus the live ones. */
  initiators: Array<{ initiator: string; target: string | null; portal: string; tenant: string | null; sessions: number; io: IoCountersSnapshot }>;
  /** Logins per listener (its configured address). */
  portals: Array<{ portal: string; accepted: number; refused: Record<LoginRefusalReason, number> }>;
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
  /** Its commands by kind, bytes, latency, errors and aborts (absent from API-only fakes). */
  io?: IoCountersSnapshot;
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

/** An iscsi pool's storage: one LUN of an external array, as the pool's fields name it (array-source.ts). */
export interface ArrayLun {
  address: string;
  port: number;
  targetName: string;
  lun: number;
  /** One-way CHAP the array asks of sanbox; the secret is never logged. */
  chap: { user: string; secret: string } | null;
}

/**
 * Why an array could not be used: nothing answers at the address, the login was refused
 * (CHAP, or sanbox not allowed), the target is not there, or the LUN is missing or not a
 * disk with a capacity.
 */
export type ArrayRefusal = 'unreachable' | 'auth' | 'no-target' | 'unusable';

export type ArrayAnswer = { ok: true; figures: PoolMeasure } | { ok: false; refusal: ArrayRefusal; reason: string };

/** What the pool service asks of the storage a carved pool's extents are ranges of. */
export interface CarvedLinks {
  /** The pool was not made after all: its link ends. */
  drop(poolUuid: string): Promise<void>;
  /** The pool's capacity and health as its link knows them now, without I/O. */
  measure(poolUuid: string): PoolMeasure;
  /** Asks the storage now (a command or a read), within a few seconds. */
  probe(poolUuid: string): Promise<PoolMeasure>;
  /**
   * Makes bytes of the pool's device read as zeros (deallocated where it promises zeros,
   * else written), widened to its blocks; rejects with why it could not.
   */
  zero(poolUuid: string, offset: number, length: number): Promise<void>;
}

/**
 * The sessions to the external arrays behind iscsi pools: one per pool, kept by the data
 * plane. A pool's session is opened when the pool is made (and at every start, in the
 * background until the array answers) and closed when the pool is deleted.
 */
export interface ArrayLinks extends CarvedLinks {
  /** Logs in for a pool about to be made and reads the capacity; keeps the session under its uuid. */
  open(poolUuid: string, lun: ArrayLun): Promise<ArrayAnswer>;
}

/** Where an rbd pool's images are, and who sanbox is to that cluster (rbd-source.ts). */
export interface RbdTarget {
  monitors: string[];
  /** 0: Ceph's default ports. */
  port: number;
  pool: string;
  namespace: string;
  /** Ceph client name without `client.`; '' is admin. */
  user: string;
  /** cephx key; a secret, never logged. */
  key: string;
}

/**
 * The cluster connections behind rbd pools, kept by the data plane: one per pool, opened
 * when the pool is made (and at every start, again until the cluster answers) and closed
 * when it is deleted. An extent of an rbd pool is one image, made here with the extent.
 */
export interface RbdLinks {
  /** Connects for a pool about to be made and reads its figures; keeps it under the pool's uuid. */
  open(poolUuid: string, target: RbdTarget): Promise<{ ok: true; figures: PoolMeasure } | { ok: false; reason: string }>;
  drop(poolUuid: string): Promise<void>;
  /** The pool's figures as last read from the cluster, without asking it. */
  measure(poolUuid: string): PoolMeasure;
  /** Asks the cluster now. */
  probe(poolUuid: string): Promise<PoolMeasure>;
  /** A new thin image of `sizeBytes`; rejects (EEXIST, ETIMEDOUT, ...) with why not. */
  createImage(poolUuid: string, image: string, sizeBytes: number): Promise<void>;
  /** Grows an image to `sizeBytes`. */
  resizeImage(poolUuid: string, image: string, sizeBytes: number): Promise<void>;
  removeImage(poolUuid: string, image: string): Promise<void>;
  /**
   * Once the pool is connected: removes the image if the cluster made it at `sinceMs` or
   * later (an interrupted create's, not an image that was there before); whether it did.
   */
  removeImageMadeSince(poolUuid: string, image: string, sinceMs: number): Promise<boolean>;
}

/**
 * The local block devices behind disk pools that have no directory, kept open by the data
 * plane: opened when the pool is made (and at every start) and closed when it is deleted.
 */
export interface DeviceLinks extends CarvedLinks {
  /** Opens the device (its real path) for a pool about to be made; keeps it under the pool's uuid. */
  open(poolUuid: string, device: string): Promise<{ ok: true; figures: PoolMeasure } | { ok: false; reason: string }>;
}

/**
 * Live counters of the iSCSI target (issue 15): per logical unit (target + LUN), per
 * session, and per portal's logins. Counting stays off the hot path's allocation budget:
 * every counter is a number field of an object made once (a LU's when it is first used,
 * a session's at login), and latency goes into fixed bucket arrays.
 */

/** Upper bounds, in seconds, of the latency buckets (Prometheus `le`); one more bucket is +Inf. */
export const LATENCY_BUCKETS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const BOUNDS = LATENCY_BUCKETS.length;

export class LatencyHistogram {
  /** Observations per bucket (not cumulative); the last one is above the highest bound. */
  readonly counts = new Float64Array(BOUNDS + 1);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    let i = 0;
    while (i < BOUNDS && seconds > LATENCY_BUCKETS[i]!) i++;
    this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }

  addTo(into: LatencyHistogram): void {
    for (let i = 0; i <= BOUNDS; i++) into.counts[i]! += this.counts[i]!;
    into.sum += this.sum;
    into.count += this.count;
  }

  snapshot(): HistogramSnapshot {
    return { bounds: LATENCY_BUCKETS, counts: Array.from(this.counts), sum: this.sum, count: this.count };
  }
}

export interface HistogramSnapshot {
  bounds: readonly number[];
  counts: number[];
  sum: number;
  count: number;
}

/** What a command is, for counting: READ(6/10/12/16), WRITE (and WRITE AND VERIFY), or anything else. */
export const enum IoKind {
  Read = 0,
  Write = 1,
  Other = 2,
}

/** READ(6/10/12/16), WRITE(6/10/12/16), WRITE AND VERIFY(10/12/16); the rest is Other. */
export function ioKind(opcode: number): IoKind {
  switch (opcode) {
    case 0x08:
    case 0x28:
    case 0xa8:
    case 0x88:
      return IoKind.Read;
    case 0x0a:
    case 0x2a:
    case 0xaa:
    case 0x8a:
    case 0x2e:
    case 0xae:
    case 0x8e:
      return IoKind.Write;
    default:
      return IoKind.Other;
  }
}

/** The sense key of fixed (70h/71h) or descriptor (72h/73h) sense data; -1 when none. */
export function senseKeyOf(sense: Buffer | undefined): number {
  if (!sense || sense.length < 3) return -1;
  const code = sense[0]! & 0x7f;
  if (code === 0x72 || code === 0x73) return sense[1]! & 0x0f;
  return sense[2]! & 0x0f;
}

/** One set of I/O counters: a logical unit's, a session's, or the sum of past sessions'. */
export class IoCounters {
  reads = 0;
  writes = 0;
  others = 0;
  /** Data-Out bytes the commands carried (written). */
  bytesIn = 0;
  /** Data-In bytes the commands answered with (read). */
  bytesOut = 0;
  /** Commands ended by task management (ABORT TASK, ABORT/CLEAR TASK SET, resets). */
  aborts = 0;
  /** Commands answered with CHECK CONDITION, by sense key (0..15). */
  readonly senseKeys = new Float64Array(16);
  readonly readLatency = new LatencyHistogram();
  readonly writeLatency = new LatencyHistogram();

  /** One command answered; `senseKey` -1 when it had no sense data. */
  record(kind: IoKind, bytesIn: number, bytesOut: number, seconds: number, senseKey: number): void {
    if (kind === IoKind.Read) {
      this.reads++;
      this.readLatency.observe(seconds);
    } else if (kind === IoKind.Write) {
      this.writes++;
      this.writeLatency.observe(seconds);
    } else {
      this.others++;
    }
    this.bytesIn += bytesIn;
    this.bytesOut += bytesOut;
    if (senseKey >= 0) this.senseKeys[senseKey]!++;
  }

  addTo(into: IoCounters): void {
    into.reads += this.reads;
    into.writes += this.writes;
    into.others += this.others;
    into.bytesIn += this.bytesIn;
    into.bytesOut += this.bytesOut;
    into.aborts += this.aborts;
    for (let i = 0; i < 16; i++) into.senseKeys[i]! += this.senseKeys[i]!;
    this.readLatency.addTo(into.readLatency);
    this.writeLatency.addTo(into.writeLatency);
  }

  snapshot(): IoSnapshot {
    const errorsBySenseKey: Record<string, number> = {};
    this.senseKeys.forEach((n, key) => {
      if (n !== 0) errorsBySenseKey[SENSE_KEY_NAMES[key]!] = n;
    });
    return {
      reads: this.reads,
      writes: this.writes,
      others: this.others,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      aborts: this.aborts,
      errorsBySenseKey,
      readLatency: this.readLatency.snapshot(),
      writeLatency: this.writeLatency.snapshot(),
    };
  }
}

/** SPC-4 4.5.6's sense key names, lower-case with underscores (Prometheus label values). */
export const SENSE_KEY_NAMES: readonly string[] = [
  'no_sense',
  'recovered_error',
  'not_ready',
  'medium_error',
  'hardware_error',
  'illegal_request',
  'unit_attention',
  'data_protect',
  'blank_check',
  'vendor_specific',
  'copy_aborted',
  'aborted_command',
  'reserved_0c',
  'volume_overflow',
  'miscompare',
  'reserved_0f',
];

export interface IoSnapshot {
  reads: number;
  writes: number;
  others: number;
  bytesIn: number;
  bytesOut: number;
  aborts: number;
  /** Only the sense keys seen, by name (SENSE_KEY_NAMES). */
  errorsBySenseKey: Record<string, number>;
  readLatency: HistogramSnapshot;
  writeLatency: HistogramSnapshot;
}

/** Why a login was refused, as an operator reads it. */
/** `connection_limit`: closed at accept, before a byte was read (limits.ts: connections, logins in progress). */
export type LoginRefusal = 'bad_chap' | 'initiator_not_allowed' | 'target_not_found' | 'service_disabled' | 'too_many_sessions' | 'connection_limit' | 'other';

export const LOGIN_REFUSALS: readonly LoginRefusal[] = [
  'bad_chap',
  'initiator_not_allowed',
  'target_not_found',
  'service_disabled',
  'too_many_sessions',
  'connection_limit',
  'other',
];

/** A refused login's status (class << 8 | detail, RFC 7143 11.13.5) as one of LOGIN_REFUSALS. */
export function loginRefusal(status: number): LoginRefusal {
  switch (status) {
    case 0x0201:
      return 'bad_chap';
    case 0x0202:
      return 'initiator_not_allowed';
    case 0x0203:
    case 0x0204:
      return 'target_not_found';
    case 0x0301:
      return 'service_disabled';
    case 0x0302:
    case 0x0206:
      return 'too_many_sessions';
    default:
      return 'other';
  }
}

export interface PortalLoginCounts {
  /** The listener's configured address, e.g. 0.0.0.0:3260. */
  portal: string;
  accepted: number;
  refused: Record<LoginRefusal, number>;
}

export interface LuCountersSnapshot {
  target: string;
  lun: number;
  io: IoSnapshot;
}

export interface InitiatorCountersSnapshot {
  initiator: string;
  target: string | null;
  portal: string;
  /** Sessions of this initiator to this target through this portal, live now. */
  sessions: number;
  io: IoSnapshot;
}

export interface TargetCountersSnapshot {
  lus: LuCountersSnapshot[];
  initiators: InitiatorCountersSnapshot[];
  portals: PortalLoginCounts[];
}

interface InitiatorEntry {
  initiator: string;
  target: string | null;
  portal: string;
  /** Counters of the sessions that already ended. */
  past: IoCounters;
}

/** How a listener's address is labelled in the counters: `host:port`, `[v6]:port`. */
export function portalLabel(listen: { host: string; port: number }): string {
  return listen.host.includes(':') ? `[${listen.host}]:${listen.port}` : `${listen.host}:${listen.port}`;
}

/** The counters the target server keeps for as long as it runs. */
export class TargetCounters {
  /** By target name, then LUN number. */
  private readonly lus = new Map<string, Map<number, IoCounters>>();
  private readonly portals = new Map<string, PortalLoginCounts>();
  private readonly initiators = new Map<string, InitiatorEntry>();

  /** The counters of LUN `lun` of `target` (made on first use, then the same object). */
  lu(target: string, lun: number): IoCounters {
    let byLun = this.lus.get(target);
    if (!byLun) {
      byLun = new Map();
      this.lus.set(target, byLun);
    }
    let c = byLun.get(lun);
    if (!c) {
      c = new IoCounters();
      byLun.set(lun, c);
    }
    return c;
  }

  /** A target that no longer exists: its LUs' series go. */
  forgetTargets(keep: (target: string) => boolean): void {
    for (const name of [...this.lus.keys()]) if (!keep(name)) this.lus.delete(name);
  }

  loginAccepted(portal: string): void {
    this.portal(portal).accepted++;
  }

  loginRefused(portal: string, status: number): void {
    this.portal(portal).refused[loginRefusal(status)]++;
  }

  /** A connection closed at accept by a limit: no login was read, but an operator counts it as one refused. */
  connectionRefused(portal: string): void {
    this.portal(portal).refused.connection_limit++;
  }

  /** A session ended: its counters go into its initiator's past. */
  sessionEnded(s: { initiatorName: string; target: { name: string } | null; portal: string; io: IoCounters }): void {
    const target = s.target ? s.target.name : null;
    const key = `${s.initiatorName}|${target ?? ''}|${s.portal}`;
    let e = this.initiators.get(key);
    if (!e) {
      e = { initiator: s.initiatorName, target, portal: s.portal, past: new IoCounters() };
      this.initiators.set(key, e);
    }
    s.io.addTo(e.past);
  }

  /** Everything, with the live sessions' counters added to their initiator's. */
  snapshot(live: Iterable<{ initiatorName: string; target: { name: string } | null; portal: string; io: IoCounters }>): TargetCountersSnapshot {
    const sums = new Map<string, { entry: Omit<InitiatorEntry, 'past'>; io: IoCounters; sessions: number }>();
    for (const [key, e] of this.initiators) {
      const io = new IoCounters();
      e.past.addTo(io);
      sums.set(key, { entry: e, io, sessions: 0 });
    }
    for (const s of live) {
      const target = s.target ? s.target.name : null;
      const key = `${s.initiatorName}|${target ?? ''}|${s.portal}`;
      let sum = sums.get(key);
      if (!sum) {
        sum = { entry: { initiator: s.initiatorName, target, portal: s.portal }, io: new IoCounters(), sessions: 0 };
        sums.set(key, sum);
      }
      s.io.addTo(sum.io);
      sum.sessions++;
    }
    const lus: LuCountersSnapshot[] = [];
    for (const [target, byLun] of this.lus) for (const [lun, c] of byLun) lus.push({ target, lun, io: c.snapshot() });
    return {
      lus,
      initiators: [...sums.values()].map((s) => ({
        initiator: s.entry.initiator,
        target: s.entry.target,
        portal: s.entry.portal,
        sessions: s.sessions,
        io: s.io.snapshot(),
      })),
      portals: [...this.portals.values()].map((p) => ({ portal: p.portal, accepted: p.accepted, refused: { ...p.refused } })),
    };
  }

  private portal(portal: string): PortalLoginCounts {
    let p = this.portals.get(portal);
    if (!p) {
      const refused = {} as Record<LoginRefusal, number>;
      for (const r of LOGIN_REFUSALS) refused[r] = 0;
      p = { portal, accepted: 0, refused };
      this.portals.set(portal, p);
    }
    return p;
  }
}

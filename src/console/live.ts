/** The live state from /ui/events, and the rates per target computed from its counters. */
export interface Session {
  initiatorName: string;
  initiatorAddress: string;
  isid: string;
  tsih: number;
  target: string | null;
  type: string;
  portal: string;
  connections: number;
  parameters: Record<string, string>;
  bytesIn: number;
  bytesOut: number;
  commands: number;
}

export interface Listener {
  address: string;
  portalGroupTag: number;
  state: string;
  error: string | null;
}

export interface PoolFigures {
  uuid: string;
  name: string;
  type: string;
  capacityBytes: number;
  usedBytes: number;
  allocatedBytes: number;
  threshold: number;
  extentCount: number;
  health: string;
  reason: string | null;
}

/** A target's latency so far: sums (seconds) and counts of its LUs' read and write histograms. */
export interface TargetLatency {
  target: string;
  readSeconds: number;
  reads: number;
  writeSeconds: number;
  writes: number;
}

export interface Snapshot {
  t: number;
  sessions: Session[];
  listeners: Listener[];
  pools: PoolFigures[];
  latency?: TargetLatency[];
}

/** Per target and second: commands/s, bytes/s (in + out), and mean read and write latency in ms (null: no such I/O that second). */
export interface RatePoint {
  t: number;
  iops: number;
  bps: number;
  readMs: number | null;
  writeMs: number | null;
}

/** Five minutes of points at one a second. */
const KEEP = 300;

export class LiveHistory {
  latest: Snapshot | null = null;
  readonly rates = new Map<string, RatePoint[]>();
  private previous = new Map<string, { commands: number; bytes: number }>();
  private previousLatency = new Map<string, TargetLatency>();

  add(s: Snapshot): void {
    const prevT = this.latest?.t;
    this.latest = s;
    const now = new Map<string, { commands: number; bytes: number }>();
    for (const x of s.sessions) {
      if (x.type !== 'Normal' || !x.target) continue;
      const key = `${x.target}|${x.tsih}`;
      now.set(key, { commands: x.commands, bytes: x.bytesIn + x.bytesOut });
    }
    const perTarget = new Map<string, { commands: number; bytes: number }>();
    for (const x of s.sessions) if (x.type === 'Normal' && x.target && !perTarget.has(x.target)) perTarget.set(x.target, { commands: 0, bytes: 0 });
    for (const [key, c] of now) {
      const target = key.slice(0, key.lastIndexOf('|'));
      const before = this.previous.get(key) ?? { commands: c.commands, bytes: c.bytes };
      const sum = perTarget.get(target)!;
      sum.commands += Math.max(0, c.commands - before.commands);
      sum.bytes += Math.max(0, c.bytes - before.bytes);
    }
    this.previous = now;
    const dt = prevT === undefined ? 1 : Math.max(0.001, (s.t - prevT) / 1000);
    const latency = this.latencyDeltas(s.latency ?? []);
    for (const target of new Set([...this.rates.keys(), ...perTarget.keys()])) {
      const sum = perTarget.get(target) ?? { commands: 0, bytes: 0 };
      const points = this.rates.get(target) ?? [];
      const l = latency.get(target);
      points.push({ t: s.t / 1000, iops: sum.commands / dt, bps: sum.bytes / dt, readMs: l?.readMs ?? null, writeMs: l?.writeMs ?? null });
      if (points.length > KEEP) points.shift();
      this.rates.set(target, points);
    }
  }

  /** Mean latency per target since the previous snapshot (the histograms only grow; a target re-made starts again). */
  private latencyDeltas(now: TargetLatency[]): Map<string, { readMs: number | null; writeMs: number | null }> {
    const out = new Map<string, { readMs: number | null; writeMs: number | null }>();
    const mean = (seconds: number, n: number) => (n > 0 ? (seconds / n) * 1000 : null);
    for (const l of now) {
      const before = this.previousLatency.get(l.target);
      const fresh = !before || l.reads < before.reads || l.writes < before.writes;
      const b = fresh ? l : before;
      out.set(l.target, {
        readMs: mean(l.readSeconds - b.readSeconds, l.reads - b.reads),
        writeMs: mean(l.writeSeconds - b.writeSeconds, l.writes - b.writes),
      });
    }
    this.previousLatency = new Map(now.map((l) => [l.target, l]));
    return out;
  }
}

export function connectEvents(history: LiveHistory, changed: () => void): () => void {
  const source = new EventSource('/ui/events');
  source.onmessage = (e) => {
    history.add(JSON.parse(e.data) as Snapshot);
    changed();
  };
  return () => source.close();
}

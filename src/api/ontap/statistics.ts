/**
 * ONTAP's performance figures from sanbox's live counters: `statistics` (raw counters since
 * the sessions began: operations and bytes) and `metric` (rates over the time since the
 * previous reading, at least one second). sanbox counts commands and bytes per session,
 * not per direction of commands or their latency: reads are the bytes sent, writes the
 * bytes received, every command counts as "other" IOPS, and latency is 0.
 */
import type { LiveStatusSource } from '../../domain/ports.js';

interface Reading {
  at: number;
  commands: number;
  bytesIn: number;
  bytesOut: number;
}

const stamp = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

export class IoCounters {
  private readonly previous = new Map<string, Reading>();
  private readonly last = new Map<string, { metric: object; at: number }>();

  constructor(private readonly status: LiveStatusSource) {}

  private read(target: string): Reading {
    const sessions = this.status.status().sessions.filter((s) => s.target?.toLowerCase() === target.toLowerCase());
    return {
      at: Date.now(),
      commands: sessions.reduce((n, s) => n + s.commands, 0),
      bytesIn: sessions.reduce((n, s) => n + s.bytesIn, 0),
      bytesOut: sessions.reduce((n, s) => n + s.bytesOut, 0),
    };
  }

  statistics(target: string) {
    const r = this.read(target);
    return {
      status: 'ok',
      timestamp: stamp(r.at),
      iops_raw: { read: 0, write: 0, other: r.commands, total: r.commands },
      latency_raw: { read: 0, write: 0, other: 0, total: 0 },
      throughput_raw: { read: r.bytesOut, write: r.bytesIn, other: 0, total: r.bytesIn + r.bytesOut },
    };
  }

  metric(target: string) {
    const now = this.read(target);
    const before = this.previous.get(target);
    const kept = this.last.get(target);
    if (kept && now.at - kept.at < 1000) return kept.metric;
    const seconds = before ? Math.max(1, (now.at - before.at) / 1000) : 1;
    // Counters drop when sessions end: a rate is never negative.
    const rate = (a: number, b: number) => (before ? Math.max(0, Math.round((a - b) / seconds)) : 0);
    const commands = rate(now.commands, before?.commands ?? 0);
    const read = rate(now.bytesOut, before?.bytesOut ?? 0);
    const write = rate(now.bytesIn, before?.bytesIn ?? 0);
    const metric = {
      status: 'ok',
      duration: `PT${Math.round(seconds)}S`,
      timestamp: stamp(now.at),
      iops: { read: 0, write: 0, other: commands, total: commands },
      latency: { read: 0, write: 0, other: 0, total: 0 },
      throughput: { read, write, other: 0, total: read + write },
    };
    this.previous.set(target, now);
    this.last.set(target, { metric, at: now.at });
    return metric;
  }
}

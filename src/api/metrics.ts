/**
 * GET /metrics: Prometheus's text format (prom-client), one registry per app (several
 * apps run in one test process). The data plane's counters are read at scrape time
 * through the LiveStatus port and written out as they are (no second copy kept here);
 * API request durations are a prom-client histogram fed by an onResponse hook.
 */
import type { FastifyInstance } from 'fastify';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { IoCountersSnapshot, LatencySnapshot, LiveStatusSource } from '../domain/ports.js';
import type { MeasuredPool } from '../domain/pools.js';

type Labels = Record<string, string | number>;
interface Sample {
  metricName?: string;
  labels: Labels;
  value: number;
}
type Kind = 'counter' | 'gauge' | 'histogram';

/** A family whose samples are computed at each scrape; prom-client formats it like its own. */
class Collected {
  readonly aggregator = 'sum';
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: Kind,
    private readonly samples: () => Sample[],
  ) {}

  get(): { name: string; help: string; type: Kind; aggregator: string; values: Sample[] } {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.samples() };
  }

  reset(): void {}
}

function histogramSamples(name: string, labels: Labels, h: LatencySnapshot, out: Sample[]): void {
  let cumulative = 0;
  h.bounds.forEach((le, i) => {
    cumulative += h.counts[i] ?? 0;
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative });
  });
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.count });
  out.push({ metricName: `${name}_sum`, labels, value: h.sum });
  out.push({ metricName: `${name}_count`, labels, value: h.count });
}

/** The families of one kind of I/O counters (lu or initiator), from a list of labelled snapshots. */
function ioFamilies(prefix: string, what: string, rows: () => Array<{ labels: Labels; io: IoCountersSnapshot }>): Collected[] {
  const each = (f: (labels: Labels, io: IoCountersSnapshot, out: Sample[]) => void) => () => {
    const out: Sample[] = [];
    for (const r of rows()) f(r.labels, r.io, out);
    return out;
  };
  return [
    new Collected(
      `${prefix}_commands_total`,
      `SCSI commands answered, per ${what}, by kind (read, write, other)`,
      'counter',
      each((l, io, out) => {
        out.push(
          { labels: { ...l, kind: 'read' }, value: io.reads },
          { labels: { ...l, kind: 'write' }, value: io.writes },
          { labels: { ...l, kind: 'other' }, value: io.others },
        );
      }),
    ),
    new Collected(
      `${prefix}_read_bytes_total`,
      `Data-In bytes (read), per ${what}`,
      'counter',
      each((l, io, out) => out.push({ labels: l, value: io.bytesOut })),
    ),
    new Collected(
      `${prefix}_written_bytes_total`,
      `Data-Out bytes (written), per ${what}`,
      'counter',
      each((l, io, out) => out.push({ labels: l, value: io.bytesIn })),
    ),
    new Collected(
      `${prefix}_errors_total`,
      `Commands answered with CHECK CONDITION, per ${what}, by sense key`,
      'counter',
      each((l, io, out) => {
        for (const [key, n] of Object.entries(io.errorsBySenseKey)) out.push({ labels: { ...l, sense_key: key }, value: n });
      }),
    ),
    new Collected(
      `${prefix}_aborts_total`,
      `Commands ended by task management, per ${what}`,
      'counter',
      each((l, io, out) => out.push({ labels: l, value: io.aborts })),
    ),
    new Collected(
      `${prefix}_latency_seconds`,
      `Command latency from the SCSI Command PDU to its answer, per ${what}, read and write`,
      'histogram',
      each((l, io, out) => {
        histogramSamples(`${prefix}_latency_seconds`, { ...l, op: 'read' }, io.readLatency, out);
        histogramSamples(`${prefix}_latency_seconds`, { ...l, op: 'write' }, io.writeLatency, out);
      }),
    ),
  ];
}

export interface Metrics {
  registry: Registry;
}

/**
 * The app's metrics registry with every family, and the hook timing each API request.
 * `dialect`: the route's family (its config), `sanbox` for the server's own routes.
 */
export function installMetrics(app: FastifyInstance, deps: { status: LiveStatusSource; pools: () => MeasuredPool[] }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Histogram({
    name: 'sanbox_api_request_duration_seconds',
    help: 'API requests, from arrival to the answer sent, by dialect, method and status',
    labelNames: ['dialect', 'method', 'status'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    const dialect = request.routeOptions.config?.dialect ?? 'sanbox';
    requests.observe({ dialect, method: request.method, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  const counters = () => deps.status.counters?.() ?? { lus: [], initiators: [], portals: [] };
  const families: Collected[] = [
    ...ioFamilies('sanbox_lu', 'logical unit (target, lun)', () =>
      counters().lus.map((u) => ({ labels: { target: u.target, lun: u.lun, tenant: u.tenant ?? '' }, io: u.io })),
    ),
    ...ioFamilies('sanbox_initiator', 'initiator (its sessions to a target through a portal, past and live)', () =>
      counters().initiators.map((i) => ({ labels: { initiator: i.initiator, target: i.target ?? '', portal: i.portal, tenant: i.tenant ?? '' }, io: i.io })),
    ),
    new Collected('sanbox_logins_accepted_total', 'iSCSI logins that reached full feature phase, per portal (listener address)', 'counter', () =>
      counters().portals.map((p) => ({ labels: { portal: p.portal }, value: p.accepted })),
    ),
    new Collected('sanbox_logins_refused_total', 'iSCSI logins refused, per portal, by reason', 'counter', () =>
      counters().portals.flatMap((p) => Object.entries(p.refused).map(([reason, n]) => ({ labels: { portal: p.portal, reason }, value: n }))),
    ),
    new Collected('sanbox_sessions', 'Live iSCSI sessions, by type, target and portal', 'gauge', () => {
      const by = new Map<string, Sample>();
      for (const s of deps.status.status().sessions) {
        const labels = { type: s.type, target: s.target ?? '', portal: s.portal };
        const key = `${labels.type}|${labels.target}|${labels.portal}`;
        const sample = by.get(key) ?? { labels, value: 0 };
        sample.value++;
        by.set(key, sample);
      }
      return [...by.values()];
    }),
    new Collected('sanbox_iscsi_connections', 'iSCSI connections open now (logged in or logging in)', 'gauge', () => {
      const load = deps.status.status().load;
      return load ? [{ labels: {}, value: load.connections }] : [];
    }),
  ];
  const poolGauge = (name: string, help: string, value: (p: MeasuredPool) => number) =>
    new Collected(name, help, 'gauge', () => deps.pools().map((p) => ({ labels: { pool: p.pool.name, type: p.pool.type }, value: value(p) })));
  families.push(
    poolGauge('sanbox_pool_capacity_bytes', "A pool's capacity as measured from its storage", (p) => p.figures.capacityBytes),
    poolGauge('sanbox_pool_used_bytes', 'Bytes really allocated under a pool (du, not ls -l)', (p) => p.figures.usedBytes),
    poolGauge('sanbox_pool_free_bytes', "A pool's free bytes", (p) => p.figures.freeBytes),
    poolGauge('sanbox_pool_allocated_bytes', "The sum of the provisioned sizes of a pool's extents", (p) => p.allocatedBytes),
    poolGauge('sanbox_pool_extents', 'Extents in a pool', (p) => p.extentCount),
    poolGauge('sanbox_pool_healthy', '1 when a pool is healthy, 0 when degraded or offline', (p) => (p.figures.health === 'healthy' ? 1 : 0)),
  );
  for (const f of families) registry.registerMetric(f as unknown as Histogram);
  return { registry };
}

export async function metricsRoutes(app: FastifyInstance, opts: { metrics: Metrics }): Promise<void> {
  const { registry } = opts.metrics;
  app.get('/metrics', {
    schema: {
      tags: ['sanbox'],
      summary:
        'Prometheus metrics (text format 0.0.4): iSCSI counters and latency per LU and initiator, logins per portal, pools, sessions, API timings, process',
      produces: ['text/plain'],
    },
    handler: async (_request, reply) => {
      const text = await registry.metrics();
      return reply.header('Content-Type', registry.contentType).send(text);
    },
  });
}

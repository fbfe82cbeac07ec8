/**
 * The control plane under load, through the FreeNAS v1.0 dialect: listing 500 targets,
 * and create+delete cycles of a target. Load generator: autocannon (in this process).
 *
 * Why autocannon and not wrk: the create+delete cycle needs the id from the POST's
 * response in the following DELETE's path; autocannon does that with `requests` +
 * `onResponse`/`setupRequest` in TypeScript beside the rest of the harness and reports
 * p99 latency in its result object, where wrk would need a Lua script for the chaining and
 * another for percentiles, parsed back from text. wrk is leaner per request, but the API
 * server is a single Node thread, so on two cores one core for the generator suffices.
 */
import autocannon, { type Result } from 'autocannon';
import { FREENAS, type FreeNasClient, idOf } from './freenas-client.js';

export interface HttpResult {
  name: string;
  connections: number;
  secs: number;
  requests: number;
  reqPerSec: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  note: string;
  error?: string;
}

function failed(name: string, error: string): HttpResult {
  return { name, connections: 0, secs: 0, requests: 0, reqPerSec: NaN, meanMs: NaN, p50Ms: NaN, p99Ms: NaN, non2xx: 0, errors: 0, note: '', error };
}

function summarize(name: string, r: Result, connections: number, note: string): HttpResult {
  const total = r.requests.total;
  return {
    name,
    connections,
    secs: r.duration,
    requests: total,
    reqPerSec: total / r.duration,
    meanMs: r.latency.mean ?? r.latency.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    note,
  };
}

/** Create `n` targets (4 requests in flight); returns creates per second. */
export async function populateTargets(api: FreeNasClient, n: number, portalGroupId: number, initiatorGroupId: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const t = await api.post('/target/', {
        iscsi_target_name: `load${String(i).padStart(4, '0')}`,
        iscsi_target_portalgroup: portalGroupId,
        iscsi_target_initiatorgroup: initiatorGroupId,
      });
      idOf(t, 'target');
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return n / ((performance.now() - t0) / 1000);
}

/**
 * GET the target list as fast as `connections` allow, or at a fixed offered `rate`
 * (requests/s; the issue's goal is p99 under 10 ms at 1,000/s). `wanted` null: no limit
 * parameter, so the FreeNAS default page (30 targets).
 */
export async function loadList(api: FreeNasClient, base: string, secs: number, connections: number, wanted: number | null, rate?: number): Promise<HttpResult> {
  const page = wanted === null ? 'default page' : `limit=${wanted}`;
  const name = `GET target list (${page})${rate ? ` at ${rate.toLocaleString('en-US')} req/s offered` : ''}`;
  const path = `${FREENAS}/target/${wanted === null ? '' : `?limit=${wanted}`}`;
  let items: number;
  try {
    const list = await api.request<unknown[]>('GET', path);
    items = Array.isArray(list) ? list.length : NaN;
  } catch (e) {
    return failed(name, String(e instanceof Error ? e.message : e));
  }
  const r = await autocannon({
    url: base + path,
    connections,
    duration: secs,
    headers: { authorization: api.authorization },
    ...(rate ? { overallRate: rate } : {}),
  });
  return summarize(name, r, connections, `${items} targets per response`);
}

export async function loadCreateDelete(
  api: FreeNasClient,
  base: string,
  secs: number,
  connections: number,
  portalGroupId: number,
  initiatorGroupId: number,
): Promise<HttpResult> {
  let seq = 0;
  let cycles = 0;
  const headers = { authorization: api.authorization, 'content-type': 'application/json' };
  const r = await autocannon({
    url: base,
    connections,
    duration: secs,
    requests: [
      {
        method: 'POST',
        path: `${FREENAS}/target/`,
        headers,
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({ iscsi_target_name: `cycle${seq++}`, iscsi_target_portalgroup: portalGroupId, iscsi_target_initiatorgroup: initiatorGroupId }),
        }),
        onResponse: (status, body, ctx) => {
          if (status === 201 || status === 200) {
            try {
              ctx['id'] = (JSON.parse(body) as { id?: number }).id;
            } catch {
              ctx['id'] = undefined;
            }
          } else ctx['id'] = undefined;
        },
      },
      {
        method: 'DELETE',
        headers: { authorization: api.authorization },
        setupRequest: (req, ctx) => (typeof ctx['id'] === 'number' ? { ...req, path: `${FREENAS}/target/${ctx['id']}/` } : undefined),
        onResponse: (status) => {
          if (status >= 200 && status < 300) cycles++;
        },
      },
    ],
  });
  const res = summarize('create+delete target cycle (POST, DELETE)', r, connections, '');
  res.note = `${(cycles / r.duration).toFixed(0)} cycles/s`;
  return res;
}

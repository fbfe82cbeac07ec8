/**
 * The sanbox web console: a login page, then the dashboard (pools, targets and LUNs, live
 * sessions, a chart per target), the FreeNAS resources' list-and-form pages, sessions and
 * listeners. Live data comes from /ui/events; configuration from the FreeNAS API.
 */
import { type JSX, render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, call, FREENAS, list, setSession } from './api.js';
import { RateChart } from './chart.js';
import { Tenants } from './tenants.js';
import { connectEvents, LiveHistory, type Session } from './live.js';
import { type Field, fromInput, RESOURCES, type Resource, type Row, toInput } from './resources.js';
import './style.css';

interface Me {
  user: string;
  csrf: string;
}

const history = new LiveHistory();

function useHash(): string {
  const [hash, setHash] = useState(location.hash.slice(1) || 'dashboard');
  useEffect(() => {
    const on = () => setHash(location.hash.slice(1) || 'dashboard');
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const page = useHash();
  const loggedOut = useCallback(() => setMe(null), []);

  useEffect(() => {
    fetch('/ui/session', { credentials: 'same-origin' })
      .then(async (r) => (r.ok ? setMe((await r.json()) as Me) : setMe(null)))
      .catch(() => setMe(null));
  }, []);
  useEffect(() => {
    if (!me) return;
    setSession(me.csrf, loggedOut);
    return connectEvents(history, () => setTick((n) => n + 1));
  }, [me]);

  if (me === undefined) return <p class="loading">Loading…</p>;
  if (me === null) return <Login onIn={setMe} />;
  const logout = async () => {
    await call('DELETE', '/ui/session').catch(() => {});
    setMe(null);
  };
  const nav = [
    ['dashboard', 'Dashboard'],
    ...RESOURCES.map((r) => [r.path, r.title]),
    ['sessions', 'Sessions'],
    ['listeners', 'Listeners'],
    ['tenants', 'Tenants'],
    ['jobs', 'Jobs'],
    ['keys', 'API keys'],
  ];
  const resource = RESOURCES.find((r) => r.path === page);
  return (
    <div class="shell">
      <header>
        <strong>sanbox</strong>
        <nav>
          {nav.map(([id, label]) => (
            <a href={`#${id}`} class={page === id ? 'on' : ''} key={id}>
              {label}
            </a>
          ))}
        </nav>
        <span class="who">
          {me.user}{' '}
          <button type="button" onClick={logout}>
            Log out
          </button>
        </span>
      </header>
      <main>
        {page === 'dashboard' && <Dashboard tick={tick} />}
        {resource && <ResourcePage resource={resource} key={resource.path} />}
        {page === 'sessions' && <Sessions tick={tick} />}
        {page === 'listeners' && <Listeners tick={tick} />}
        {page === 'tenants' && <Tenants />}
        {page === 'keys' && <Keys />}
        {page === 'jobs' && <Jobs />}
      </main>
    </div>
  );
}

function Login({ onIn }: { onIn: (me: Me) => void }) {
  const [mode, setMode] = useState<'password' | 'key'>('password');
  const [error, setError] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const body = mode === 'key' ? { key: form.get('key') } : { user: form.get('user'), password: form.get('password') };
    try {
      onIn(await call<Me>('POST', '/ui/session', body));
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <form class="login" onSubmit={submit}>
      <h1>sanbox</h1>
      <div class="tabs">
        <button type="button" class={mode === 'password' ? 'on' : ''} onClick={() => setMode('password')}>
          Admin
        </button>
        <button type="button" class={mode === 'key' ? 'on' : ''} onClick={() => setMode('key')}>
          API key
        </button>
      </div>
      {mode === 'password' ? (
        <>
          <label>
            User <input name="user" autocomplete="username" value="admin" />
          </label>
          <label>
            Password <input name="password" type="password" autocomplete="current-password" />
          </label>
        </>
      ) : (
        <label>
          API key <input name="key" type="password" />
        </label>
      )}
      {error && <p class="error">{error}</p>}
      <button type="submit">Log in</button>
    </form>
  );
}

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

function pct(part: number, whole: number): string {
  return `${whole > 0 ? Math.min(100, (part / whole) * 100) : 0}%`;
}

function useRows(resource: string): [Row[], () => void, string] {
  const [rows, setRows] = useState<Row[]>([]);
  const [error, setError] = useState('');
  const load = useCallback(() => {
    list<Row>(resource)
      .then((r) => {
        setRows(r);
        setError('');
      })
      .catch((e) => setError((e as Error).message));
  }, [resource]);
  useEffect(load, [load]);
  return [rows, load, error];
}

function Dashboard(_: { tick: number }) {
  const live = history.latest;
  const [targets] = useRows('target');
  const [extents] = useRows('extent');
  const [luns] = useRows('targettoextent');
  const [base, setBase] = useState('');
  useEffect(() => {
    call<{ iscsi_basename: string }>('GET', `${FREENAS}/globalconfiguration/`)
      .then((g) => setBase(g.iscsi_basename))
      .catch(() => {});
  }, []);
  const iqn = (t: Row) => (String(t.iscsi_target_name).includes(':') || !base ? String(t.iscsi_target_name) : `${base}:${t.iscsi_target_name}`);
  const sessions = (live?.sessions ?? []).filter((s) => s.type === 'Normal');
  return (
    <div class="dashboard">
      <section>
        <h2>Pools</h2>
        {(live?.pools ?? []).map((p) => (
          <div class="pool" key={p.uuid}>
            <div class="pool-head">
              <b>{p.name}</b> <span class={`health ${p.health}`}>{p.health}</span> <span class="muted">{p.type}</span>
              <span class="figures">
                used {bytes(p.usedBytes)} · allocated {bytes(p.allocatedBytes)} of {bytes(p.capacityBytes)} (threshold ×{p.threshold})
              </span>
            </div>
            <div class="bar" title="used / allocated / threshold">
              <div class="allocated" style={{ width: pct(p.allocatedBytes, p.capacityBytes * Math.max(1, p.threshold)) }} />
              <div class="used" style={{ width: pct(p.usedBytes, p.capacityBytes * Math.max(1, p.threshold)) }} />
              <div class="threshold" style={{ left: pct(p.capacityBytes * p.threshold, p.capacityBytes * Math.max(1, p.threshold)) }} />
            </div>
          </div>
        ))}
        {!live && <p class="muted">Waiting for live data…</p>}
      </section>
      <section>
        <h2>Targets and LUNs</h2>
        <table>
          <thead>
            <tr>
              <th>Target</th>
              <th>LUNs</th>
              <th>Sessions</th>
            </tr>
          </thead>
          <tbody>
            {targets.map((t) => (
              <tr key={t.id}>
                <td>{iqn(t)}</td>
                <td>
                  {luns
                    .filter((l) => l.iscsi_target === t.id)
                    .map(
                      (l) =>
                        `LUN ${l.iscsi_lunid ?? 'auto'}: ${String(extents.find((e) => e.id === l.iscsi_extent)?.iscsi_target_extent_name ?? l.iscsi_extent)}`,
                    )
                    .join(', ') || '—'}
                </td>
                <td>{sessions.filter((s) => s.target === iqn(t)).length}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h2>Live sessions</h2>
        <SessionTable sessions={sessions} />
      </section>
      <section>
        <h2>Load per target (last 5 minutes)</h2>
        <div class="charts">
          {[...history.rates.entries()].map(([target, points]) => (
            <RateChart key={target} title={target} points={points} />
          ))}
          {history.rates.size === 0 && <p class="muted">No target has had a session yet.</p>}
        </div>
      </section>
    </div>
  );
}

function SessionTable({ sessions, end }: { sessions: Session[]; end?: (s: Session) => void }) {
  if (sessions.length === 0) return <p class="muted">No sessions.</p>;
  return (
    <div class="scroll">
      <table class="sessions">
        <thead>
          <tr>
            <th>Initiator</th>
            <th>Address</th>
            <th>Target</th>
            <th>Portal</th>
            <th>Commands</th>
            <th>In / out</th>
            {end && <th>Parameters</th>}
            {end && <th />}
          </tr>
        </thead>
        <tbody>
          {sessions.map((s) => (
            <tr key={`${s.tsih}`} data-tsih={s.tsih}>
              <td>{s.initiatorName}</td>
              <td>{s.initiatorAddress}</td>
              <td>{s.target ?? '(discovery)'}</td>
              <td>{s.portal}</td>
              <td>{s.commands}</td>
              <td>
                {bytes(s.bytesIn)} / {bytes(s.bytesOut)}
              </td>
              {end && (
                <td class="params">
                  {Object.entries(s.parameters)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(' ')}
                </td>
              )}
              {end && (
                <td>
                  <button type="button" class="danger" onClick={() => end(s)}>
                    End session
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Sessions(_: { tick: number }) {
  const [message, setMessage] = useState('');
  const end = async (s: Session) => {
    try {
      await call('DELETE', `/api/sessions/${s.tsih}`);
      setMessage(`Session ${s.tsih} ended.`);
    } catch (err) {
      const e = err as ApiError;
      setMessage(`Could not end session ${s.tsih}: ${e.message} (HTTP ${e.status ?? '?'})`);
    }
  };
  return (
    <section>
      <h2>Sessions</h2>
      {message && (
        <p class="notice" role="alert">
          {message}
        </p>
      )}
      <SessionTable sessions={history.latest?.sessions ?? []} end={end} />
    </section>
  );
}

function Listeners(_: { tick: number }) {
  const listeners = history.latest?.listeners ?? [];
  return (
    <section>
      <h2>Listeners</h2>
      <table>
        <thead>
          <tr>
            <th>Address</th>
            <th>Portal group</th>
            <th>State</th>
            <th>Error</th>
          </tr>
        </thead>
        <tbody>
          {listeners.map((l) => (
            <tr key={l.address} class={l.state}>
              <td>{l.address}</td>
              <td>{l.portalGroupTag}</td>
              <td>
                <span class={`state ${l.state}`}>{l.state}</span>
              </td>
              <td class="error">{l.error ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {listeners.length === 0 && <p class="muted">No portal listens yet.</p>}
    </section>
  );
}

interface JobRow {
  uuid: string;
  kind: string;
  state: string;
  progress: { done: number; total: number };
  rate: number;
  error: string | null;
  params: Record<string, unknown>;
  createdAt: string;
}

const JOB_FIELDS: Record<string, string[]> = {
  'extent.create-thick': ['name', 'size', 'path'],
  'extent.import': ['name', 'source', 'format', 'pool'],
  'extent.clone': ['name', 'extentId'],
};

/** Long work (/api/jobs): progress bars, re-read every second while any job runs; cancel; new jobs. */
function Jobs() {
  const [jobs, setJobs] = useState<JobRow[]>([]);
  const [kind, setKind] = useState('extent.create-thick');
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const load = useCallback(() => {
    call<JobRow[] | { jobs: JobRow[] }>('GET', '/api/jobs').then(
      (r) => setJobs(Array.isArray(r) ? r : r.jobs),
      (e) => setErrors({ __all__: [(e as Error).message] }),
    );
  }, []);
  useEffect(() => {
    load();
    const timer = setInterval(load, 1000);
    return () => clearInterval(timer);
  }, [load]);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const body: Record<string, unknown> = { kind };
    for (const f of JOB_FIELDS[kind] ?? []) {
      const v = String(form.get(f) ?? '');
      if (v !== '') body[f] = f === 'extentId' ? Number(v) : v;
    }
    try {
      await call('POST', '/api/jobs', body);
      setErrors({});
      load();
    } catch (err) {
      setErrors(err instanceof ApiError ? err.fields : { __all__: [(err as Error).message] });
    }
  };
  const cancel = (j: JobRow) => call('POST', `/api/jobs/${j.uuid}/cancel`).then(load, (err) => setErrors({ __all__: [(err as Error).message] }));
  return (
    <section class="resource" data-resource="jobs">
      <h2>Jobs</h2>
      <form class="editor" onSubmit={submit} data-form="jobs">
        <label class="field" data-field="kind">
          <span>Kind</span>
          <select name="kind" onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
            {Object.keys(JOB_FIELDS).map((k) => (
              <option key={k} selected={k === kind}>
                {k}
              </option>
            ))}
          </select>
        </label>
        {(JOB_FIELDS[kind] ?? []).map((f) => (
          <label class={errors[f] ? 'field invalid' : 'field'} data-field={f} key={`${kind}-${f}`}>
            <span>{f}</span>
            <input name={f} />
            {(errors[f] ?? []).map((m) => (
              <span class="field-error" key={m}>
                {m}
              </span>
            ))}
          </label>
        ))}
        {Object.entries(errors)
          .filter(([k]) => k === '__all__' || !(JOB_FIELDS[kind] ?? []).includes(k))
          .flatMap(([, v]) => v)
          .map((m) => (
            <p class="error" key={m}>
              {m}
            </p>
          ))}
        <div class="buttons">
          <button type="submit">Start job</button>
        </div>
      </form>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>Kind</th>
              <th>Extent</th>
              <th>State</th>
              <th>Progress</th>
              <th>Rate</th>
              <th>Error</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {jobs.map((j) => (
              <tr key={j.uuid} data-job={j.uuid} data-state={j.state}>
                <td>{j.kind}</td>
                <td>{String(j.params.name ?? j.params.description ?? '')}</td>
                <td class={`state ${j.state}`}>{j.state}</td>
                <td>
                  {/* a dialect's request (api.request) was done before it was answered: no bytes to show */}
                  {j.progress.total > 0 || j.kind !== 'api.request' ? (
                    <>
                      <div class="bar" title={`${j.progress.done} / ${j.progress.total}`}>
                        <div class="used" style={{ width: pct(j.progress.done, j.progress.total) }} />
                      </div>
                      <small>
                        {bytes(j.progress.done)} / {bytes(j.progress.total)}
                      </small>
                    </>
                  ) : (
                    '—'
                  )}
                </td>
                <td>{j.state === 'running' ? `${bytes(j.rate)}/s` : ''}</td>
                <td class="error">{j.error ?? ''}</td>
                <td>
                  {(j.state === 'queued' || j.state === 'running') && (
                    <button type="button" class="danger" onClick={() => cancel(j)}>
                      Cancel
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {jobs.length === 0 && <p class="muted">No jobs.</p>}
    </section>
  );
}

interface KeyRow {
  id: number;
  name: string;
  prefix: string;
  tenant: string | null;
  created: string;
}

/** sanbox's own API keys (/api/keys): the secret is shown once, when made. */
function Keys() {
  const [keys, setKeys] = useState<KeyRow[]>([]);
  const [tenants, setTenants] = useState<Array<{ uuid: string; name: string }>>([]);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [made, setMade] = useState('');
  const load = useCallback(() => {
    call<KeyRow[]>('GET', '/api/keys').then(setKeys, (e) => setErrors({ __all__: [(e as Error).message] }));
  }, []);
  useEffect(() => {
    load();
    call<{ site: { tenants: Array<{ uuid: string; name: string }> } }>('GET', '/api/status').then(
      (s) => setTenants(s.site.tenants),
      () => {},
    );
  }, [load]);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const tenant = String(form.get('tenant') ?? '');
    try {
      const key = await call<{ key: string }>('POST', '/api/keys', { name: String(form.get('name') ?? ''), ...(tenant ? { tenant } : {}) });
      setMade(key.key);
      setErrors({});
      (e.target as HTMLFormElement).reset();
      load();
    } catch (err) {
      setErrors(err instanceof ApiError ? err.fields : { __all__: [(err as Error).message] });
    }
  };
  const revoke = async (k: KeyRow) => {
    if (!confirm(`Revoke key ${k.name}?`)) return;
    await call('DELETE', `/api/keys/${k.id}`).catch((err) => setErrors({ __all__: [(err as Error).message] }));
    load();
  };
  const tenantName = (uuid: string | null) => (uuid === null ? 'all tenants' : (tenants.find((t) => t.uuid === uuid)?.name ?? uuid));
  return (
    <section class="resource" data-resource="keys">
      <h2>API keys</h2>
      <form class="editor" onSubmit={submit} data-form="keys">
        <label class={errors.name ? 'field invalid' : 'field'} data-field="name">
          <span>Name</span>
          <input name="name" />
          {(errors.name ?? []).map((m) => (
            <span class="field-error" key={m}>
              {m}
            </span>
          ))}
        </label>
        <label class={errors.tenant ? 'field invalid' : 'field'} data-field="tenant">
          <span>Tenant</span>
          <select name="tenant">
            <option value="">(every tenant)</option>
            {tenants.map((t) => (
              <option value={t.uuid} key={t.uuid}>
                {t.name}
              </option>
            ))}
          </select>
          {(errors.tenant ?? []).map((m) => (
            <span class="field-error" key={m}>
              {m}
            </span>
          ))}
        </label>
        {(errors.__all__ ?? []).map((m) => (
          <p class="error" key={m}>
            {m}
          </p>
        ))}
        <div class="buttons">
          <button type="submit">Create key</button>
        </div>
      </form>
      {made && (
        <p class="notice" data-testid="new-key">
          New key (shown once): <code>{made}</code>
        </p>
      )}
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>id</th>
              <th>Name</th>
              <th>Prefix</th>
              <th>Tenant</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.id}>
                <td>{k.id}</td>
                <td>{k.name}</td>
                <td>
                  <code>{k.prefix}</code>
                </td>
                <td>{tenantName(k.tenant)}</td>
                <td>{k.created}</td>
                <td>
                  <button type="button" class="danger" onClick={() => revoke(k)}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function ResourcePage({ resource }: { resource: Resource }) {
  const [rows, reload, loadError] = useRows(resource.path);
  const [editing, setEditing] = useState<Row | 'new' | null>(null);
  const [error, setError] = useState('');
  const columns = resource.fields.filter((f) => f.column);
  const remove = async (row: Row) => {
    if (!confirm(`Delete ${resource.singular} ${row.id}?`)) return;
    try {
      await call('DELETE', `${FREENAS}/${resource.path}/${row.id}/`);
      setError('');
      reload();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <section class="resource" data-resource={resource.path}>
      <h2>
        {resource.title}{' '}
        <button type="button" onClick={() => setEditing('new')}>
          New {resource.singular}
        </button>
      </h2>
      {(error || loadError) && <p class="error">{error || loadError}</p>}
      {editing && (
        <ResourceForm
          resource={resource}
          row={editing === 'new' ? null : editing}
          done={() => {
            setEditing(null);
            reload();
          }}
        />
      )}
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>id</th>
              {columns.map((f) => (
                <th key={f.name}>{f.label}</th>
              ))}
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id} data-id={row.id}>
                <td>{row.id}</td>
                {columns.map((f) => (
                  <td key={f.name}>{toInput(f, row[f.name])}</td>
                ))}
                <td class="actions">
                  <button type="button" onClick={() => setEditing(row)}>
                    Edit
                  </button>
                  <button type="button" class="danger" onClick={() => remove(row)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function ResourceForm({ resource, row, done }: { resource: Resource; row: Row | null; done: () => void }) {
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const body: Record<string, unknown> = {};
    for (const f of resource.fields) {
      const text = f.kind === 'bool' ? String(form.get(f.name) === 'on') : String(form.get(f.name) ?? '');
      const value = fromInput(f, text);
      if (value !== undefined) body[f.name] = value;
    }
    try {
      if (row) await call('PUT', `${FREENAS}/${resource.path}/${row.id}/`, body);
      else await call('POST', `${FREENAS}/${resource.path}/`, body);
      done();
    } catch (err) {
      const fields = err instanceof ApiError ? err.fields : {};
      const known = new Set(resource.fields.map((f) => f.name));
      const rest = Object.entries(fields)
        .filter(([k]) => !known.has(k))
        .flatMap(([k, v]) => (k === '__all__' ? v : v.map((m) => `${k}: ${m}`)));
      setErrors({ ...fields, __all__: rest.length ? rest : Object.keys(fields).length ? [] : [(err as Error).message] });
    }
  };
  return (
    <form class="editor" onSubmit={submit} data-form={resource.path}>
      <h3>{row ? `Edit ${resource.singular} ${row.id}` : `New ${resource.singular}`}</h3>
      {resource.fields.map((f) => (
        <FieldInput key={f.name} field={f} value={row?.[f.name]} errors={errors[f.name]} />
      ))}
      {(errors.__all__ ?? []).map((m) => (
        <p class="error" key={m}>
          {m}
        </p>
      ))}
      <div class="buttons">
        <button type="submit">{row ? 'Save' : 'Create'}</button>
        <button type="button" onClick={done}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function FieldInput({ field, value, errors }: { field: Field; value: unknown; errors?: string[] }) {
  const k = field.kind;
  const [refRows, setRefRows] = useState<Row[]>([]);
  const ref = typeof k === 'object' && 'ref' in k ? k : null;
  useEffect(() => {
    if (ref) list<Row>(ref.ref).then(setRefRows, () => {});
  }, [ref?.ref]);
  // Uncontrolled: the page re-renders on every live snapshot, which must not reset what is typed.
  const current = toInput(field, value);
  let input: JSX.Element;
  if (k === 'bool') input = <input type="checkbox" name={field.name} defaultChecked={value === true} />;
  else if (ref)
    input = (
      <select name={field.name} key={refRows.length}>
        {ref.optional || value === undefined ? <option value="">{ref.optional ? '(none)' : '(choose)'}</option> : null}
        {refRows.map((r) => (
          <option value={String(r.id)} key={r.id} selected={String(r.id) === current}>
            {ref.label(r)}
          </option>
        ))}
      </select>
    );
  else if (typeof k === 'object' && 'options' in k)
    input = (
      <select name={field.name}>
        <option value="">(default)</option>
        {k.options.map((o) => (
          <option key={o} selected={o === current}>
            {o}
          </option>
        ))}
      </select>
    );
  else
    input = <input name={field.name} type={k === 'password' ? 'password' : 'text'} defaultValue={current} inputMode={k === 'number' ? 'numeric' : undefined} />;
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the label wraps its control, held in `input`
    <label class={errors?.length ? 'field invalid' : 'field'} data-field={field.name}>
      <span>{field.label}</span>
      {input}
      {field.hint && <small>{field.hint}</small>}
      {(errors ?? []).map((m) => (
        <span class="field-error" key={m}>
          {m}
        </span>
      ))}
    </label>
  );
}

render(<App />, document.getElementById('app')!);

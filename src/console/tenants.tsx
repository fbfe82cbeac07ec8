/** The tenants page (/api/tenants): make, rename and delete tenants, and each one's iSCSI switch. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, call } from './api.js';

interface TenantRow {
  uuid: string;
  name: string;
  iscsiEnabled: boolean;
  running: boolean;
  default: boolean;
}

type Errors = Record<string, string[]>;

function errorsOf(err: unknown): Errors {
  return err instanceof ApiError ? err.fields : { __all__: [(err as Error).message] };
}

function FieldErrors({ messages }: { messages: string[] | undefined }) {
  return (
    <>
      {(messages ?? []).map((m) => (
        <span class="field-error" key={m}>
          {m}
        </span>
      ))}
    </>
  );
}

export function Tenants() {
  const [rows, setRows] = useState<TenantRow[]>([]);
  const [errors, setErrors] = useState<Errors>({});
  const [rowErrors, setRowErrors] = useState<Record<string, string>>({});
  const load = useCallback(() => {
    call<TenantRow[]>('GET', '/api/tenants').then(setRows, (e) => setErrors(errorsOf(e)));
  }, []);
  useEffect(load, [load]);

  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    try {
      await call('POST', '/api/tenants', { name: String(new FormData(form).get('name') ?? '') });
      setErrors({});
      form.reset();
      load();
    } catch (err) {
      setErrors(errorsOf(err));
    }
  };
  /** One tenant's change; its refusal is shown on its own row. */
  const change = async (t: TenantRow, method: 'PATCH' | 'DELETE', body?: Partial<TenantRow>) => {
    try {
      await call(method, `/api/tenants/${t.uuid}`, body);
      setRowErrors(({ [t.uuid]: _, ...rest }) => rest);
    } catch (err) {
      setRowErrors((was) => ({ ...was, [t.uuid]: (err as Error).message }));
    }
    load();
  };
  const remove = (t: TenantRow) => {
    if (confirm(`Delete tenant ${t.name}?`)) void change(t, 'DELETE');
  };
  const rename = (t: TenantRow) => {
    const name = prompt(`New name for ${t.name}`, t.name);
    if (name !== null && name !== t.name) void change(t, 'PATCH', { name });
  };

  return (
    <section class="resource" data-resource="tenants">
      <h2>Tenants</h2>
      <p class="muted">
        A tenant owns its targets, portals and extents (an ONTAP SVM, an HNAS virtual server). Its iSCSI switch off, its targets refuse logins and their
        sessions end; stopped, it serves nothing.
      </p>
      <form class="editor" onSubmit={submit} data-form="tenants">
        <label class={errors.name ? 'field invalid' : 'field'} data-field="name">
          <span>Name</span>
          <input name="name" />
          <FieldErrors messages={errors.name} />
        </label>
        {(errors.__all__ ?? []).map((m) => (
          <p class="error" key={m}>
            {m}
          </p>
        ))}
        <div class="buttons">
          <button type="submit">Create tenant</button>
        </div>
      </form>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>uuid</th>
              <th>iSCSI service</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((t) => (
              <tr key={t.uuid} data-tenant={t.name}>
                <td>
                  {t.name} {t.default && <span class="muted">(default)</span>}
                </td>
                <td>
                  <code>{t.uuid}</code>
                </td>
                <td>
                  <label class="switch">
                    <input
                      type="checkbox"
                      data-testid="iscsi-switch"
                      checked={t.iscsiEnabled}
                      onChange={(e) => change(t, 'PATCH', { iscsiEnabled: (e.target as HTMLInputElement).checked })}
                    />{' '}
                    <span class="iscsi-state">{t.iscsiEnabled ? 'on' : 'off'}</span>
                  </label>
                </td>
                <td>
                  <button type="button" onClick={() => change(t, 'PATCH', { running: !t.running })}>
                    {t.running ? 'Stop' : 'Start'}
                  </button>{' '}
                  <span class="run-state">{t.running ? 'running' : 'stopped'}</span>
                </td>
                <td>
                  <button type="button" onClick={() => rename(t)}>
                    Rename
                  </button>{' '}
                  {!t.default && (
                    <button type="button" class="danger" onClick={() => remove(t)}>
                      Delete
                    </button>
                  )}
                  {rowErrors[t.uuid] && <p class="error row-error">{rowErrors[t.uuid]}</p>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

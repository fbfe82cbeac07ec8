/** Calls to sanbox from the page: the session cookie goes along, and the CSRF header on every call. */
export const FREENAS = '/api/v1.0/services/iscsi';

let csrf = '';
let onLoggedOut: () => void = () => {};

export function setSession(token: string, loggedOut: () => void): void {
  csrf = token;
  onLoggedOut = loggedOut;
}

/** A refused call: the status and the body, whose fields name what was wrong. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(messageOf(status, body));
  }

  /** FreeNAS's `{"field": ["message"]}`: the messages per field (`__all__` for the whole). */
  get fields(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    if (this.body && typeof this.body === 'object' && !Array.isArray(this.body)) {
      for (const [k, v] of Object.entries(this.body as Record<string, unknown>)) {
        if (Array.isArray(v)) out[k] = v.map(String);
        else if (typeof v === 'string') out[k === 'error_message' ? '__all__' : k] = [v];
        else if (v && typeof v === 'object' && 'message' in v)
          out[String((v as { field?: string }).field ?? '__all__')] = [String((v as { message: unknown }).message)];
      }
    }
    return out;
  }
}

function messageOf(status: number, body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    if (typeof b.error_message === 'string') return b.error_message;
    if (b.error && typeof b.error === 'object' && typeof (b.error as { message?: unknown }).message === 'string')
      return (b.error as { message: string }).message;
    const first = Object.entries(b).find(([, v]) => Array.isArray(v));
    if (first) return `${first[0]}: ${(first[1] as unknown[]).join(' ')}`;
  }
  return `HTTP ${status}`;
}

export async function call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { 'X-CSRF-Token': csrf };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = { error_message: text };
  }
  // A 401 may be a route that does not take the console's session (or none at that path):
  // the page logs out only when its own session has ended.
  if (res.status === 401 && path !== '/ui/session') {
    const still = await fetch('/ui/session', { credentials: 'same-origin' }).catch(() => null);
    if (still?.status === 401) onLoggedOut();
  }
  if (!res.ok) throw new ApiError(res.status, parsed);
  return parsed as T;
}

/** A FreeNAS list, every page. */
export async function list<T>(resource: string): Promise<T[]> {
  const out = await call<T[] | { objects: T[] }>('GET', `${FREENAS}/${resource}/?limit=1000`);
  return Array.isArray(out) ? out : out.objects;
}

/** A small client for sanbox's FreeNAS v1.0 iSCSI dialect (HTTP Basic auth, JSON). */

export const FREENAS = '/api/v1.0/services/iscsi';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly body: string,
  ) {
    super(`${method} ${path} -> ${status}: ${body.slice(0, 300)}`);
  }
}

export class FreeNasClient {
  readonly authorization: string;

  constructor(
    readonly base: string,
    user: string,
    password: string,
  ) {
    this.authorization = 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
  }

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(this.base + path, {
      method,
      headers: { authorization: this.authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15000),
    });
    const text = await res.text();
    if (!res.ok) throw new ApiError(res.status, method, path, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get<T = unknown>(path: string): Promise<T> {
    return this.request<T>('GET', FREENAS + path);
  }
  post<T = Record<string, unknown>>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', FREENAS + path, body);
  }
  delete(path: string): Promise<unknown> {
    return this.request('DELETE', FREENAS + path);
  }
}

/** The `id` of a created object, or an error naming the response. */
export function idOf(obj: Record<string, unknown>, what: string): number {
  const id = obj['id'];
  if (typeof id !== 'number') throw new Error(`${what}: response has no numeric id: ${JSON.stringify(obj).slice(0, 200)}`);
  return id;
}

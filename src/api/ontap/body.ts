/**
 * Request bodies as ONTAP takes them: nested objects, dotted keys ("svm.name"), or both
 * mixed in one body, read into one flat map of dotted paths. Every path must be one the
 * operation takes (an unknown one is ONTAP's 262179 naming it), each value of its type;
 * `_links` anywhere is ignored, since clients send back what they read.
 */
import { invalidValue, unexpectedArgument } from './errors.js';

export type FieldType = 'string' | 'boolean' | 'integer' | 'array' | 'string-array';

/** The leaf paths an operation takes, with their types. */
export type BodySpec = Readonly<Record<string, FieldType>>;

export type FlatBody = Record<string, unknown>;

export function readBody(body: unknown, spec: BodySpec): FlatBody {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidValue('body', body, 'object');
  const out: FlatBody = {};
  walk(body as Record<string, unknown>, '', spec, out);
  return out;
}

function walk(obj: Record<string, unknown>, prefix: string, spec: BodySpec, out: FlatBody): void {
  for (const [key, value] of Object.entries(obj)) {
    if (key === '_links' || value === undefined) continue;
    const path = prefix + key;
    const type = spec[path];
    if (type !== undefined && !(isPlainObject(value) && hasChildren(spec, path))) {
      out[path] = checkType(path, value, type);
      continue;
    }
    if (isPlainObject(value) && hasChildren(spec, path)) {
      walk(value, `${path}.`, spec, out);
      continue;
    }
    throw unexpectedArgument(path);
  }
}

function hasChildren(spec: BodySpec, path: string): boolean {
  const p = `${path}.`;
  return Object.keys(spec).some((k) => k.startsWith(p));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkType(path: string, value: unknown, type: FieldType): unknown {
  switch (type) {
    case 'string':
      if (typeof value !== 'string') throw invalidValue(path, value, 'string');
      return value;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      throw invalidValue(path, value, 'boolean');
    case 'integer':
      // Clients send numbers, and some send them as text (Ansible's lun_id is a string).
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
      throw invalidValue(path, value, 'integer');
    case 'array':
      if (!Array.isArray(value)) throw invalidValue(path, value, 'array');
      return value;
    case 'string-array':
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw invalidValue(path, value, 'string[]');
      return value;
  }
}

/** The name or uuid of an object a body refers to, as `{name}` / `{uuid}` items of an array ("aggregates"). */
export function namedRefs(path: string, value: unknown): { name?: string; uuid?: string }[] {
  if (!Array.isArray(value)) throw invalidValue(path, value, 'array');
  return value.map((item, i) => {
    if (!isPlainObject(item)) throw invalidValue(`${path}[${i}]`, item, 'object');
    const ref: { name?: string; uuid?: string } = {};
    for (const [k, v] of Object.entries(item)) {
      if (k === '_links') continue;
      if ((k !== 'name' && k !== 'uuid') || typeof v !== 'string') throw unexpectedArgument(`${path}.${k}`);
      ref[k] = v;
    }
    return ref;
  });
}

/**
 * PATCH as the dialects mean it, applied to a resource's wire representation: a JSON
 * merge patch (RFC 7386: ONTAP's partial objects) or a JSON Patch (RFC 6902: OpenStack).
 * Neither the document nor the patch is ever modified. A patch that cannot apply is a
 * PatchError with a stable code and a message that names the operation and its path but
 * never a value (values may be secrets); each dialect renders it as its 400.
 */
import jsonPatchLib from 'fast-json-patch';

export type PatchErrorCode = 'not_a_patch' | 'bad_operation' | 'bad_path' | 'missing_value' | 'path_not_found' | 'test_failed' | 'not_an_object';

export class PatchError extends Error {
  constructor(
    readonly code: PatchErrorCode,
    message: string,
    /** The failing operation's position in a JSON Patch. */
    readonly index?: number,
  ) {
    super(message);
    this.name = 'PatchError';
  }
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A member named __proto__ stays a member, not the object's prototype. */
function setMember(obj: Json, name: string, value: unknown): void {
  Object.defineProperty(obj, name, { value, enumerable: true, writable: true, configurable: true });
}

/** RFC 7386 section 2: null removes a member, an object merges, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Json = isObject(target) ? structuredClone(target) : {};
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete out[name];
    else setMember(out, name, mergePatch(Object.hasOwn(out, name) ? out[name] : undefined, value));
  }
  return out;
}

/** What fast-json-patch's error names mean, in our codes and words. */
const LIBRARY_ERRORS: Record<string, [PatchErrorCode, string]> = {
  SEQUENCE_NOT_AN_ARRAY: ['not_a_patch', 'a JSON Patch is an array of operations'],
  OPERATION_NOT_AN_OBJECT: ['bad_operation', 'an operation is an object'],
  OPERATION_OP_INVALID: ['bad_operation', '"op" must be one of add, remove, replace, move, copy, test'],
  OPERATION_PATH_INVALID: ['bad_path', '"path" must be a JSON Pointer ("" or starting with "/")'],
  OPERATION_FROM_REQUIRED: ['bad_path', '"from" must be a JSON Pointer'],
  OPERATION_VALUE_REQUIRED: ['missing_value', '"value" is required'],
  OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED: ['missing_value', '"value" must be JSON'],
  OPERATION_PATH_CANNOT_ADD: ['path_not_found', 'the parent of "path" does not exist'],
  OPERATION_PATH_UNRESOLVABLE: ['path_not_found', '"path" does not exist'],
  OPERATION_FROM_UNRESOLVABLE: ['path_not_found', '"from" does not exist'],
  OPERATION_PATH_ILLEGAL_ARRAY_INDEX: ['bad_path', 'an array index must be a number without leading zeros, or "-" to add at the end'],
  OPERATION_VALUE_OUT_OF_BOUNDS: ['path_not_found', 'the array index is past the end of the array'],
  TEST_OPERATION_FAILED: ['test_failed', 'the test failed: the value at "path" is not the given one'],
};

/**
 * RFC 6902: every operation in order, all or nothing. The document is a resource, so it
 * stays a JSON object after every operation: removing or replacing the root with anything
 * else is refused at that operation (the fuzz smoke test and the property tests found the
 * next operation then reading through an undefined document: a bare TypeError, a 500).
 */
export function jsonPatch(document: Json, patch: unknown): Json {
  if (!Array.isArray(patch)) throw new PatchError('not_a_patch', 'A JSON Patch is an array of operations.');
  let doc = structuredClone(document);
  // One operation at a time, so that an error names its operation whatever the library reports.
  for (const [index, op] of patch.entries()) {
    checkOperation(op, index, doc);
    try {
      doc = jsonPatchLib.applyOperation(doc, structuredClone(op), true, true, true, index).newDocument;
    } catch (err) {
      throw translate(err, op, index);
    }
    if (!isObject(doc)) throw new PatchError('not_an_object', `Operation ${index}${describe(op)}: the resource must stay a JSON object.`, index);
  }
  return doc;
}

/** What the library lets through and RFC 6902 does not. */
function checkOperation(op: unknown, index: number, doc: unknown): void {
  if (!isObject(op)) return; // the library names it
  const { path, from } = op;
  for (const [name, pointer] of [
    ['path', path],
    ['from', from],
  ] as const) {
    if (typeof pointer === 'string' && leadingZeroIndex(doc, pointer)) {
      throw new PatchError('bad_path', `Operation ${index}${describe(op)}: "${name}" has an array index with a leading zero.`, index);
    }
  }
  // Section 4.4/4.5: "from" is a JSON Pointer (the library follows a malformed one to nothing).
  if ((op.op === 'move' || op.op === 'copy') && typeof from === 'string' && from !== '' && !from.startsWith('/')) {
    throw new PatchError('bad_path', `Operation ${index}${describe(op)}: "from" must be a JSON Pointer ("" or starting with "/").`, index);
  }
  // Section 4.4/4.5: "from" must exist. The library checks it only when "path" is not the
  // root; with path "" it reads through a missing parent and throws a bare TypeError
  // (found by the property tests: copy from "/name/name/name" to "").
  if ((op.op === 'move' || op.op === 'copy') && typeof from === 'string' && !resolves(doc, from)) {
    throw new PatchError('path_not_found', `Operation ${index}${describe(op)}: "from" does not exist.`, index);
  }
  // Section 4.4: a location cannot be moved into one of its own children.
  if (op.op === 'move' && typeof from === 'string' && typeof path === 'string' && path.startsWith(`${from}/`)) {
    throw new PatchError('bad_path', `Operation ${index}${describe(op)}: a location cannot move into one of its children.`, index);
  }
}

/** Whether the JSON Pointer names a value in doc (own members and array indexes only). */
function resolves(doc: unknown, pointer: string): boolean {
  if (pointer === '') return true;
  if (!pointer.startsWith('/')) return true; // the library reports a malformed pointer
  let node = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      if (!/^(0|[1-9]\d*)$/.test(token) || Number(token) >= node.length) return false;
      node = node[Number(token)];
    } else if (node !== null && typeof node === 'object' && Object.hasOwn(node, token)) {
      node = (node as Json)[token];
    } else {
      return false;
    }
  }
  return true;
}

/** RFC 6901 section 4: an array index is "0" or digits without a leading zero. */
function leadingZeroIndex(doc: unknown, pointer: string): boolean {
  let node = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^0\d/.test(token)) return true;
    node = node !== null && typeof node === 'object' && Object.hasOwn(node, token) ? (node as Json)[token] : undefined;
  }
  return false;
}

function translate(err: unknown, op: unknown, index: number): unknown {
  if (err instanceof jsonPatchLib.JsonPatchError) {
    const [code, words] = LIBRARY_ERRORS[err.name] ?? ['bad_operation', 'the operation cannot apply'];
    return new PatchError(code, `Operation ${index}${describe(op)}: ${words}.`, index);
  }
  // The library's refusal to touch __proto__ or constructor.prototype is a plain TypeError.
  if (err instanceof TypeError && /banned/.test(err.message)) {
    return new PatchError('bad_path', `Operation ${index}${describe(op)}: a path cannot name __proto__ or constructor/prototype.`, index);
  }
  return err;
}

function describe(op: unknown): string {
  if (!isObject(op) || typeof op.op !== 'string' || typeof op.path !== 'string') return '';
  return ` (${op.op.slice(0, 16)} ${op.path.slice(0, 200)})`;
}

export type PatchStyle = 'merge' | 'json';

/** A resource's representation after `patch`; it must still be an object. */
export function patchRepresentation(current: Json, style: PatchStyle, patch: unknown): Json {
  const patched = style === 'merge' ? mergePatch(current, patch) : jsonPatch(current, patch);
  if (!isObject(patched)) throw new PatchError('not_an_object', 'The patched resource must still be a JSON object.');
  return patched;
}

/**
 * The top-level fields `after` changed from `before`, as a partial body for the
 * resource's update: a removed field is null (back to its default).
 */
export function changedFields(before: Json, after: Json): Json {
  const changed: Json = {};
  for (const [name, value] of Object.entries(after)) if (!Object.hasOwn(before, name) || !equal(before[name], value)) setMember(changed, name, value);
  for (const name of Object.keys(before)) if (!Object.hasOwn(after, name)) setMember(changed, name, null);
  return changed;
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => equal(v, b[i]));
  if (!isObject(a) || !isObject(b) || Array.isArray(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && equal(a[k], b[k]));
}

/**
 * PATCH application (api/http/patch.ts, over fast-json-patch): a patch decoded from the
 * fuzzer's JSON either applies or throws PatchError; the document is never modified,
 * and a patched representation is an object.
 */
import { isDeepStrictEqual } from 'node:util';
import { check, only } from '../contract.js';
import { changedFields, PatchError, patchRepresentation } from '../../../src/api/http/patch.js';

/** What Jazzer instruments for coverage (scripts/fuzz.mjs reads this line). */
export const instrument = ['src/api/http/'];

export const sync = true;

const DOC = { name: 'lun0', size: 1048576, tags: ['a', 'b'], nested: { x: 1, list: [1, 2, 3] }, empty: null };

export function fuzz(data: Buffer): void {
  if (data.length < 1) return;
  let patch: unknown;
  try {
    patch = JSON.parse(data.subarray(1).toString('utf8'));
  } catch {
    return;
  }
  const doc = structuredClone(DOC);
  const out = only([PatchError], () => patchRepresentation(doc, data[0]! & 1 ? 'json' : 'merge', patch));
  check(isDeepStrictEqual(doc, DOC), 'the document is never modified');
  if (out === undefined) return;
  check(typeof out === 'object' && out !== null && !Array.isArray(out), 'the patched representation is an object');
  check(Object.getPrototypeOf(out) === Object.prototype, 'no patch replaces the prototype');
  changedFields(doc, out);
}

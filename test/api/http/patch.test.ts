/**
 * JSON merge patch (RFC 7386) and JSON Patch (RFC 6902) on wire representations: the
 * RFCs' own examples, refusals as PatchErrors with stable codes and no values in their
 * messages, and inputs that are never modified.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PatchError, changedFields, jsonPatch, mergePatch, patchRepresentation } from '../../../src/api/http/patch.js';

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const child of Object.values(v)) deepFreeze(child);
    Object.freeze(v);
  }
  return v;
}

/** Applies with frozen inputs (any write to them throws) and checks they are unchanged. */
function apply(kind: 'merge' | 'json', doc: unknown, patch: unknown): unknown {
  const before = JSON.stringify([doc, patch]);
  try {
    return kind === 'merge' ? mergePatch(deepFreeze(doc), deepFreeze(patch)) : jsonPatch(deepFreeze(doc) as Record<string, unknown>, deepFreeze(patch));
  } finally {
    assert.equal(JSON.stringify([doc, patch]), before, 'inputs unchanged');
  }
}

function refused(doc: unknown, patch: unknown, code: string, index?: number): PatchError {
  let caught: unknown;
  try {
    apply('json', doc, patch);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof PatchError, `expected a PatchError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (index !== undefined) assert.equal(caught.index, index);
  return caught;
}

test('RFC 7386 section 3 example', () => {
  const target = { title: 'Goodbye!', author: { givenName: 'John', familyName: 'Doe' }, tags: ['example', 'sample'], content: 'This will be unchanged' };
  const patch = { title: 'Hello!', phoneNumber: '+01-123-456-7890', author: { familyName: null }, tags: ['example'] };
  assert.deepEqual(apply('merge', target, patch), {
    title: 'Hello!',
    author: { givenName: 'John' },
    tags: ['example'],
    content: 'This will be unchanged',
    phoneNumber: '+01-123-456-7890',
  });
});

test('RFC 7386 appendix A: every example', () => {
  const cases: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, result] of cases) assert.deepEqual(apply('merge', target, patch), result, JSON.stringify([target, patch]));
});

test('a merge patch result shares nothing with its inputs', () => {
  const target = { keep: { deep: [1] } };
  const patch = { add: { x: [2] } };
  const out = mergePatch(target, patch) as { keep: { deep: number[] }; add: { x: number[] } };
  out.keep.deep.push(9);
  out.add.x.push(9);
  assert.deepEqual(target, { keep: { deep: [1] } });
  assert.deepEqual(patch, { add: { x: [2] } });
});

test('a merge patch member named __proto__ is a member, not a prototype', () => {
  const out = mergePatch({}, JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.deepEqual(Object.keys(out), ['__proto__']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('RFC 6902 appendix A: every example that survives JSON parsing', () => {
  const ok: [string, unknown, unknown[], unknown][] = [
    ['A.1', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }], { baz: 'qux', foo: 'bar' }],
    ['A.2', { foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }], { foo: ['bar', 'qux', 'baz'] }],
    ['A.3', { baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }], { foo: 'bar' }],
    ['A.4', { foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }], { foo: ['bar', 'baz'] }],
    ['A.5', { baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }], { baz: 'boo', foo: 'bar' }],
    [
      'A.6',
      { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
      [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
      { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
    ],
    ['A.7', { foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }], { foo: ['all', 'cows', 'eat', 'grass'] }],
    [
      'A.8',
      { baz: 'qux', foo: ['a', 2, 'c'] },
      [
        { op: 'test', path: '/baz', value: 'qux' },
        { op: 'test', path: '/foo/1', value: 2 },
      ],
      { baz: 'qux', foo: ['a', 2, 'c'] },
    ],
    ['A.10', { foo: 'bar' }, [{ op: 'add', path: '/child', value: { grandchild: {} } }], { foo: 'bar', child: { grandchild: {} } }],
    ['A.11', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }], { foo: 'bar', baz: 'qux' }],
    ['A.14', { '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: 10 }], { '/': 9, '~1': 10 }],
    ['A.16', { foo: ['bar'] }, [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }], { foo: ['bar', ['abc', 'def']] }],
  ];
  for (const [name, doc, patch, result] of ok) assert.deepEqual(apply('json', doc, patch), result, name);
  refused({ baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }], 'test_failed', 0); // A.9
  refused({ foo: 'bar' }, [{ op: 'add', path: '/baz/bat', value: 'qux' }], 'path_not_found', 0); // A.12
  refused({ '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: '10' }], 'test_failed', 0); // A.15
  // A.13 (a repeated "op" member) cannot be told apart once JSON.parse has kept the last one.
});

test('bad patch documents: a typed error naming the operation, never a value', () => {
  refused({}, { op: 'add', path: '/a', value: 1 }, 'not_a_patch');
  refused({}, [5], 'bad_operation', 0);
  refused({}, [{ op: 'frobnicate', path: '/a' }], 'bad_operation', 0);
  refused({}, [{ path: '/a', value: 1 }], 'bad_operation', 0);
  refused({}, [{ op: 'add', path: 'a', value: 1 }], 'bad_path', 0);
  refused({}, [{ op: 'add', path: 5, value: 1 }], 'bad_path', 0);
  refused({}, [{ op: 'add', path: '/a' }], 'missing_value', 0);
  refused({ a: 1 }, [{ op: 'copy', path: '/b' }], 'bad_path', 0);
  refused({ a: 1 }, [{ op: 'remove', path: '/b' }], 'path_not_found', 0);
  refused({ a: 1 }, [{ op: 'replace', path: '/b', value: 2 }], 'path_not_found', 0);
  refused({ a: 1 }, [{ op: 'move', from: '/x', path: '/b' }], 'path_not_found', 0);
  refused({ a: [1] }, [{ op: 'add', path: '/a/5', value: 1 }], 'path_not_found', 0);
  refused({ a: [1] }, [{ op: 'add', path: '/a/x', value: 1 }], 'bad_path', 0);
  refused({ a: [1, 2] }, [{ op: 'add', path: '/a/01', value: 1 }], 'bad_path', 0);
  refused({ a: [1, 2] }, [{ op: 'test', path: '/a/01', value: 2 }], 'bad_path', 0);
  refused({ a: { b: {} } }, [{ op: 'move', from: '/a', path: '/a/b/c' }], 'bad_path', 0);
  refused({}, [{ op: 'add', path: '/__proto__/polluted', value: true }], 'bad_path', 0);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const e = refused(
    { a: 1 },
    [
      { op: 'add', path: '/b', value: 2 },
      { op: 'test', path: '/secret', value: 's3cr3t-value' },
    ],
    'test_failed',
    1,
  );
  assert.match(e.message, /^Operation 1 \(test \/secret\): /);
  assert.doesNotMatch(e.message, /s3cr3t/);
});

test('JSON Patch: an object member named like an index is just a name; operations see earlier ones', () => {
  assert.deepEqual(apply('json', { a: { '01': 1 } }, [{ op: 'replace', path: '/a/01', value: 2 }]), { a: { '01': 2 } });
  assert.deepEqual(
    apply('json', { a: [] }, [
      { op: 'add', path: '/a/-', value: 1 },
      { op: 'copy', from: '/a/0', path: '/b' },
      { op: 'test', path: '/b', value: 1 },
    ]),
    { a: [1], b: 1 },
  );
  assert.deepEqual(apply('json', { a: 1 }, []), { a: 1 }, 'an empty patch changes nothing');
  assert.deepEqual(apply('json', { a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }]), { b: 2 }, 'the whole document');
});

test('the document stays an object after every operation, and "from" is a pointer (found by fuzzing)', () => {
  refused(
    { name: 'n' },
    [
      { op: 'remove', path: '' },
      { op: 'add', path: '/name', value: false },
    ],
    'not_an_object',
    0,
  );
  refused(
    { nested: { x: 1 } },
    [
      { op: 'copy', path: '', from: 'c' },
      { op: 'remove', path: '/nested/x' },
    ],
    'bad_path',
    0,
  );
  refused({ a: 1 }, [{ op: 'replace', path: '', value: 3 }], 'not_an_object', 0);
});

test('a patched representation must stay an object; the changed fields make a partial body', () => {
  assert.throws(
    () => patchRepresentation({ a: 1 }, 'json', [{ op: 'replace', path: '', value: [1] }]),
    (e: unknown) => e instanceof PatchError && e.code === 'not_an_object',
  );
  assert.throws(
    () => patchRepresentation({ a: 1 }, 'merge', 'text'),
    (e: unknown) => e instanceof PatchError && e.code === 'not_an_object',
  );
  const before = { uuid: 'u', name: 'n', extra: { a: 1, b: 2 }, tags: ['x'], gone: 1 };
  const after = patchRepresentation(before, 'json', [
    { op: 'remove', path: '/extra/a' },
    { op: 'remove', path: '/gone' },
    { op: 'add', path: '/new', value: 'v' },
    { op: 'replace', path: '/tags', value: ['x'] },
  ]);
  assert.deepEqual(changedFields(before, after), { extra: { b: 2 }, new: 'v', gone: null });
  assert.deepEqual(changedFields(before, patchRepresentation(before, 'merge', { name: 'n', extra: { a: 1 } })), {});
});

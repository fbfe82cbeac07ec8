/**
 * Each parser of outside input throws nothing but its own typed error, for inputs shaped
 * like what it reads (structured, where the fuzz targets feed raw bytes): text keys,
 * CHAP binary values, ONTAP queries, HNAS accessConfig, JSON Patch documents, sizes,
 * portals and networks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IscsiProtocolError } from '../../src/iscsi/errors.js';
import { parseText } from '../../src/iscsi/text.js';
import { ChapFormatError, parseChapBinary } from '../../src/iscsi/chap.js';
import { OntapQueryError, parseCollectionQuery } from '../../src/api/ontap/query.js';
import { parseAccessConfig } from '../../src/api/hnas/access-config.js';
import { HnasError } from '../../src/api/hnas/errors.js';
import { PatchError, patchRepresentation } from '../../src/api/http/patch.js';
import { parseSize } from '../../src/domain/size.js';
import { parseListenAddress } from '../../src/domain/addresses.js';
import { parseNetworks } from '../../src/domain/network-match.js';

type ErrorClass = abstract new (...args: never[]) => Error;

function onlyThrows(allowed: ErrorClass | null, fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    assert.ok(allowed !== null && e instanceof allowed, `threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
  }
}

const piece = fc.oneof(
  fc.string(),
  fc.constantFrom('=', '\0', '0x', '0b', ',', ':', '/', '(', ')', '*', '[', ']', '.', '..', ' ', '~1', '%'),
  fc.stringMatching(/^[0-9a-fA-F]{0,12}$/),
  fc.base64String(),
);
const glued = fc.array(piece, { maxLength: 8 }).map((p) => p.join(''));

test('iSCSI text keys: only IscsiProtocolError', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(glued, glued), { maxLength: 6 }), fc.boolean(), (pairs, trailing) => {
      const body = pairs.map(([k, v]) => `${k}=${v}`).join('\0') + (trailing ? '\0' : '');
      onlyThrows(IscsiProtocolError, () => parseText(Buffer.from(body)));
    }),
    { numRuns: 1000 },
  );
});

test('CHAP binary values: only ChapFormatError', () => {
  fc.assert(
    fc.property(fc.constantFrom('0x', '0X', '0b', '0B', ''), glued, (prefix, body) => onlyThrows(ChapFormatError, () => parseChapBinary(prefix + body))),
    { numRuns: 1000 },
  );
});

const SHAPE = {
  fields: ['uuid', 'name', 'svm', 'svm.name', 'space', 'space.size', 'statistics'],
  collectionDefaults: ['uuid', 'name'],
  expensive: ['statistics'],
};
const param = fc.constantFrom(
  'fields',
  'max_records',
  'return_records',
  'return_timeout',
  'order_by',
  'start.index',
  'name',
  'svm.name',
  'space.size',
  'nope',
  'statistics',
);

test('ONTAP collection queries: only OntapQueryError', () => {
  fc.assert(
    fc.property(fc.dictionary(param, fc.oneof(glued, fc.array(glued, { maxLength: 3 }))), (raw) =>
      onlyThrows(OntapQueryError, () => parseCollectionQuery(raw, SHAPE)),
    ),
    { numRuns: 1000 },
  );
});

test('HNAS accessConfig: only HnasError', () => {
  const entry = fc.tuple(
    fc.oneof(fc.ipV4(), fc.ipV6(), fc.constant('*'), glued),
    fc.constantFrom('', '(rw)', '(ro)', '(read_only)', '(noaccess)', '(bad)', ' ( rw )', '/24', '/129'),
  );
  fc.assert(
    fc.property(fc.array(entry, { maxLength: 5 }), fc.constantFrom(',', ';', ' ', '\n'), (entries, sep) =>
      onlyThrows(HnasError, () => parseAccessConfig(entries.map(([h, q]) => h + q).join(sep))),
    ),
    { numRuns: 1000 },
  );
});

test('JSON Patch and merge patch: only PatchError, and the document stays as it was', () => {
  const pointer = fc
    .array(fc.oneof(fc.constantFrom('name', 'tags', '0', '1', '-', '01', 'nested', 'x', '__proto__', 'constructor', 'prototype', ''), fc.string()), {
      maxLength: 4,
    })
    .map((t) => (t.length ? `/${t.join('/')}` : ''));
  const operation = fc.record(
    {
      op: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test', 'bad'),
      path: fc.oneof(pointer, fc.anything()),
      from: pointer,
      value: fc.jsonValue(),
    },
    { requiredKeys: ['op'] },
  );
  fc.assert(
    fc.property(
      fc.oneof(fc.array(operation, { maxLength: 4 }), fc.jsonValue()),
      fc.constantFrom('json', 'merge') as fc.Arbitrary<'json' | 'merge'>,
      (patch, style) => {
        const doc = { name: 'a', tags: ['x', 'y'], nested: { x: 1 } };
        const before = structuredClone(doc);
        onlyThrows(PatchError, () => patchRepresentation(doc, style, patch));
        assert.deepEqual(doc, before);
      },
    ),
    { numRuns: 1000 },
  );
});

test('sizes, portals and networks: never throw', () => {
  const number = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(Number.MAX_SAFE_INTEGER + 1, -0, Number.NaN));
  fc.assert(
    fc.property(glued, number, (s, n) => {
      onlyThrows(null, () => parseSize(s));
      onlyThrows(null, () => parseSize(n));
      onlyThrows(null, () => parseListenAddress(s));
      onlyThrows(null, () => parseNetworks(s));
    }),
    { numRuns: 1000 },
  );
});

/**
 * Wire fields described once: the request and response schemas, the domain names a body
 * maps to, and the wire name a domain error's field comes back as.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bodySchema, bool, int, intOrNull, pick, responseSchema, str, strOrNull, wireFieldFor, type WireFields } from '../../../src/api/http/fields.js';

const fields: WireFields = {
  vol_name: { schema: str('the name'), domain: 'name', response: true },
  vol_size: { schema: { type: 'integer', minimum: 1 }, domain: 'sizeBytes', response: true },
  vol_paths: { schema: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] }, domain: 'paths', response: true },
  vol_tags: { schema: { type: 'array', items: { type: 'string' }, maxItems: 4 }, domain: 'tags', response: true },
  vol_legacy: { schema: bool(), ignored: true },
  vol_secret: { schema: str(), domain: 'secret' },
  id: { schema: int(), ignored: true, response: true },
};

test('schema helpers: a type, and a description only when given', () => {
  assert.deepEqual(str(), { type: 'string' });
  assert.deepEqual(int('n'), { type: 'integer', description: 'n' });
  assert.deepEqual(bool(), { type: 'boolean' });
  assert.deepEqual(intOrNull(), { type: ['integer', 'null'] });
  assert.deepEqual(strOrNull('s'), { type: ['string', 'null'], description: 's' });
});

test('the body schema takes every described field and no other', () => {
  const schema = bodySchema(fields);
  assert.equal(schema.type, 'object');
  assert.equal(schema.additionalProperties, false);
  assert.deepEqual(Object.keys(schema.properties as object), Object.keys(fields));
  assert.deepEqual((schema.properties as Record<string, unknown>).vol_size, { type: 'integer', minimum: 1 });
});

test('the response schema: response fields only, types without request constraints, anyOf as text', () => {
  assert.deepEqual(responseSchema(fields), {
    type: 'object',
    properties: {
      vol_name: { type: 'string' },
      vol_size: { type: 'integer' },
      vol_paths: { type: 'string' },
      vol_tags: { type: 'array', items: { type: 'string' } },
      id: { type: 'integer' },
    },
  });
});

test('pick: present wire values under their domain names; ignored and unknown fields dropped', () => {
  assert.deepEqual(pick({ vol_name: 'a', vol_size: undefined, vol_legacy: true, id: 9, other: 1, vol_secret: null }, fields), { name: 'a', secret: null });
});

test('a domain field comes back as its wire name; no single field is __all__', () => {
  assert.equal(wireFieldFor(fields, 'sizeBytes'), 'vol_size');
  assert.equal(wireFieldFor(fields, '__all__'), '__all__');
  assert.equal(wireFieldFor(fields, 'nothingMapsHere'), '__all__');
});

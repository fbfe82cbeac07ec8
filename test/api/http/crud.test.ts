/**
 * registerCrud with a style other than FreeNAS's: uuid ids without trailing slashes,
 * marker paging with a next link, JSON Patch and merge patch updates (the changed fields
 * checked against the field schemas), chosen status codes, and 405 with Allow for the
 * methods a resource does not have. A bare fastify app and an in-memory service.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { ListQuery, ListResult } from '../../../src/domain/repository.js';
import { registerCrud, uuidIds, type CrudResource, type CrudService, type CrudStyle } from '../../../src/api/http/crud.js';
import { int, pick, str, strOrNull, type WireFields } from '../../../src/api/http/fields.js';
import { PagingError } from '../../../src/api/http/paging.js';
import { markerPaging } from '../../../src/api/http/paging-styles.js';
import { PatchError } from '../../../src/api/http/patch.js';

interface Thing {
  uuid: string;
  name: string;
  size: number;
  note: string | null;
}
type ThingInput = Partial<Omit<Thing, 'uuid'>>;

class Things implements CrudService<Thing, ThingInput, string> {
  readonly rows: Thing[] = [];
  queries: ListQuery[] = [];
  list(query: ListQuery): ListResult<Thing> {
    this.queries.push(query);
    let rows = [...this.rows];
    const sort = query.sort?.[0];
    if (sort) rows.sort((a, b) => String(a[sort.field as keyof Thing]).localeCompare(String(b[sort.field as keyof Thing])) * (sort.descending ? -1 : 1));
    if (query.after) rows = rows.slice(rows.findIndex((r) => r.uuid === query.after) + 1);
    return { items: rows.slice(0, query.limit || undefined), total: this.rows.length };
  }
  get(uuid: string): Thing {
    const t = this.rows.find((r) => r.uuid === uuid);
    if (!t) throw Object.assign(new Error('no such thing'), { statusCode: 404 });
    return t;
  }
  async create(input: ThingInput): Promise<Thing> {
    const t = { uuid: randomUUID(), name: input.name ?? 'unnamed', size: input.size ?? 0, note: input.note ?? null };
    this.rows.push(t);
    return t;
  }
  async update(uuid: string, input: ThingInput): Promise<Thing> {
    return Object.assign(this.get(uuid), input);
  }
  async delete(uuid: string): Promise<void> {
    this.rows.splice(this.rows.indexOf(this.get(uuid)), 1);
  }
}

const fields: WireFields = {
  uuid: { schema: str(), ignored: true, response: true },
  name: { schema: str(), domain: 'name', response: true },
  size: { schema: int(), domain: 'size', response: true },
  note: { schema: strOrNull(), domain: 'note', response: true },
};

function thingResource(service: Things): CrudResource<Thing, ThingInput, string> {
  return {
    path: 'things',
    title: 'things',
    fields,
    service,
    toWire: (t) => ({ uuid: t.uuid, name: t.name, size: t.size, note: t.note }),
    fromWire: (body) => pick(body, fields) as ThingInput,
    cursorOf: (t) => t.uuid,
  };
}

async function build(overrides: Partial<CrudStyle<string>> = {}): Promise<{ app: FastifyInstance; things: Things }> {
  const app = Fastify({ ajv: { customOptions: { removeAdditional: false, allErrors: true, coerceTypes: 'array', useDefaults: false } } });
  const things = new Things();
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error instanceof PatchError) return reply.code(400).send({ fault: error.code, message: error.message });
    if (error instanceof PagingError) return reply.code(400).send({ fault: 'paging', message: error.message });
    if (error.validation) return reply.code(400).send({ fault: 'schema', message: error.message });
    return reply.code(error.statusCode ?? 500).send({ fault: 'other', message: error.message });
  });
  app.addContentTypeParser('application/json-patch+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
  const style: CrudStyle<string> = {
    tag: 'toy',
    ids: uuidIds,
    update: 'json-patch',
    status: { create: 201, update: 200, delete: 204 },
    paging: markerPaging({ sortKeys: { name: 'name' }, maxLimit: 50 }),
    renderList: (items, page) => ({ things: items, ...(page.next ? { next: `/things?${page.next}` } : {}) }),
    listSchema: (item) => ({ type: 'object', properties: { things: { type: 'array', items: item }, next: { type: 'string' } } }),
    errors: { invalid: {}, notFound: {} },
    ...overrides,
  };
  registerCrud(app, style, thingResource(things));
  await app.ready();
  return { app, things };
}

const patchJson = { 'content-type': 'application/json-patch+json' };

test('uuid ids, marker paging with a next link, chosen statuses', async () => {
  const { app, things } = await build();
  const created = [];
  for (const name of ['c', 'a', 'b']) {
    const res = await app.inject({ method: 'POST', url: '/things', payload: { name, size: 1 } });
    assert.equal(res.statusCode, 201, res.body);
    created.push(res.json());
  }
  const page1 = await app.inject({ url: '/things?limit=2&sort_key=name' });
  assert.equal(page1.statusCode, 200, page1.body);
  assert.deepEqual(
    page1.json().things.map((t: Thing) => t.name),
    ['a', 'b'],
  );
  const next = page1.json().next as string;
  assert.equal(next, `/things?sort_key=name&limit=2&marker=${created[2].uuid}`);
  const page2 = await app.inject({ url: next });
  assert.deepEqual(page2.json(), { things: [created[0]] }, 'a short page has no next');
  assert.deepEqual(things.queries[1], { limit: 2, after: created[2].uuid, sort: [{ field: 'name', descending: false }] });
  assert.equal((await app.inject({ url: '/things?marker=nope' })).json().fault, 'paging');

  const one = await app.inject({ url: `/things/${created[0].uuid.toUpperCase()}` });
  assert.equal(one.statusCode, 200, 'ids are read case-insensitively');
  assert.equal((await app.inject({ url: '/things/42' })).json().fault, 'schema', 'not a uuid: a params error');
  assert.equal((await app.inject({ method: 'DELETE', url: `/things/${created[0].uuid}` })).statusCode, 204);
  assert.equal((await app.inject({ url: `/things/${created[0].uuid}` })).statusCode, 404);
  await app.close();
});

test('JSON Patch updates: the changed fields go to the service, checked by the field schemas', async () => {
  const { app, things } = await build();
  const t = (await app.inject({ method: 'POST', url: '/things', payload: { name: 'x', size: 1, note: 'n' } })).json();
  const url = `/things/${t.uuid}`;
  const ok = await app.inject({
    method: 'PATCH',
    url,
    headers: patchJson,
    payload: JSON.stringify([
      { op: 'replace', path: '/size', value: 5 },
      { op: 'remove', path: '/note' },
      { op: 'test', path: '/name', value: 'x' },
    ]),
  });
  assert.equal(ok.statusCode, 200, ok.body);
  assert.deepEqual(ok.json(), { uuid: t.uuid, name: 'x', size: 5, note: null });

  const refusals: [unknown, string][] = [
    [[{ op: 'replace', path: '/size', value: 'big' }], 'schema'],
    [[{ op: 'add', path: '/colour', value: 'red' }], 'schema'],
    [[{ op: 'test', path: '/name', value: 'y' }], 'test_failed'],
    [[{ op: 'jump', path: '/name' }], 'bad_operation'],
    [{ op: 'replace', path: '/size', value: 6 }, 'not_a_patch'],
  ];
  for (const [patch, fault] of refusals) {
    const res = await app.inject({ method: 'PATCH', url, headers: patchJson, payload: JSON.stringify(patch) });
    assert.equal(res.statusCode, 400, JSON.stringify(patch));
    assert.equal(res.json().fault, fault, res.body);
  }
  assert.deepEqual(things.rows[0], { uuid: t.uuid, name: 'x', size: 5, note: null }, 'no refused patch changed anything');
  const missing = await app.inject({ method: 'PATCH', url: `/things/${randomUUID()}`, headers: patchJson, payload: '"not even a patch"' });
  assert.equal(missing.statusCode, 404, 'a missing object is a 404 whatever the body says');
  assert.equal((await app.inject({ method: 'PUT', url, payload: {} })).statusCode, 405);
  await app.close();
});

test('merge patch updates and the 405s of the operations a resource lacks', async () => {
  const { app, things } = await build({ update: 'merge-patch', operations: ['list', 'get', 'update'], status: { update: 202 } });
  const t = await things.create({ name: 'x', size: 1, note: 'n' });
  const url = `/things/${t.uuid}`;
  const ok = await app.inject({ method: 'PATCH', url, payload: { size: 3, note: null } });
  assert.equal(ok.statusCode, 202, ok.body);
  assert.deepEqual(ok.json(), { uuid: t.uuid, name: 'x', size: 3, note: null });
  const bad = await app.inject({ method: 'PATCH', url, payload: { size: 'big' } });
  assert.equal(bad.json().fault, 'schema');
  assert.equal(things.rows[0]!.size, 3);
  const post = await app.inject({ method: 'POST', url: '/things', payload: {} });
  assert.equal(post.statusCode, 405);
  assert.equal(post.headers.allow, 'GET');
  const del = await app.inject({ method: 'DELETE', url });
  assert.equal(del.statusCode, 405);
  assert.equal(del.headers.allow, 'GET, PATCH');
  await app.close();
});

test("a dialect's list filters join the page's query; lists are kept per version and query", async () => {
  let version = 1;
  const { app, things } = await build({
    listQuery: (request, page) => ({ ...page, filters: { name: (request.query as { name?: string }).name ?? null } }),
    version: () => version,
  });
  await things.create({ name: 'x' });
  const first = await app.inject({ url: '/things?name=x&limit=5' });
  assert.deepEqual(things.queries.at(-1), { limit: 5, filters: { name: 'x' } });
  await things.create({ name: 'y' });
  assert.equal((await app.inject({ url: '/things?name=x&limit=5' })).body, first.body, 'kept: the version stood still');
  assert.equal(things.queries.length, 1);
  await app.inject({ url: '/things?name=y&limit=5' });
  assert.equal(things.queries.length, 2, 'another filter is another key');
  version = 2;
  assert.equal((await app.inject({ url: '/things?name=x&limit=5' })).json().things.length, 2, 'a new version lists again');
  await app.close();
});

/**
 * A second, toy dialect declared through defineDialect beside FreeNAS on the real server:
 * each answers under its own prefix with its own 404 body, error shape, credential
 * schemes and body parsing, and neither leaks into the other or into sanbox's own paths.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyInstance } from 'fastify';
import { buildApi } from '../../../src/api/server.js';
import { defineDialect, registerDialect } from '../../../src/api/http/dialect.js';
import { registerCrud, uuidIds, type CrudResource } from '../../../src/api/http/crud.js';
import { pick, str, type WireFields } from '../../../src/api/http/fields.js';
import { markerPaging } from '../../../src/api/http/paging-styles.js';
import { PatchError } from '../../../src/api/http/patch.js';
import { DomainError, notFound } from '../../../src/domain/errors.js';
import { createLogger } from '../../../src/log.js';
import { FREENAS, startSanbox, type TestSanbox } from '../../support/sanbox.js';

interface Gadget {
  uuid: string;
  name: string;
}

const gadgets = new Map<string, Gadget>();
const fields: WireFields = { uuid: { schema: str(), ignored: true, response: true }, name: { schema: str(), domain: 'name', response: true } };
const gadgetResource: CrudResource<Gadget, Partial<Gadget>, string> = {
  path: 'gadgets',
  title: 'gadgets',
  fields,
  toWire: (g) => ({ uuid: g.uuid, name: g.name }),
  fromWire: (body) => pick(body, fields),
  cursorOf: (g) => g.uuid,
  service: {
    list: (q) => ({ items: [...gadgets.values()].slice(0, q.limit || undefined), total: gadgets.size }),
    get: (uuid) => {
      const g = gadgets.get(uuid);
      if (!g) throw notFound('target');
      return g;
    },
    create: async (input) => {
      const g = { uuid: randomUUID(), name: input.name ?? 'unnamed' };
      gadgets.set(g.uuid, g);
      return g;
    },
    update: async (uuid, input) => Object.assign(gadgetResource.service.get(uuid), input),
    delete: async (uuid) => void gadgets.delete(uuid),
  },
};

const toy = defineDialect({
  name: 'toy',
  prefix: '/toy/v1',
  authSchemes: ['auth-token'],
  errorHandler: (error: FastifyError, _request, reply) => {
    if (error instanceof DomainError)
      return reply.code(error.kind === 'not_found' ? 404 : 400).send({ toy_fault: { code: error.code, message: error.message } });
    if (error instanceof PatchError) return reply.code(400).send({ toy_fault: { code: error.code, message: error.message } });
    return reply.code(error.statusCode ?? 500).send({ toy_fault: { code: error.code ?? 'internal', message: error.message } });
  },
  notFound: (request, reply) => reply.code(404).send({ toy_fault: { code: 'no_route', message: request.url } }),
  contentTypes: (app) => app.addContentTypeParser('application/json-patch+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error')),
  routes: (app) =>
    registerCrud(
      app,
      {
        tag: 'toy',
        ids: uuidIds,
        update: 'json-patch',
        paging: markerPaging({ sortKeys: {} }),
        renderList: (items, page) => ({ gadgets: items, next: page.next }),
        listSchema: (item) => ({ type: 'object', properties: { gadgets: { type: 'array', items: item }, next: { type: ['string', 'null'] } } }),
        errors: { invalid: {}, notFound: {} },
      },
      gadgetResource,
    ),
});

let sb: TestSanbox;
let app: FastifyInstance;
let token: string;

before(async () => {
  sb = await startSanbox();
  const services = sb.sanbox.services;
  token = services.apiKeys.create({ name: 'toy' }).token;
  app = await buildApi({
    services,
    status: { status: () => ({ listeners: [], sessions: [], extents: [] }) },
    logger: createLogger('silent'),
    adminUser: 'admin',
    passwordHash: () => null,
    tls: null,
  });
  await registerDialect(app, toy, {});
  await app.ready();
});

after(async () => {
  await app.close();
  await sb.stop();
});

const asToy = () => ({ 'x-auth-token': token });
const asFreenas = () => ({ 'x-api-key': token });

test("unknown paths: each prefix answers with its own 404, the rest with the server's", async () => {
  const toy404 = await app.inject({ url: '/toy/v1/nowhere?x=1', headers: asToy() });
  assert.equal(toy404.statusCode, 404);
  assert.deepEqual(toy404.json(), { toy_fault: { code: 'no_route', message: '/toy/v1/nowhere?x=1' } });
  assert.deepEqual((await app.inject({ url: '/toy/v1', headers: asToy() })).json().toy_fault.code, 'no_route');
  const freenas404 = await app.inject({ url: `${FREENAS}/nowhere/`, headers: asFreenas() });
  assert.equal(freenas404.statusCode, 404);
  assert.deepEqual(freenas404.json(), { error_message: `No route for GET ${FREENAS}/nowhere/.` });
  const root404 = await app.inject({ method: 'POST', url: '/toy/nowhere', headers: asFreenas() });
  assert.deepEqual(root404.json(), { error_message: 'No route for POST /toy/nowhere.' });
});

test("each dialect's credential schemes, its 404 included", async () => {
  assert.equal((await app.inject({ url: '/toy/v1/nowhere' })).statusCode, 401, 'no credentials');
  assert.equal((await app.inject({ url: '/toy/v1/nowhere', headers: asFreenas() })).statusCode, 401, "FreeNAS's header is not the toy's");
  assert.equal((await app.inject({ url: `${FREENAS}/nowhere/`, headers: asToy() })).statusCode, 401, "the toy's header is not FreeNAS's");
  assert.equal((await app.inject({ url: `${FREENAS}/target/`, headers: asToy() })).statusCode, 401);
  assert.equal((await app.inject({ url: '/toy/v1/gadgets', headers: asToy() })).statusCode, 200);
});

test("errors in each dialect's own shape", async () => {
  const missing = await app.inject({ url: `/toy/v1/gadgets/${randomUUID()}`, headers: asToy() });
  assert.equal(missing.statusCode, 404);
  assert.deepEqual(missing.json(), { toy_fault: { code: 'entity.not-found', message: 'No such target.' } });
  const freenasMissing = await app.inject({ url: `${FREENAS}/target/99/`, headers: asFreenas() });
  assert.equal(freenasMissing.statusCode, 404);
  assert.deepEqual(Object.keys(freenasMissing.json()), ['error_message']);
  assert.equal(freenasMissing.headers.vary, 'Accept', "Tastypie's Vary stays FreeNAS's");
  assert.equal(missing.headers.vary, undefined);

  const badJson = await app.inject({
    method: 'POST',
    url: '/toy/v1/gadgets',
    headers: { ...asToy(), 'content-type': 'application/json' },
    payload: '{"name": "a",}',
  });
  assert.equal(badJson.statusCode, 400, "strict JSON: the trailing comma is FreeNAS's leniency, not the toy's");
  assert.equal(badJson.json().toy_fault.code, 'FST_ERR_CTP_INVALID_JSON_BODY');
  const lenient = await app.inject({
    method: 'POST',
    url: `${FREENAS}/authorizedinitiator/`,
    headers: { ...asFreenas(), 'content-type': 'application/json' },
    payload: '{"iscsi_target_initiator_comment": "x",}',
  });
  assert.equal(lenient.statusCode, 201, lenient.body);
  const unknownField = await app.inject({ method: 'POST', url: `${FREENAS}/authorizedinitiator/`, headers: asFreenas(), payload: { nope: 1 } });
  assert.deepEqual(Object.keys(unknownField.json()), ['nope'], 'Django form errors');
});

test('the toy dialect serves CRUD with uuids and JSON Patch through api/http', async () => {
  const created = await app.inject({ method: 'POST', url: '/toy/v1/gadgets', headers: asToy(), payload: { name: 'g' } });
  assert.equal(created.statusCode, 201, created.body);
  const { uuid } = created.json();
  const patched = await app.inject({
    method: 'PATCH',
    url: `/toy/v1/gadgets/${uuid}`,
    headers: { ...asToy(), 'content-type': 'application/json-patch+json' },
    payload: JSON.stringify([{ op: 'replace', path: '/name', value: 'h' }]),
  });
  assert.equal(patched.statusCode, 200, patched.body);
  assert.deepEqual(patched.json(), { uuid, name: 'h' });
  const failed = await app.inject({
    method: 'PATCH',
    url: `/toy/v1/gadgets/${uuid}`,
    headers: { ...asToy(), 'content-type': 'application/json-patch+json' },
    payload: JSON.stringify([{ op: 'test', path: '/name', value: 'g' }]),
  });
  assert.deepEqual(failed.json().toy_fault.code, 'test_failed');
  const list = await app.inject({ url: '/toy/v1/gadgets?limit=1', headers: asToy() });
  assert.deepEqual(list.json(), { gadgets: [{ uuid, name: 'h' }], next: `limit=1&marker=${uuid}` });
});

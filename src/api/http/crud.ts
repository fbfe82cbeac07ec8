/**
 * CRUD routes for one resource, derived from its description (fields.ts) and from what
 * differs between dialects (CrudStyle): paths and ids, which operations exist (405 with
 * Allow for the other methods), status codes, paging, what PATCH means, the error
 * schemas, and the hook that tells the dialect's error handler the resource's fields.
 */
import type { FastifyError, FastifyInstance, FastifyRequest, HTTPMethods } from 'fastify';
import type { ListQuery, ListResult } from '../../domain/repository.js';
import { bodySchema, responseSchema, type JsonSchema, type WireFields } from './fields.js';
import { ListCache, queryKey } from './list-cache.js';
import type { PageInfo, PagingAdapter } from './paging.js';
import { changedFields, patchRepresentation } from './patch.js';

/** What a dialect needs of a domain service. */
export interface CrudService<E, I, Id> {
  list(query: ListQuery): ListResult<E>;
  get(id: Id): E;
  create(input: I): Promise<E>;
  update(id: Id, input: I): Promise<E>;
  delete(id: Id): Promise<void>;
}

export interface CrudResource<E, I, Id> {
  /** Path under the dialect's prefix (`target`, `volume/connectors`). */
  path: string;
  title: string;
  fields: WireFields;
  toWire(entity: E): Record<string, unknown>;
  fromWire(body: Record<string, unknown>): I;
  service: CrudService<E, I, Id>;
  /** An entity's cursor (its uuid), for paging that continues after the last item. */
  cursorOf?(entity: E): string;
}

/** How ids appear in item paths; a value the schema refuses is a params validation error. */
export interface IdStyle<Id> {
  schema: JsonSchema;
  parse(raw: string): Id;
}

export const integerIds: IdStyle<number> = { schema: { type: 'string', pattern: '^[0-9]+$' }, parse: Number };
export const uuidIds: IdStyle<string> = {
  schema: { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' },
  parse: (raw) => raw.toLowerCase(),
};

export type CrudOperation = 'list' | 'create' | 'get' | 'update' | 'delete';

export interface CrudStyle<Id> {
  /** Names the OpenAPI tags (`<tag>: <path>`). */
  tag: string;
  ids: IdStyle<Id>;
  /** Paths end in a slash (FreeNAS: `/target/`, `/target/:id/`). */
  trailingSlash?: boolean;
  /** Default: all five. */
  operations?: readonly CrudOperation[];
  /** PUT with a partial body (default), or PATCH with a JSON merge patch or a JSON Patch. */
  update?: 'put' | 'merge-patch' | 'json-patch';
  /** Default: create 201, update 200, delete 204. */
  status?: { create?: number; update?: number; delete?: number };
  paging: PagingAdapter;
  /** The list answer around the page's items (FreeNAS: the bare array). */
  renderList(items: Record<string, unknown>[], page: PageInfo, request: FastifyRequest): unknown;
  /** The list answer's schema around the item schema (default: an array of items). */
  listSchema?(item: JsonSchema): JsonSchema;
  /** Adds what the dialect filters lists by (tenant, a parent, a name) to the page's query. */
  listQuery?(request: FastifyRequest, page: ListQuery): ListQuery;
  /** Anything else renderList reads from the request (a host in a link): part of the cache key. */
  cacheVariant?(request: FastifyRequest): string;
  /** The configuration version lists are kept under (list-cache.ts); absent: never kept. */
  version?: () => number;
  /** Response schemas (serialization and OpenAPI) of the dialect's errors. */
  errors: { invalid: JsonSchema; notFound: JsonSchema; paging?: JsonSchema };
  /** Tells the dialect's error handler which resource's fields a request is about. */
  onRequest?(request: FastifyRequest, fields: WireFields): void;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const METHODS: HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** Answers the methods of `url` not in `allowed` with 405 and an Allow header. */
export function methodNotAllowed(app: FastifyInstance, url: string, allowed: readonly HTTPMethods[]): void {
  const others = METHODS.filter((m) => !allowed.includes(m));
  const allow = METHODS.filter((m) => allowed.includes(m)).join(', ');
  if (others.length === 0) return;
  app.route({ method: others, url, schema: { hide: true }, handler: async (_request, reply) => reply.code(405).header('Allow', allow).send() });
}

/** A PUT or POST without a body counts as {}. */
export function bodyObject(body: unknown): Record<string, unknown> {
  return body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
}

export function registerCrud<E, I, Id>(app: FastifyInstance, style: CrudStyle<Id>, r: CrudResource<E, I, Id>): void {
  const slash = style.trailingSlash ? '/' : '';
  const base = `/${r.path}${slash}`;
  const item = `/${r.path}/:id${slash}`;
  const has = (op: CrudOperation) => (style.operations ?? ['list', 'create', 'get', 'update', 'delete']).includes(op);
  const mode = style.update ?? 'put';
  const updateMethod: HTTPMethods = mode === 'put' ? 'PUT' : 'PATCH';
  const collectionMethods = [...(has('list') ? ['GET' as const] : []), ...(has('create') ? ['POST' as const] : [])];
  const itemMethods = [...(has('get') ? ['GET' as const] : []), ...(has('update') ? [updateMethod] : []), ...(has('delete') ? ['DELETE' as const] : [])];
  if (collectionMethods.length) methodNotAllowed(app, base, collectionMethods);
  if (itemMethods.length) methodNotAllowed(app, item, itemMethods);

  const status = { create: 201, update: 200, delete: 204, ...style.status };
  const { invalid, notFound } = style.errors;
  const body = bodySchema(r.fields);
  const one = responseSchema(r.fields);
  const params = { type: 'object', properties: { id: style.ids.schema }, required: ['id'] };
  const tags = [`${style.tag}: ${r.path}`];
  const hook = style.onRequest;
  const onRequest = hook ? [async (request: FastifyRequest) => hook(request, r.fields)] : [];
  const idOf = (request: FastifyRequest) => style.ids.parse((request.params as { id: string }).id);
  const cache = new ListCache(style.version ?? (() => -1));

  if (has('list')) {
    app.get(base, {
      onRequest,
      schema: {
        tags,
        summary: `List ${r.path}`,
        description: r.title,
        querystring: style.paging.querystring,
        response: { 200: style.listSchema ? style.listSchema(one) : { type: 'array', items: one }, 400: style.errors.paging ?? invalid },
      },
      handler: async (request, reply) => {
        const paging = style.paging.parse(request.query);
        const query = style.listQuery ? style.listQuery(request, paging.query) : paging.query;
        const key = style.cacheVariant ? `${queryKey(query)}|${style.cacheVariant(request)}` : queryKey(query);
        const answer = cache.answer(key, () => {
          const result = r.service.list(query);
          const last = result.items[result.items.length - 1];
          const page = style.paging.page(paging, result, last !== undefined && r.cursorOf ? r.cursorOf(last) : undefined);
          return reply.serialize(style.renderList(result.items.map(r.toWire), page, request)) as string;
        });
        return reply.type(JSON_TYPE).send(answer);
      },
    });
  }
  if (has('create')) {
    app.post(base, {
      onRequest,
      schema: { tags, summary: `Create ${r.path}`, body, response: { [status.create]: one, 400: invalid } },
      handler: async (request, reply) => reply.code(status.create).send(r.toWire(await r.service.create(r.fromWire(bodyObject(request.body))))),
    });
  }
  if (has('get')) {
    app.get(item, {
      onRequest,
      schema: { tags, summary: `Get ${r.path}`, params, response: { 200: one, 404: notFound } },
      handler: async (request) => r.toWire(r.service.get(idOf(request))),
    });
  }
  if (has('update')) {
    const patch = mode === 'put' ? null : mode === 'merge-patch' ? 'merge' : 'json';
    app.route({
      method: updateMethod,
      url: item,
      onRequest,
      // A missing object is a 404 whatever the body says.
      preValidation: async (request) => void r.service.get(idOf(request)),
      schema: {
        tags,
        summary: `Update ${r.path}`,
        params,
        body: patch ? { description: patch === 'merge' ? 'a JSON merge patch (RFC 7386) of the object' : 'a JSON Patch (RFC 6902) of the object' } : body,
        response: { [status.update]: one, 400: invalid, 404: notFound },
      },
      handler: async (request, reply) => {
        const id = idOf(request);
        let input = bodyObject(request.body);
        if (patch) {
          const current = r.toWire(r.service.get(id));
          input = changedFields(current, patchRepresentation(current, patch, request.body));
          // The changed fields are checked as if they had come as a body.
          const valid = request.compileValidationSchema(body, 'body');
          if (!valid(input)) throw validationError(valid.errors ?? []);
        }
        return reply.code(status.update).send(r.toWire(await r.service.update(id, r.fromWire(input))));
      },
    });
  }
  if (has('delete')) {
    app.delete(item, {
      onRequest,
      schema: {
        tags,
        summary: `Delete ${r.path}`,
        params,
        response: {
          [status.delete]: status.delete === 204 ? { type: 'null', description: 'deleted' } : { description: 'deleted' },
          400: invalid,
          404: notFound,
        },
      },
      handler: async (request, reply) => {
        await r.service.delete(idOf(request));
        return reply.code(status.delete).send();
      },
    });
  }
}

/** The error fastify raises for a body its schema refuses, so dialects render both alike. */
function validationError(errors: NonNullable<FastifyError['validation']>): FastifyError {
  const first = errors[0];
  const error = new Error(`body${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}`) as FastifyError;
  return Object.assign(error, { statusCode: 400, code: 'FST_ERR_VALIDATION', validation: errors, validationContext: 'body' as const });
}

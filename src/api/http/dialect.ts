/**
 * A dialect is one encapsulated fastify plugin under its own prefix, with its own
 * content-type parsing, credential schemes, error handler and 404 for unknown paths under
 * the prefix. Nothing of it reaches the server's own routes or another dialect; what the
 * server knows of a dialect is its prefix and its plugin.
 */
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyPluginOptions, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthRefusals } from '../auth/authenticator.js';
import type { AuthScheme } from '../auth/credentials.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The dialect family a route belongs to (freenas, ontap, hnas, ironic, pools): the API timings' label. */
    dialect?: string;
  }
}

/** A dialect's name up to its first non-letter (ironic/v1 -> ironic). */
function family(name: string): string {
  return /^[a-z]+/.exec(name)?.[0] ?? name;
}

export interface DialectSpec<O extends FastifyPluginOptions> {
  name: string;
  prefix: string;
  /** The credential schemes of every route under the prefix, its 404 included. */
  authSchemes: readonly AuthScheme[];
  errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply | Promise<FastifyReply>;
  /** The answer to a path under the prefix that no route serves. */
  notFound(request: FastifyRequest, reply: FastifyReply): FastifyReply | Promise<FastifyReply>;
  /** The bodies of its 401, 429 and 503 (default: FreeNAS's {"error_message"}). */
  authRefusals?: AuthRefusals;
  /** Replaces or adds body parsers (the server's are strict JSON). */
  contentTypes?(app: FastifyInstance): void;
  /** Paths relative to the prefix. */
  routes(app: FastifyInstance, opts: O): void | Promise<void>;
}

export interface Dialect<O extends FastifyPluginOptions> {
  readonly name: string;
  readonly prefix: string;
  readonly plugin: FastifyPluginAsync<O>;
}

export function defineDialect<O extends FastifyPluginOptions>(spec: DialectSpec<O>): Dialect<O> {
  const plugin: FastifyPluginAsync<O> = async (app, opts) => {
    spec.contentTypes?.(app);
    app.addHook('onRoute', (route) => {
      route.config = {
        ...route.config,
        dialect: family(spec.name),
        authSchemes: spec.authSchemes,
        ...(spec.authRefusals ? { authRefusals: spec.authRefusals } : {}),
      };
    });
    app.setErrorHandler(spec.errorHandler);
    // fastify keeps a 404 handler's `config` as it keeps a route's (four-oh-four.js),
    // though its types leave it out: the authenticator reads the schemes from it.
    const notFoundOptions: object = {
      config: { dialect: family(spec.name), authSchemes: spec.authSchemes, ...(spec.authRefusals ? { authRefusals: spec.authRefusals } : {}) },
    };
    app.setNotFoundHandler(notFoundOptions, spec.notFound);
    await spec.routes(app, opts);
  };
  return { name: spec.name, prefix: spec.prefix, plugin };
}

export async function registerDialect<O extends FastifyPluginOptions>(app: FastifyInstance, dialect: Dialect<O>, opts: O): Promise<void> {
  await app.register(dialect.plugin, { ...opts, prefix: dialect.prefix });
}

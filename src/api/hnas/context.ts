/**
 * What every HNAS route needs: the domain, the request's scope (an API key scoped to a
 * tenant sees only that virtual server; the admin and unscoped keys see all), the port
 * a virtual server's addresses listen on, and strict reading of the flat JSON bodies.
 */
import type { FastifyRequest } from 'fastify';
import type { Tenant } from '../../domain/entities.js';
import type { DomainServices } from '../../domain/services.js';
import { forbidden, invalidParameter } from './errors.js';

export interface HnasOptions {
  services: DomainServices;
  /** The TCP port a virtual server's addresses listen on (3260; tests take another). */
  portalPort: number;
}

export type FieldType = 'string' | 'boolean' | 'integer' | 'string-array';

export class HnasContext {
  readonly services: DomainServices;

  constructor(readonly options: HnasOptions) {
    this.services = options.services;
  }

  /** The tenant the request is limited to, or null (it sees every virtual server). */
  scope(request: FastifyRequest): Tenant | null {
    const p = request.principal;
    if (!p || p.kind !== 'key' || p.tenant === null) return null;
    return this.services.tenants.byUuid(p.tenant);
  }

  /** May the request touch virtual server `tenantId`'s objects? Not: 403. */
  assertMay(request: FastifyRequest, tenantId: number): void {
    const scope = this.scope(request);
    if (scope && scope.id !== tenantId) throw forbidden();
  }

  visible<T>(request: FastifyRequest, items: T[], tenantOf: (item: T) => number): T[] {
    const scope = this.scope(request);
    return scope ? items.filter((i) => tenantOf(i) === scope.id) : items;
  }
}

/** A flat JSON body: every key one the operation takes, of its type. */
export function readBody(body: unknown, spec: Readonly<Record<string, FieldType>>): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidParameter('body', 'the request body must be a JSON object');
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    const type = spec[key];
    if (!type) throw invalidParameter(key, 'the parameter is not one this operation takes');
    if (value === null || value === undefined) continue;
    const ok =
      type === 'string'
        ? typeof value === 'string'
        : type === 'boolean'
          ? typeof value === 'boolean'
          : type === 'integer'
            ? typeof value === 'number' && Number.isSafeInteger(value)
            : Array.isArray(value) && value.every((v) => typeof v === 'string');
    if (!ok)
      throw invalidParameter(key, `the parameter must be ${type === 'integer' ? 'an integer' : type === 'string-array' ? 'a list of strings' : `a ${type}`}`);
    out[key] = value;
  }
  return out;
}

/** A text within its length bounds, else HNAS's words. */
export function boundedText(name: string, value: unknown, min: number, max: number): string {
  if (typeof value !== 'string' || value.length < min || value.length > max) {
    throw invalidParameter(name, `the parameter must be between ${min} and ${max} characters long`);
  }
  return value;
}

/**
 * What every ONTAP route needs: the domain, the live status, the jobs, the names sanbox
 * gives its cluster and its one node, and the SVM a request is about (by `svm.uuid`,
 * `svm.name`, or the X-Dot-SVM-Name / X-Dot-SVM-UUID headers that SVM-scoped clients send).
 */
import type { FastifyRequest } from 'fastify';
import type { Tenant } from '../../domain/entities.js';
import type { LiveStatusSource } from '../../domain/ports.js';
import type { DomainServices } from '../../domain/services.js';
import type { FlatBody } from './body.js';
import { invalidValue, missingArgument, svmMissing, unexpectedArgument } from './errors.js';
import { JobBoard } from './jobs.js';

export interface OntapOptions {
  services: DomainServices;
  status: LiveStatusSource;
  /** The TCP port an iSCSI LIF listens on (3260; tests take another). */
  portalPort: number;
}

export const CLUSTER_NAME = 'sanbox';
export const NODE_NAME = 'sanbox-01';
/** The one IPspace and broadcast domain there are. */
export const IPSPACE = 'Default';

export class OntapContext {
  readonly jobs: JobBoard;
  readonly services: DomainServices;

  constructor(readonly options: OntapOptions) {
    this.services = options.services;
    this.jobs = new JobBoard(options.services.jobs);
  }

  /** The SVM (tenant) a request's headers scope it to, or null. */
  scopedSvm(request: FastifyRequest): Tenant | null {
    const name = header(request, 'x-dot-svm-name');
    const uuid = header(request, 'x-dot-svm-uuid');
    if (uuid !== undefined) return this.svmByUuid(uuid, 'X-Dot-SVM-UUID');
    if (name !== undefined) return this.svmByName(name, 'X-Dot-SVM-Name');
    return null;
  }

  /** The SVM a body names (svm.uuid wins over svm.name), else the request's scope; required unless `optional`. */
  svmOf(request: FastifyRequest, flat: FlatBody, optional = false): Tenant | null {
    const uuid = flat['svm.uuid'];
    const name = flat['svm.name'];
    const scoped = this.scopedSvm(request);
    let svm: Tenant | null = null;
    if (typeof uuid === 'string') svm = this.svmByUuid(uuid, 'svm.uuid');
    else if (typeof name === 'string') svm = this.svmByName(name, 'svm.name');
    if (svm && typeof name === 'string' && svm.name !== name) throw invalidValue('svm.name', name, 'string');
    if (svm && scoped && svm.id !== scoped.id) throw svmMissing(svm.name);
    svm ??= scoped;
    if (!svm && !optional) throw missingArgument('svm.name');
    return svm;
  }

  svmByUuid(uuid: string, target = 'svm.uuid'): Tenant {
    const svm = this.services.tenants.byUuid(uuid);
    if (!svm) throw svmMissing(uuid, target);
    return svm;
  }

  svmByName(name: string, target = 'svm.name'): Tenant {
    const svm = this.services.tenants.list().find((t) => t.name === name);
    if (!svm) throw svmMissing(name, target);
    return svm;
  }

  /** False when the request is scoped to another SVM than `tenantId`'s: the object is not there for it. */
  visibleTo(request: FastifyRequest, tenantId: number): boolean {
    const scoped = this.scopedSvm(request);
    return !scoped || scoped.id === tenantId;
  }

  /** Only the scope's SVM, when the request has one. */
  inScope<T extends { tenantId: number }>(request: FastifyRequest, items: T[]): T[] {
    const scoped = this.scopedSvm(request);
    return scoped ? items.filter((i) => i.tenantId === scoped.id) : items;
  }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === '' ? undefined : s;
}

/** Query parameters a write takes: the standard ones and `extra`; anything else is refused. */
export function checkWriteParams(request: FastifyRequest, extra: readonly string[] = []): void {
  const allowed = new Set(['return_timeout', 'return_records', ...extra]);
  for (const name of Object.keys(request.query as object)) {
    if (!allowed.has(name)) throw unexpectedArgument(name);
  }
}

export const svmRef = (t: Tenant) => ({ uuid: t.uuid, name: t.name, _links: { self: { href: `/api/svm/svms/${t.uuid}` } } });

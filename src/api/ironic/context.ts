/** What every Ironic route needs: the domain, and how a node named in a request resolves. */
import type { BareMetalNode } from '../../domain/entities.js';
import type { DomainServices } from '../../domain/services.js';
import { IronicError } from './errors.js';

export interface IronicOptions {
  services: DomainServices;
  /** SANBOX_IRONIC_NOAUTH: the operator serves Ironic without authentication, on purpose. */
  noAuth: boolean;
}

export class IronicContext {
  readonly services: DomainServices;

  constructor(readonly options: IronicOptions) {
    this.services = options.services;
  }

  /** A node by uuid or name: 404 (in a path or a query) or 400 (in a body) when none. */
  node(ident: string, status: 400 | 404 = 404): BareMetalNode {
    const node = this.services.nodes.find(ident);
    if (!node) throw new IronicError(status, `Node ${ident} could not be found.`);
    return node;
  }

  nodeUuid(id: number): string {
    return this.services.nodes.list().find((n) => n.id === id)?.uuid ?? '';
  }
}

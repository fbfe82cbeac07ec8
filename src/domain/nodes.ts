/**
 * Bare-metal nodes (Ironic's), as far as attaching volumes to them needs: a name, a
 * driver, a power state that gates every change to their volumes (changed only while
 * powered off, as Ironic rules), a provision state. A node belongs to the default tenant.
 * Deleting one deletes its connectors and volume targets, and their exports.
 */
import { randomUUID } from 'node:crypto';
import type { BareMetalNode } from './entities.js';
import type { BareMetalRepository } from './repository.js';
import { fail, notFound } from './errors.js';
import type { Mutations } from './mutations.js';
import type { NodeExports } from './node-exports.js';
import { text } from './rules.js';
import { DEFAULT_TENANT_ID } from './tenants.js';
import { isUuid } from './uuid.js';

export type { BareMetalRepository } from './repository.js';

export interface NodeInput {
  uuid?: string;
  name?: string | null;
  driver?: string;
}

/** Ironic's node names: host-name-like, 1 to 255 characters (its "logical name" rule, loosely). */
const NODE_NAME = /^[A-Za-z0-9_.~-]{1,255}$/;

/** Now as Ironic writes it: datetime.isoformat() in UTC, to the microsecond. */
export function isoNow(): string {
  return new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');
}

export class NodeService {
  constructor(
    private readonly m: Mutations,
    private readonly repo: BareMetalRepository,
    private readonly exports: NodeExports,
  ) {}

  list(): BareMetalNode[] {
    return this.repo.listNodes();
  }

  /** By uuid or name; null when none. */
  find(ident: string): BareMetalNode | null {
    const nodes = this.repo.listNodes();
    return (isUuid(ident) ? nodes.find((n) => n.uuid === ident.toLowerCase()) : nodes.find((n) => n.name === ident)) ?? null;
  }

  get(ident: string): BareMetalNode {
    const node = this.find(ident);
    if (!node) throw notFound('node');
    return node;
  }

  create(input: NodeInput): Promise<BareMetalNode> {
    return this.m.run(() => {
      const uuid = input.uuid ?? randomUUID();
      if (!isUuid(uuid)) throw fail('value.not-uuid', 'uuid');
      if (this.find(uuid)) throw fail('uuid.taken', 'uuid', { entity: 'node', uuid });
      const name = input.name ?? null;
      if (name !== null) this.checkName(name, null);
      if (typeof input.driver !== 'string' || input.driver === '') throw fail('value.required', 'driver');
      const node: Omit<BareMetalNode, 'id'> = {
        uuid: uuid.toLowerCase(),
        tenantId: DEFAULT_TENANT_ID,
        name,
        driver: text('driver', input.driver, 255),
        powerState: 'power off',
        provisionState: 'enroll',
        createdAt: isoNow(),
        updatedAt: null,
      };
      return { id: this.repo.insertNode(node), ...node };
    });
  }

  /** Power on or off; a change of power state is a node update (updated_at moves). */
  setPower(ident: string, on: boolean): Promise<BareMetalNode> {
    return this.m.run(() => {
      const node = this.get(ident);
      const next: BareMetalNode = { ...node, powerState: on ? 'power on' : 'power off', updatedAt: isoNow() };
      this.repo.updateNode(next);
      return next;
    });
  }

  /** Moves the node to a provision state at once (sanbox does no cleaning or inspection). */
  setProvisionState(ident: string, state: string): Promise<BareMetalNode> {
    return this.m.run(() => {
      const node = this.get(ident);
      const next: BareMetalNode = { ...node, provisionState: text('provision_state', state, 32), updatedAt: isoNow() };
      this.repo.updateNode(next);
      return next;
    });
  }

  delete(ident: string): Promise<void> {
    return this.m.run(() => {
      const node = this.get(ident);
      this.exports.dropNode(node.id);
      this.repo.deleteNode(node.id);
    });
  }

  private checkName(name: string, selfId: number | null): void {
    if (typeof name !== 'string' || !NODE_NAME.test(name) || isUuid(name)) throw fail('node.name-invalid', 'name', { name: String(name) });
    const twin = this.repo.listNodes().find((n) => n.name === name && n.id !== selfId);
    if (twin) throw fail('name.taken', 'name', { entity: 'node', name });
  }
}

/** Volumes change only while their node is powered off (Ironic's rule). */
export function assertPoweredOff(node: BareMetalNode, action: string): void {
  if (node.powerState !== 'power off') throw fail('node.powered-on', 'node_uuid', { action, node: node.uuid, state: node.powerState });
}

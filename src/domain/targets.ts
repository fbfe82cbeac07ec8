/**
 * Targets. A name that is not already an iqn./eui./naa. name is served as
 * "<basename>:<name>" (served-name.ts). Names are unique within a tenant; served names
 * across all of them, since initiators see one namespace. The serial is generated like
 * FreeNAS when absent: 10000001 for the first target, then one above the highest.
 */
import { randomUUID } from 'node:crypto';
import type { ListQuery, ListResult } from './repository.js';
import { FIRST_TARGET_SERIAL, TARGET_DEFAULTS } from './defaults.js';
import type { ConfigRepository } from './repository.js';
import type { AuthMethod, DigestSetting, Target } from './entities.js';
import { fail, notFound } from './errors.js';
import { MAX_ISCSI_NAME, TARGET_NAME_CHARS, hasIscsiPrefix, isIscsiName, servedTargetName } from './iscsi-names.js';
import type { Mutations } from './mutations.js';
import { AUTH_METHODS, choice, intInRange, noControlCharacters, text } from './rules.js';
import { assertAuthGroupUsable } from './auth-groups.js';
import { stripUndefined } from './globals-service.js';
import { keepTenant, ownerTenant } from './tenants.js';

/** `tenantId`: the owner (create only; absent: the default tenant). */
export type TargetInput = Partial<Omit<Target, 'id' | 'uuid' | 'blockSize' | 'type'>> & {
  blockSize?: number;
  type?: string;
};

const DIGESTS: readonly DigestSetting[] = ['Auto', 'None', 'CRC32C'];
export const BLOCK_SIZES = [512, 4096] as const;

export class TargetService {
  constructor(private readonly m: Mutations) {}

  list(query?: ListQuery): ListResult<Target> {
    return this.m.store.listTargets(query);
  }

  get(id: number): Target {
    const target = this.m.store.getTarget(id);
    if (!target) throw notFound('target');
    return target;
  }

  /** The name initiators see for `target`. */
  servedName(target: Pick<Target, 'name' | 'tenantId'>): string {
    return servedTargetName(this.m.store.getGlobals()!.basename, target);
  }

  create(input: TargetInput): Promise<Target> {
    return this.m.run(() => this.insert(input));
  }

  /** Checks and inserts a target; for a caller already inside a mutation (it commits with the caller's). */
  insert(input: TargetInput): Target {
    // FreeNAS 9.3+ creates a target by name alone: its portal groups come from target groups.
    const target = {
      ...TARGET_DEFAULTS,
      ...stripUndefined(input),
      uuid: randomUUID(),
      tenantId: ownerTenant(this.m.store, input.tenantId),
      name: input.name ?? '',
      serial: input.serial ?? this.nextSerial(),
      portalGroupId: input.portalGroupId ?? null,
    } as Omit<Target, 'id'>;
    this.check(target, null);
    const id = this.m.store.insertTarget(target);
    return { id, ...target };
  }

  update(id: number, input: TargetInput): Promise<Target> {
    return this.m.run(() => this.revise(id, input));
  }

  /** Checks and saves a change to a target; for a caller already inside a mutation. */
  revise(id: number, input: TargetInput): Target {
    const current = this.get(id);
    keepTenant(input.tenantId, current.tenantId);
    const next = { ...current, ...stripUndefined(input), id, uuid: current.uuid } as Target;
    // An explicit null clears the optional references.
    if (input.alias === null) next.alias = null;
    if (input.initiatorGroupId === null) next.initiatorGroupId = null;
    if (input.authGroup === null) next.authGroup = null;
    if (input.portalGroupId === null) next.portalGroupId = null;
    this.check(next, id);
    this.m.store.updateTarget(next);
    return next;
  }

  delete(id: number): Promise<void> {
    return this.m.run(() => {
      this.get(id);
      // LUN mappings and target groups go with the target (ON DELETE CASCADE); the extents stay.
      this.m.store.deleteTarget(id);
    });
  }

  private check(t: Omit<Target, 'id'>, selfId: number | null): void {
    const name = noControlCharacters('name', t.name).trim();
    if (name === '') throw fail('value.required', 'name');
    if (hasIscsiPrefix(name)) {
      if (!isIscsiName(name)) throw fail('iscsi-name.invalid', 'name');
    } else if (!TARGET_NAME_CHARS.test(name)) {
      throw fail('iscsi-name.characters', 'name');
    }
    const served = this.servedName({ name, tenantId: t.tenantId });
    if (Buffer.byteLength(served) > MAX_ISCSI_NAME) {
      throw fail('iscsi-name.too-long', 'name', { max: MAX_ISCSI_NAME });
    }
    const sameName = this.m.store.targetByName(t.tenantId, name);
    if (sameName && sameName.id !== selfId) throw fail('name.taken', 'name', { entity: 'target', name });
    const twin = this.servedAs(served, selfId);
    if (twin) throw fail('target.served-name-taken', 'name', { id: twin.id, tenantId: twin.tenantId, served });
    t.name = name;
    // FreeNAS caps a target's alias at 120 characters; ONTAP lets an SVM's target (its iSCSI service's) have 128.
    if (t.alias !== null) text('alias', t.alias, t.tenantWide ? 128 : 120);
    if (!/^[A-Za-z0-9_.-]{1,16}$/.test(t.serial)) {
      throw fail('serial.invalid', 'serial');
    }
    if (typeof t.readOnly !== 'boolean') throw fail('value.not-boolean', 'readOnly');
    checkTargetAccess(this.m.store, t.tenantId, t);
    if (t.portalGroupId !== null && selfId !== null) {
      const group = this.m.store.targetGroupsOf(selfId).find((g) => g.portalGroupId === t.portalGroupId);
      if (group) throw fail('target.portal-in-group', 'portalGroupId', { portalGroupId: t.portalGroupId, targetGroupId: group.id });
    }
    intInRange('queueDepth', t.queueDepth, 0, 255);
    choice('blockSize', t.blockSize, BLOCK_SIZES);
    choice('type', t.type, ['Disk']);
  }

  /**
   * The other target (any tenant) served under `served`, if any: initiators name targets
   * case-insensitively (RFC 3722 folds case), and so does the data plane.
   */
  private servedAs(served: string, selfId: number | null): Pick<Target, 'id' | 'tenantId'> | null {
    const basename = this.m.store.getGlobals()!.basename;
    const wanted = served.toLowerCase();
    return this.m.store.targetNames().find((o) => o.id !== selfId && servedTargetName(basename, o).toLowerCase() === wanted) ?? null;
  }

  private nextSerial(): string {
    // One above the highest numeric serial, so a deleted target's serial is not reused.
    const numeric = this.m.store
      .targetSerials()
      .filter((s) => /^\d{1,15}$/.test(s))
      .map(Number);
    return String(Math.max(FIRST_TARGET_SERIAL - 1, ...numeric) + 1);
  }
}

/**
 * Who may use a target through one portal group, and how: the same rule for a target's
 * own (9.2) portal group and for each target group. A null portal group is a target
 * without its own (reachable through target groups only). Everything named is tenant
 * `tenantId`'s: another tenant's groups do not exist here.
 */
export function checkTargetAccess(
  store: ConfigRepository,
  tenantId: number,
  a: { portalGroupId: number | null; initiatorGroupId: number | null; authMethod: AuthMethod; authGroup: number | null; digest: DigestSetting },
): void {
  if (a.portalGroupId !== null) {
    if (!Number.isInteger(a.portalGroupId)) throw fail('value.not-integer', 'portalGroupId');
    if (store.getPortalGroup(a.portalGroupId)?.tenantId !== tenantId)
      throw fail('reference.missing', 'portalGroupId', { entity: 'portal-group', id: a.portalGroupId });
  }
  if (a.initiatorGroupId !== null) {
    if (!Number.isInteger(a.initiatorGroupId)) throw fail('value.not-integer', 'initiatorGroupId');
    if (store.getInitiatorGroup(a.initiatorGroupId)?.tenantId !== tenantId) {
      throw fail('reference.missing', 'initiatorGroupId', { entity: 'initiator-group', id: a.initiatorGroupId });
    }
  }
  choice('authMethod', a.authMethod, AUTH_METHODS);
  assertAuthGroupUsable(store, tenantId, 'authGroup', a.authMethod, a.authGroup);
  choice('digest', a.digest, DIGESTS);
}

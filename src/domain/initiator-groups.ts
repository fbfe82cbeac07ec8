/**
 * Initiator groups ("authorized initiators"): which initiator names, from which networks,
 * may log in to a target. Both lists are "ALL" or explicit entries.
 */
import { randomUUID } from 'node:crypto';
import type { ListQuery, ListResult } from './repository.js';
import type { AccessRule, InitiatorGroup } from './entities.js';
import { checkAccessRules } from './network-access.js';
import { putAnnotations, type AnnotationChanges } from './annotations.js';
import { fail, notFound } from './errors.js';
import type { Referrer } from './referrers.js';
import { isIscsiName } from './iscsi-names.js';
import { isNetwork } from './addresses.js';
import type { Mutations } from './mutations.js';
import { intInRange, noControlCharactersInList, text } from './rules.js';
import { targetReferrers } from './auth-groups.js';
import { keepTenant, ownerTenant } from './tenants.js';

export interface InitiatorGroupInput {
  /** The owner (create only; absent: the default tenant). */
  tenantId?: number;
  tag?: number | null;
  /** A list, or text separated by spaces, commas or newlines. */
  initiators?: string | string[];
  networks?: string | string[];
  comment?: string;
  /** Instead of `initiators`: exactly these iSCSI names, where an empty list admits nobody (ONTAP's igroup). */
  initiatorNames?: string[];
  /** Access by address (network-access.ts); when not empty it decides instead of `networks`. */
  rules?: AccessRule[];
  annotations?: AnnotationChanges;
}

/** Splits "a, b\nc" into entries; an empty text means ALL (FreeNAS's default). */
export function splitList(value: string | string[]): string[] {
  const items = (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(/[\s,]+/));
  return items.filter((s) => s !== '');
}

/** Tabs and newlines separate entries (FreeNAS returns one per line); other controls are refused. */
function listWithoutControls(field: string, value: string | string[]): string | string[] {
  for (const v of Array.isArray(value) ? value : [value]) noControlCharactersInList(field, String(v));
  return value;
}

export function parseInitiatorList(value: string | string[]): string[] {
  const names = splitList(listWithoutControls('initiators', value));
  if (names.length === 0) return ['ALL'];
  if (names.some((n) => n.toUpperCase() === 'ALL')) {
    if (names.length > 1) throw fail('initiators.all-combined', 'initiators');
    return ['ALL'];
  }
  for (const name of names) {
    if (!isIscsiName(name)) throw fail('initiators.not-iscsi-name', 'initiators', { name });
  }
  return names;
}

/** An exact list of iSCSI names, each once (case-insensitively); empty admits nobody. */
function parseNames(names: string[]): string[] {
  const seen = new Set<string>();
  for (const name of names) {
    if (typeof name !== 'string' || !isIscsiName(name)) throw fail('initiators.not-iscsi-name', 'initiators', { name: String(name) });
    if (seen.has(name.toLowerCase())) throw fail('initiators.duplicate', 'initiators', { name });
    seen.add(name.toLowerCase());
  }
  return names;
}

export function parseNetworkList(value: string | string[]): string[] {
  const nets = splitList(listWithoutControls('networks', value));
  if (nets.length === 0) return ['ALL'];
  if (nets.some((n) => n.toUpperCase() === 'ALL')) {
    if (nets.length > 1) throw fail('networks.all-combined', 'networks');
    return ['ALL'];
  }
  for (const n of nets) {
    if (!isNetwork(n)) throw fail('networks.invalid', 'networks', { network: n });
  }
  return nets;
}

export class InitiatorGroupService {
  constructor(private readonly m: Mutations) {}

  list(query?: ListQuery): ListResult<InitiatorGroup> {
    return this.m.store.listInitiatorGroups(query);
  }

  get(id: number): InitiatorGroup {
    const group = this.m.store.getInitiatorGroup(id);
    if (!group) throw notFound('initiator-group');
    return group;
  }

  create(input: InitiatorGroupInput): Promise<InitiatorGroup> {
    return this.m.run(() => {
      const tenantId = ownerTenant(this.m.store, input.tenantId);
      const group: Omit<InitiatorGroup, 'id'> = {
        uuid: randomUUID(),
        tenantId,
        tag: input.tag ?? this.m.store.maxInitiatorTag(tenantId) + 1,
        initiators: input.initiatorNames ? parseNames(input.initiatorNames) : parseInitiatorList(input.initiators ?? 'ALL'),
        networks: parseNetworkList(input.networks ?? 'ALL'),
        comment: text('comment', input.comment ?? '', 120),
        rules: checkAccessRules('rules', input.rules ?? []),
      };
      this.checkTag(tenantId, group.tag, null);
      const id = this.m.store.insertInitiatorGroup(group);
      putAnnotations(this.m.store, group.uuid, input.annotations);
      return { id, ...group };
    });
  }

  update(id: number, input: InitiatorGroupInput): Promise<InitiatorGroup> {
    return this.m.run(() => {
      const current = this.get(id);
      keepTenant(input.tenantId, current.tenantId);
      const next: InitiatorGroup = {
        ...current,
        tag: input.tag ?? current.tag,
        initiators: input.initiatorNames
          ? parseNames(input.initiatorNames)
          : input.initiators === undefined
            ? current.initiators
            : parseInitiatorList(input.initiators),
        networks: input.networks === undefined ? current.networks : parseNetworkList(input.networks),
        comment: input.comment === undefined ? current.comment : text('comment', input.comment, 120),
        rules: input.rules === undefined ? current.rules : checkAccessRules('rules', input.rules),
      };
      this.checkTag(next.tenantId, next.tag, id);
      this.m.store.updateInitiatorGroup(next);
      putAnnotations(this.m.store, next.uuid, input.annotations);
      return next;
    });
  }

  delete(id: number): Promise<void> {
    return this.m.run(() => {
      const group = this.get(id);
      const referrers = [
        ...targetReferrers(this.m.store, group.tenantId, 'initiatorGroup', id),
        ...this.m.store
          .listLunMaps(group.tenantId)
          .filter((m) => m.initiatorGroupId === id)
          .map((m): Referrer => ({ kind: 'lun-map', id: m.id, initiatorGroupId: id, lun: m.lun })),
      ];
      if (referrers.length) throw fail('reference.in-use', '__all__', { entity: 'initiator-group', id, referrers });
      this.m.store.deleteInitiatorGroup(id);
    });
  }

  private checkTag(tenantId: number, tag: number, selfId: number | null): void {
    intInRange('tag', tag, 1, 65535);
    const owner = this.m.store.initiatorGroupByTag(tenantId, tag);
    if (owner !== null && owner !== selfId) throw fail('tag.taken', 'tag', { entity: 'initiator-group', tag });
  }
}

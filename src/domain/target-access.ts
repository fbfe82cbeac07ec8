/**
 * A target's own access, set with the target in one transaction: who may log in from where
 * (access rules by address, in an initiator group of the target's own) and the CHAP
 * secret it asks for (an auth group of one credential, of its own). HNAS describes a
 * target this way (accessConfig, enableAuthentication, secret); the pieces are the
 * domain's usual initiator group, auth credential and target. Rules empty: everyone from
 * anywhere; chap null: no CHAP. The target's own group and credential go when it goes.
 */
import { randomUUID } from 'node:crypto';
import { putAnnotations, type AnnotationChanges } from './annotations.js';
import type { AccessRule, Target } from './entities.js';
import { fail } from './errors.js';
import type { Mutations } from './mutations.js';
import { checkAccessRules } from './network-access.js';
import { noControlCharacters, text } from './rules.js';
import type { TargetInput, TargetService } from './targets.js';

export interface TargetAccess {
  rules: AccessRule[];
  chap: { user: string; secret: string } | null;
}

/** Marks the initiator group and credential a target owns (annotations on them). */
const OWNER = 'sanbox.owner';
/** CHAP secrets longer than this are refused by common initiators (open-iscsi: 256 bytes). */
const MAX_SECRET = 255;

export class TargetAccessService {
  constructor(
    private readonly m: Mutations,
    private readonly targets: TargetService,
  ) {}

  create(input: TargetInput, access: TargetAccess, annotations?: AnnotationChanges): Promise<Target> {
    return this.m.run(() => {
      const target = this.targets.insert({ ...input, authMethod: 'None', authGroup: null, initiatorGroupId: null });
      putAnnotations(this.m.store, target.uuid, annotations);
      return this.apply(target, access);
    });
  }

  /** Changes the target and whichever part of its access is given. */
  update(id: number, input: TargetInput, access: Partial<TargetAccess>, annotations?: AnnotationChanges): Promise<Target> {
    return this.m.run(() => {
      const target = this.targets.revise(id, input);
      putAnnotations(this.m.store, target.uuid, annotations);
      return this.apply(target, access);
    });
  }

  /** The target's access as set: its own group's rules and its own credential. */
  accessOf(target: Target): TargetAccess {
    const group = target.initiatorGroupId === null ? null : this.m.store.getInitiatorGroup(target.initiatorGroupId);
    const cred = target.authGroup === null ? undefined : this.m.store.authCredentialsWithTag(target.tenantId, target.authGroup)[0];
    return {
      rules: group?.rules ?? [],
      chap: target.authMethod === 'CHAP' && cred ? { user: cred.user, secret: cred.secret } : null,
    };
  }

  delete(id: number): Promise<void> {
    return this.m.run(() => {
      const target = this.targets.get(id);
      this.m.store.deleteTarget(id);
      this.dropOwnGroup(target);
      this.dropOwnCredential(target);
    });
  }

  private apply(target: Target, access: Partial<TargetAccess>): Target {
    let next = target;
    if (access.rules !== undefined) {
      const rules = checkAccessRules('accessConfig', access.rules);
      const own = this.ownGroup(next);
      if (rules.length === 0) {
        if (own) {
          next = this.targets.revise(next.id, { initiatorGroupId: null });
          this.dropOwnGroup({ ...target, initiatorGroupId: own });
        }
      } else if (own) {
        const group = this.m.store.getInitiatorGroup(own)!;
        this.m.store.updateInitiatorGroup({ ...group, rules });
      } else {
        const tag = this.m.store.maxInitiatorTag(next.tenantId) + 1;
        const group = { uuid: randomUUID(), tenantId: next.tenantId, tag, initiators: ['ALL'], networks: ['ALL'], comment: '', rules };
        const groupId = this.m.store.insertInitiatorGroup(group);
        putAnnotations(this.m.store, group.uuid, { [OWNER]: next.uuid });
        next = this.targets.revise(next.id, { initiatorGroupId: groupId });
      }
    }
    if (access.chap !== undefined) {
      const chap = access.chap;
      const own = this.ownCredential(next);
      if (chap === null) {
        if (next.authMethod !== 'None') next = this.targets.revise(next.id, { authMethod: 'None', authGroup: null });
        if (own) this.m.store.deleteAuthCredential(own.id);
      } else {
        noControlCharacters('secret', chap.secret);
        if (chap.secret === '') throw fail('value.required', 'secret');
        if (chap.secret.length > MAX_SECRET) throw fail('chap.secret-too-long', 'secret', { max: MAX_SECRET });
        const user = text('user', noControlCharacters('user', chap.user), 120);
        if (own) {
          this.m.store.updateAuthCredential({ ...own, user, secret: chap.secret });
        } else {
          const tag = this.m.store.maxAuthTag(next.tenantId) + 1;
          const cred = { uuid: randomUUID(), tenantId: next.tenantId, tag, user, secret: chap.secret, peerUser: '', peerSecret: '' };
          this.m.store.insertAuthCredential(cred);
          putAnnotations(this.m.store, cred.uuid, { [OWNER]: next.uuid });
          next = this.targets.revise(next.id, { authMethod: 'CHAP', authGroup: tag });
        }
        if (next.authMethod !== 'CHAP') next = this.targets.revise(next.id, { authMethod: 'CHAP', authGroup: this.ownCredential(next)!.tag });
      }
    }
    return next;
  }

  private ownGroup(t: Target): number | null {
    if (t.initiatorGroupId === null) return null;
    const group = this.m.store.getInitiatorGroup(t.initiatorGroupId);
    return group && this.m.store.annotations(group.uuid)[OWNER] === t.uuid ? group.id : null;
  }

  private ownCredential(t: Target) {
    if (t.authGroup === null) return null;
    return this.m.store.authCredentialsWithTag(t.tenantId, t.authGroup).find((c) => this.m.store.annotations(c.uuid)[OWNER] === t.uuid) ?? null;
  }

  private dropOwnGroup(t: Target): void {
    const own = this.ownGroup(t);
    if (own !== null) this.m.store.deleteInitiatorGroup(own);
  }

  private dropOwnCredential(t: Target): void {
    const own = this.ownCredential(t);
    if (own) this.m.store.deleteAuthCredential(own.id);
  }
}

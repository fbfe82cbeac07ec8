/**
 * The FreeNAS dialect's words for domain errors: Django's form-error wording where Django
 * has one ("This field is required.", "Ensure this value ..."), FreeNAS's names for
 * objects (a portal group is a "portal", an initiator group an "authorized initiator",
 * a LUN mapping a "target to extent"). Codes not named here keep the domain's words.
 */
import { type EntityKind, type ErrorCode, type ParamsOf, describeReferrer } from '../../domain/error-codes.js';
import type { DomainError } from '../../domain/errors.js';
import type { Referrer } from '../../domain/referrers.js';
import { statusTable } from '../http/error-status.js';

/** Django answers every form error 400; only a missing object is a 404. */
export const FREENAS_STATUS = statusTable({ invalid: 400, conflict: 400, referenced: 400, not_found: 404 });

const ENTITY: Record<EntityKind, string> = {
  'portal-group': 'portal',
  'initiator-group': 'authorized initiator',
  'auth-group': 'auth group',
  'auth-credential': 'auth credential',
  target: 'target',
  extent: 'extent',
  lun: 'target to extent',
  'target-group': 'target group',
  service: 'service',
  'api-key': 'API key',
  pool: 'volume',
  tenant: 'tenant',
  volume: 'dataset',
  'lun-map': 'LUN map',
  node: 'node',
  'volume-connector': 'volume connector',
  'volume-target': 'volume target',
  job: 'job',
  session: 'iSCSI session',
};

const entity = (e: EntityKind) => ENTITY[e];
const Entity = (e: EntityKind) => ENTITY[e].charAt(0).toUpperCase() + ENTITY[e].slice(1);

function referrer(r: Referrer): string {
  return r.kind === 'lun' ? `target ${r.targetId} as LUN ${r.lun} (targettoextent ${r.id})` : describeReferrer(r);
}

type Words = { [C in ErrorCode]?: (p: ParamsOf<C>) => string };

const WORDS: Words = {
  'value.required': () => 'This field is required.',
  'value.not-integer': () => 'Enter a whole number.',
  'value.below-minimum': (p) => `Ensure this value is greater than or equal to ${p.min}.`,
  'value.above-maximum': (p) => `Ensure this value is less than or equal to ${p.max}.`,
  'value.not-a-choice': (p) => `Select a valid choice. ${p.value} is not one of the available choices.`,
  'value.too-long': (p) => `Ensure this value has at most ${p.maxLength} characters (it has ${p.length}).`,
  'value.not-boolean': () => 'Enter a boolean.',
  'value.not-ip-address': () => 'Enter a valid IPv4 or IPv6 address.',
  'entity.not-found': (p) => `No such ${entity(p.entity)}.`,
  'reference.missing': (p) => `${Entity(p.entity)} ${p.id} does not exist.`,
  'reference.in-use': (p) => `${Entity(p.entity)} ${p.id} is ${p.entity === 'extent' ? 'mapped to' : 'used by'} ${p.referrers.map(referrer).join(', ')}.`,
  'name.taken': (p) => `${Entity(p.entity)} with this name already exists.`,
  'portal.address-taken': (p) => `${p.address} is already used by portal ${p.owner}.`,
  'target.portal-in-group': (p) => `Portal ${p.portalGroupId} is already this target's in target group ${p.targetGroupId}.`,
  'target-group.portal-is-targets': (p) => `Target "${p.targetName}" (id ${p.targetId}) already uses portal ${p.portalGroupId}.`,
  'target-group.portal-repeated': (p) =>
    `Target "${p.targetName}" (id ${p.targetId}) already has portal ${p.portalGroupId} in target group ${p.targetGroupId}.`,
};

export function freenasMessage(error: DomainError): string {
  const words = WORDS[error.code] as ((p: unknown) => string) | undefined;
  return words ? words(error.params) : error.message;
}

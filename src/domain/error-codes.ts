/**
 * Every error the domain raises, by stable code: its kind (which each dialect maps to a
 * status) and its words in plain English, which a dialect may replace with its own (the
 * FreeNAS dialect speaks Django's). A code never changes meaning once released; a new
 * situation gets a new code. Parameters are JSON values, never secrets.
 */
import type { Referrer } from './referrers.js';

export type DomainErrorKind = 'invalid' | 'not_found' | 'conflict' | 'referenced';

/** Which kind of object a not-found, in-use or missing-reference error is about. */
export type EntityKind =
  | 'portal-group'
  | 'initiator-group'
  | 'auth-group'
  | 'auth-credential'
  | 'target'
  | 'extent'
  | 'lun'
  | 'target-group'
  | 'service'
  | 'api-key'
  | 'pool'
  | 'tenant'
  | 'volume'
  | 'lun-map'
  | 'node'
  | 'volume-connector'
  | 'volume-target'
  | 'job'
  | 'session';

export const ENTITY_LABELS: Record<EntityKind, string> = {
  'portal-group': 'portal group',
  'initiator-group': 'initiator group',
  'auth-group': 'auth group',
  'auth-credential': 'auth credential',
  target: 'target',
  extent: 'extent',
  lun: 'LUN mapping',
  'target-group': 'target group',
  service: 'service',
  'api-key': 'API key',
  pool: 'pool',
  tenant: 'tenant',
  volume: 'volume',
  'lun-map': 'LUN map',
  node: 'node',
  'volume-connector': 'volume connector',
  'volume-target': 'volume target',
  job: 'job',
  session: 'iSCSI session',
};

interface Spec<P> {
  kind: DomainErrorKind;
  message: (p: P) => string;
}

type None = Record<never, never>;
const spec = <P = None>(kind: DomainErrorKind, message: (p: P) => string): Spec<P> => ({ kind, message });
const label = (e: EntityKind) => ENTITY_LABELS[e];
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
/** "a target", "an extent", "an API key": every label here starts with its sound's letter. */
const aOrAn = (s: string) => (/^[aeiouAEIOU]/.test(s) ? `an ${s}` : `a ${s}`);

/** How the domain names who refers to an object, in plain words. */
export function describeReferrer(r: Referrer): string {
  switch (r.kind) {
    case 'target':
      return `target "${r.name}" (id ${r.id})`;
    case 'target-group':
      return `target group ${r.id} (target "${r.targetName}", id ${r.targetId})`;
    case 'lun':
      return `target ${r.targetId} as LUN ${r.lun} (mapping ${r.id})`;
    case 'extent':
      return `extent "${r.name}" (id ${r.id})`;
    case 'lun-map':
      return `initiator group ${r.initiatorGroupId} as LUN ${r.lun} (LUN map ${r.id})`;
    case 'discovery-auth':
      return 'the global discovery authentication';
    case 'luc-auth':
      return 'the global LUC authentication';
  }
}

export const ERROR_CODES = {
  // Values, whatever the field.
  'value.required': spec('invalid', () => 'A value is required.'),
  'value.not-integer': spec('invalid', () => 'The value must be a whole number.'),
  'value.below-minimum': spec<{ min: number }>('invalid', (p) => `The value must be at least ${p.min}.`),
  'value.above-maximum': spec<{ max: number }>('invalid', (p) => `The value must be at most ${p.max}.`),
  'value.not-a-choice': spec<{ value: string; choices: string[] }>('invalid', (p) => `${p.value} is not one of the choices (${p.choices.join(', ')}).`),
  'value.too-long': spec<{ maxLength: number; length: number }>('invalid', (p) => `The value has ${p.length} characters; at most ${p.maxLength} are allowed.`),
  'value.not-boolean': spec('invalid', () => 'The value must be true or false.'),
  'value.control-characters': spec('invalid', () => 'Control characters (U+0000 to U+001F and U+007F) are not allowed.'),
  'value.control-characters-in-list': spec(
    'invalid',
    () => 'Control characters (U+0000 to U+001F and U+007F) are not allowed; entries are separated by spaces, commas, tabs or newlines.',
  ),
  'value.not-ip-address': spec('invalid', () => 'The value must be an IPv4 or IPv6 address.'),
  'value.not-uuid': spec('invalid', () => 'The value must be a uuid (8-4-4-4-12 hexadecimal digits).'),
  'value.not-object': spec('invalid', () => 'The value must be an object of text values.'),

  // Objects and the references between them.
  'entity.not-found': spec<{ entity: EntityKind }>('not_found', (p) => `No such ${label(p.entity)}.`),
  'reference.missing': spec<{ entity: EntityKind; id: number }>('invalid', (p) => `${capital(label(p.entity))} ${p.id} does not exist.`),
  'reference.in-use': spec<{ entity: EntityKind; id: number; referrers: Referrer[] }>(
    'referenced',
    (p) => `${capital(label(p.entity))} ${p.id} is used by ${p.referrers.map(describeReferrer).join(', ')}.`,
  ),
  'name.taken': spec<{ entity: EntityKind; name: string }>('conflict', (p) => `${capital(aOrAn(label(p.entity)))} named "${p.name}" already exists.`),
  'tag.taken': spec<{ entity: EntityKind; tag: number }>('conflict', (p) => `${capital(label(p.entity))} tag ${p.tag} is already in use.`),

  // iSCSI names and serials.
  'iscsi-name.invalid': spec('invalid', () => 'Not a valid iqn., eui. or naa. name.'),
  'iscsi-name.characters': spec('invalid', () => 'Use lowercase alphanumeric characters plus dot (.), dash (-), and colon (:).'),
  'iscsi-name.too-long': spec<{ max: number }>('invalid', (p) => `The served name (basename:name) must be at most ${p.max} bytes.`),
  'serial.invalid': spec('invalid', () => 'The serial is 1 to 16 characters: letters, digits, dot, dash, underscore.'),

  // Portal groups.
  'portal.address-invalid': spec<{ address: string }>('invalid', (p) => `"${p.address}" is not a valid IP:PORT (IPv4, [IPv6], port 1-65535).`),
  'portal.address-repeated': spec<{ address: string }>('invalid', (p) => `${p.address} is listed twice.`),
  'portal.address-taken': spec<{ address: string; owner: number }>('conflict', (p) => `${p.address} is already used by portal group ${p.owner}.`),

  // Initiator groups.
  'initiators.all-combined': spec('invalid', () => 'ALL cannot be combined with initiator names.'),
  'initiators.duplicate': spec<{ name: string }>('conflict', (p) => `Initiator ${p.name} is already in the group.`),
  'initiators.not-iscsi-name': spec<{ name: string }>('invalid', (p) => `"${p.name}" is not an iSCSI name (iqn., eui. or naa.).`),
  'networks.all-combined': spec('invalid', () => 'ALL cannot be combined with networks.'),
  'networks.invalid': spec<{ network: string }>('invalid', (p) => `"${p.network}" is not an IP address or CIDR network.`),

  // CHAP.
  'chap.secret-too-long': spec<{ max: number }>('invalid', (p) => `The secret must be at most ${p.max} characters.`),
  'chap.peer-secret-missing': spec('invalid', () => 'A peer user needs a peer secret.'),
  'chap.peer-secret-same': spec('invalid', () => 'The peer secret must differ from the secret.'),
  'chap.group-needed': spec<{ method: string }>('invalid', (p) => `${p.method} authentication needs an auth group.`),
  'chap.group-tag-invalid': spec('invalid', () => 'Enter a whole number of at least 1.'),
  'chap.group-without-peer': spec<{ tag: number }>('invalid', (p) => `Auth group ${p.tag} has no peer user and secret for mutual CHAP.`),

  // Targets, target groups and LUN mappings.
  'target.portal-in-group': spec<{ portalGroupId: number; targetGroupId: number }>(
    'conflict',
    (p) => `Portal group ${p.portalGroupId} is already this target's in target group ${p.targetGroupId}.`,
  ),
  'target-group.portal-is-targets': spec<{ targetName: string; targetId: number; portalGroupId: number }>(
    'conflict',
    (p) => `Target "${p.targetName}" (id ${p.targetId}) already uses portal group ${p.portalGroupId}.`,
  ),
  'target-group.portal-repeated': spec<{ targetName: string; targetId: number; portalGroupId: number; targetGroupId: number }>(
    'conflict',
    (p) => `Target "${p.targetName}" (id ${p.targetId}) already has portal group ${p.portalGroupId} in target group ${p.targetGroupId}.`,
  ),
  'lun.taken': spec<{ lun: number; targetId: number }>('conflict', (p) => `LUN ${p.lun} is already in use on target ${p.targetId}.`),
  'lun.none-free': spec<{ targetId: number; max: number }>('conflict', (p) => `Target ${p.targetId} has no free LUN number (0-${p.max}).`),
  'lun.extent-mapped': spec<{ extentId: number; targetId: number; lun: number }>(
    'conflict',
    (p) => `Extent ${p.extentId} is already mapped to target ${p.targetId} as LUN ${p.lun}.`,
  ),

  // Extents and the files, devices and pools under them.
  'extent.size-invalid': spec('invalid', () => 'Enter a size in bytes, or a number with a KB, MB, GB or TB suffix.'),
  'extent.zvol-unsupported': spec('invalid', () => 'ZFS Volume extents are not supported on this host (ZFS is not present).'),
  'extent.zvol-path': spec('invalid', () => 'A ZFS Volume extent names a /dev/zvol/... device.'),
  'extent.zero-needs-size': spec('invalid', () => 'A /dev/zero extent needs a size.'),
  'extent.file-missing': spec<{ path: string }>('invalid', (p) => `The file ${p.path} is missing: restore it before resizing the extent.`),
  'extent.file-needs-size': spec('invalid', () => 'The file does not exist: give a size to create it.'),
  'extent.shrink-refused': spec<{ size: number }>('invalid', (p) => `Shrinking is not supported: the file holds ${p.size} bytes.`),
  'extent.path-taken': spec<{ owner: string }>('conflict', (p) => `The path is already used by extent "${p.owner}".`),
  'extent.naa-invalid': spec('invalid', () => 'Enter 16 hexadecimal digits, optionally prefixed with 0x.'),
  'extent.naa-taken': spec('conflict', () => 'This NAA identifier is already used by another extent.'),
  'path.not-absolute': spec('invalid', () => 'The path must be absolute and inside a pool.'),
  'path.parent-reference': spec('invalid', () => 'The path must not contain "..".'),
  'path.is-pool': spec('invalid', () => 'The path must name a file inside the pool, not the pool itself.'),
  'path.outside-pools': spec<{ pools: string[] }>('invalid', (p) => `The path must be inside a pool (${p.pools.join(', ')}).`),
  'path.escapes-pool': spec('invalid', () => 'The path leads outside the pool.'),
  'path.not-regular-file': spec('invalid', () => 'The path exists and is not a regular file.'),
  'path.directory-missing': spec<{ directory: string }>('invalid', (p) => `The directory ${p.directory} does not exist.`),
  'pool.unavailable': spec<{ pool: string }>('invalid', (p) => `Pool "${p.pool}" is not available.`),
  'file.create-failed': spec<{ reason: string }>('invalid', (p) => `The file cannot be created: ${p.reason}.`),
  'file.size-failed': spec<{ reason: string }>('invalid', (p) => `The file cannot be sized: ${p.reason}.`),
  'file.grow-failed': spec<{ reason: string }>('invalid', (p) => `The file cannot be grown: ${p.reason}.`),
  'device.missing': spec<{ path: string }>('invalid', (p) => `The device ${p.path} does not exist.`),
  'device.not-block': spec<{ path: string }>('invalid', (p) => `${p.path} is not a block device.`),
  'extent.no-room-to-grow': spec<{ pool: string; size: number; room: number }>(
    'invalid',
    (p) => `The extent can grow only into the free space right after it in pool "${p.pool}": at most ${p.room} bytes, not ${p.size}.`,
  ),
  'extent.pool-change-refused': spec(
    'invalid',
    () => 'An extent carved from an iSCSI pool stays there, and no other extent moves into one: its bytes would not follow.',
  ),
  'extent.range-zero-failed': spec<{ pool: string; reason: string }>(
    'invalid',
    (p) => `The extent's range of pool "${p.pool}" could not be zeroed before use: ${p.reason}.`,
  ),
  'extent.image-name-invalid': spec<{ name: string }>(
    'invalid',
    (p) => `"${p.name}" cannot name an RBD image: one name of letters, digits, '.', '_' and '-' right under the pool.`,
  ),
  'extent.image-failed': spec<{ pool: string; reason: string }>(
    'invalid',
    (p) => `The extent's image in pool "${p.pool}" could not be made or grown: ${p.reason}.`,
  ),

  // Jobs: long work that makes an extent (domain/jobs.ts).
  'job.source-not-absolute': spec('invalid', () => 'The source must be the absolute path of a file on this host.'),
  'job.source-unreadable': spec<{ path: string; reason: string }>('invalid', (p) => `The source ${p.path} cannot be read: ${p.reason}.`),
  'job.format-unsupported': spec<{ format: string }>('invalid', (p) => `Images in ${p.format} format cannot be imported (raw and qcow2 can).`),
  'job.format-mismatch': spec<{ format: string; detected: string }>('invalid', (p) => `The source is a ${p.detected} image, not ${p.format}.`),
  'job.path-exists': spec<{ path: string }>('conflict', (p) => `The file ${p.path} already exists: a job writes a new image and never adopts one.`),
  'job.target-pending': spec<{ uuid: string }>('conflict', (p) => `Job ${p.uuid} is already making an extent with this name or path.`),
  'job.pool-carved': spec<{ pool: string }>(
    'invalid',
    (p) => `Pool "${p.pool}" is carved out of an array's LUN: jobs write image files, in directory pools only.`,
  ),
  'job.clone-unsupported': spec<{ kind: string }>('invalid', (p) => `Only extents with an image file in a directory pool can be cloned, not ${p.kind}.`),
  'job.finished': spec<{ state: string }>('conflict', (p) => `The job is already ${p.state}: only a queued or running job can be cancelled.`),

  // Pools and the site they belong to.
  'site.cluster-unknown': spec<{ uuid: string }>('invalid', (p) => `Cluster ${p.uuid} is not this one.`),
  'site.zone-unknown': spec<{ uuid: string }>('invalid', (p) => `Zone ${p.uuid} is not this cluster's.`),
  'tenant.unknown': spec<{ uuid: string }>('invalid', (p) => `Tenant ${p.uuid} does not exist.`),
  'pool.name-invalid': spec('invalid', () => 'A pool name is 1 to 64 letters, digits, dot, dash or underscore, starting with a letter or digit.'),
  'pool.type-unsupported': spec<{ type: string; reason: string }>('invalid', (p) => `Pools of type ${p.type} cannot be created on this host: ${p.reason}.`),
  'pool.source-not-directory': spec<{ source: string }>('invalid', (p) => `${p.source} is not a directory on a mounted file system.`),
  'pool.source-overlaps': spec<{ pool: string }>('conflict', (p) => `The source overlaps the directory of pool "${p.pool}".`),
  'pool.host-invalid': spec<{ host: string }>('invalid', (p) => `"${p.host}" is not a machine uuid.`),
  'pool.threshold-invalid': spec('invalid', () => 'overAllocationThreshold is a decimal number greater than 0 and at most 1000, as text (e.g. "1.0").'),
  'pool.over-allocated': spec<{ pool: string; allocated: number; capacity: number; threshold: string }>(
    'invalid',
    (p) =>
      `Pool "${p.pool}" would hold ${p.allocated} bytes of extents on ${p.capacity} bytes of storage, more than its overAllocationThreshold of ${p.threshold} allows.`,
  ),
  'pool.configured': spec<{ pool: string }>(
    'conflict',
    (p) => `Pool "${p.pool}" comes from sanbox's settings (the default pool or SANBOX_POOLS): change it there.`,
  ),
  'pool.name-mismatch': spec<{ name: string }>('invalid', (p) => `The pool is not named "${p.name}".`),
  'pool.offline': spec<{ pool: string; reason: string }>('invalid', (p) => `Pool "${p.pool}" is offline: ${p.reason}.`),
  'pool.source-not-iqn': spec(
    'invalid',
    () => "The source names the array's target (iqn., eui. or naa.), optionally followed by /<LUN>, e.g. iqn.2026-11.com.example:array/1.",
  ),
  'pool.source-lun-invalid': spec<{ max: number }>('invalid', (p) => `The LUN after the target name is a whole number from 0 to ${p.max}.`),
  'pool.array-lun-taken': spec<{ pool: string }>('conflict', (p) => `That LUN of that array is already pool "${p.pool}".`),
  'pool.array-unreachable': spec<{ address: string; reason: string }>('invalid', (p) => `The array at ${p.address} does not answer: ${p.reason}.`),
  'pool.array-auth-failed': spec<{ reason: string }>('invalid', (p) => `The array refused sanbox's login: ${p.reason}.`),
  'pool.array-target-unknown': spec<{ target: string; reason: string }>('invalid', (p) => `The array has no target ${p.target}: ${p.reason}.`),
  'pool.array-lun-unusable': spec<{ lun: number; reason: string }>('invalid', (p) => `LUN ${p.lun} of the array cannot hold a pool: ${p.reason}.`),
  'pool.no-free-range': spec<{ pool: string; size: number; largest: number }>(
    'invalid',
    (p) => `Pool "${p.pool}" has no free range of ${p.size} bytes (the largest is ${p.largest} bytes).`,
  ),
  'pool.source-not-device': spec<{ source: string }>(
    'invalid',
    (p) => `${p.source} is neither a directory on a mounted file system nor a block device (a /dev path or a /dev/disk/by-id name).`,
  ),
  'pool.device-taken': spec<{ device: string; pool: string }>('conflict', (p) => `Device ${p.device} is already pool "${p.pool}".`),
  'pool.device-in-use': spec<{ device: string; extent: string }>('conflict', (p) => `Device ${p.device} is used by device extent "${p.extent}".`),
  'pool.device-mounted': spec<{ device: string; mountPoint: string }>('conflict', (p) => `Device ${p.device} is mounted on ${p.mountPoint}.`),
  'pool.device-unusable': spec<{ device: string; reason: string }>('invalid', (p) => `Device ${p.device} cannot hold a pool: ${p.reason}.`),
  'pool.rbd-source-invalid': spec<{ source: string }>(
    'invalid',
    (p) => `"${p.source}" is not a Ceph pool with an optional namespace (pool or pool/namespace).`,
  ),
  'pool.rbd-unreachable': spec<{ address: string; reason: string }>('invalid', (p) => `The Ceph cluster at ${p.address} cannot be used: ${p.reason}.`),
  'pool.rbd-taken': spec<{ pool: string }>('conflict', (p) => `That Ceph pool and namespace are already pool "${p.pool}".`),

  // Tenants.
  'tenant.move-refused': spec('invalid', () => 'An object cannot move to another tenant.'),
  'tenant.default-kept': spec('referenced', () => 'The default tenant cannot be deleted.'),
  'tenant.not-empty': spec<{ tenant: string; holds: string[] }>('referenced', (p) => `Tenant "${p.tenant}" still owns ${p.holds.join(', ')}.`),
  'target.served-name-taken': spec<{ id: number; tenantId: number; served: string }>(
    'conflict',
    (p) => `Another target (id ${p.id}, tenant ${p.tenantId}) is already served as ${p.served}.`,
  ),

  // A tenant's iSCSI service (ONTAP's), its volumes and LUN maps.
  'iscsi-service.exists': spec<{ tenant: string }>('conflict', (p) => `Tenant "${p.tenant}" already has an iSCSI service.`),
  'iscsi-service.missing': spec<{ tenant: string }>('not_found', (p) => `Tenant "${p.tenant}" has no iSCSI service.`),
  'iscsi-service.enabled': spec('conflict', () => 'The iSCSI service must be disabled before it can be deleted.'),
  'iscsi-service.alias-invalid': spec('invalid', () => 'A target alias has 1 to 128 printable characters and no space.'),
  'volume.name-invalid': spec('invalid', () => 'A volume name starts with a letter or an underscore and has up to 203 letters, digits and underscores.'),
  'volume.full': spec<{ volume: string; freeBytes: number; neededBytes: number }>(
    'conflict',
    (p) => `Volume "${p.volume}" has ${p.freeBytes} bytes free; ${p.neededBytes} are needed.`,
  ),
  'volume.smaller-than-contents': spec<{ volume: string; usedBytes: number }>(
    'invalid',
    (p) => `Volume "${p.volume}" cannot be smaller than the ${p.usedBytes} bytes of its LUNs.`,
  ),
  'lun-map.exists': spec<{ extentId: number; initiatorGroupId: number }>(
    'conflict',
    (p) => `Extent ${p.extentId} is already mapped to initiator group ${p.initiatorGroupId}.`,
  ),
  'lun-map.number-taken': spec<{ lun: number; initiatorGroupId: number }>(
    'conflict',
    (p) => `LUN ${p.lun} is already used in initiator group ${p.initiatorGroupId}.`,
  ),

  // Bare-metal nodes and their volumes (Ironic's).
  'uuid.taken': spec<{ entity: EntityKind; uuid: string }>('conflict', (p) => `${capital(aOrAn(label(p.entity)))} with UUID ${p.uuid} already exists.`),
  'node.name-invalid': spec<{ name: string }>('invalid', (p) => `Expected a logical name but received ${p.name}.`),
  'node.powered-on': spec<{ action: string; node: string; state: string }>(
    'conflict',
    (p) => `The requested action "${p.action}" can not be performed on node "${p.node}" while it is in state "${p.state}".`,
  ),
  'volume-connector.exists': spec<{ type: string; connectorId: string }>(
    'conflict',
    (p) => `A volume connector with type ${p.type} and connector ID ${p.connectorId} already exists.`,
  ),
  'volume-target.boot-index-taken': spec<{ bootIndex: number }>(
    'conflict',
    (p) => `A volume target with boot index '${p.bootIndex}' for the same node already exists.`,
  ),

  // Lists.
  'list.filter-unknown': spec<{ field: string }>('invalid', (p) => `Cannot filter on "${p.field}".`),
  'list.filter-value': spec<{ field: string; kind: string }>('invalid', (p) => `"${p.field}" is filtered on ${p.kind}, or null.`),
  'list.sort-unknown': spec<{ field: string }>('invalid', (p) => `Cannot sort on "${p.field}".`),
  'list.marker-with-offset': spec('invalid', () => 'A marker and an offset cannot be combined.'),
  'list.marker-unknown': spec<{ uuid: string }>('invalid', (p) => `No item with uuid "${p.uuid}" is in this list.`),

  // Global settings.
  'globals.basename-invalid': spec('invalid', () => 'Base name must be an iSCSI name: iqn.yyyy-mm.reversed.domain[:id], eui. or naa.'),
  'globals.first-burst-too-large': spec('invalid', () => 'First burst length must not exceed max burst length.'),
  'globals.networks-invalid': spec('invalid', () => 'Enter ALL, IP addresses or CIDR networks.'),
} satisfies Record<string, { kind: DomainErrorKind }>;

export type ErrorCode = keyof typeof ERROR_CODES;
export type ParamsOf<C extends ErrorCode> = Parameters<(typeof ERROR_CODES)[C]['message']>[0];

export const ALL_ERROR_CODES = Object.keys(ERROR_CODES) as ErrorCode[];

export function kindOf(code: ErrorCode): DomainErrorKind {
  return ERROR_CODES[code].kind;
}

/** The domain's own words for an error. */
export function describe<C extends ErrorCode>(code: C, params: ParamsOf<C>): string {
  return (ERROR_CODES[code].message as (p: ParamsOf<C>) => string)(params);
}

/** What the FreeNAS dialect configures, described once for the list-and-form pages. */
export type FieldKind =
  | 'text'
  | 'number'
  | 'bool'
  | 'list'
  | 'password'
  | { options: string[] }
  | { ref: string; label: (row: Row) => string; optional?: boolean };

export type Row = Record<string, unknown> & { id: number };

export interface Field {
  name: string;
  label: string;
  kind: FieldKind;
  hint?: string;
  /** Shown in the table. */
  column?: boolean;
}

export interface Resource {
  /** Path under the FreeNAS prefix, and the page's hash. */
  path: string;
  title: string;
  singular: string;
  fields: Field[];
}

const tagOf = (r: Row) => `${r.id}`;

export const RESOURCES: Resource[] = [
  {
    path: 'portal',
    title: 'Portals',
    singular: 'portal',
    fields: [
      { name: 'iscsi_target_portal_ips', label: 'Listen addresses', kind: 'list', hint: 'address:port, comma-separated', column: true },
      { name: 'iscsi_target_portal_comment', label: 'Comment', kind: 'text', column: true },
      { name: 'iscsi_target_portal_tag', label: 'Group tag', kind: 'number', column: true },
    ],
  },
  {
    path: 'authorizedinitiator',
    title: 'Initiator groups',
    singular: 'initiator group',
    fields: [
      { name: 'iscsi_target_initiator_initiators', label: 'Initiators', kind: 'text', hint: 'IQNs, one per line or ALL', column: true },
      { name: 'iscsi_target_initiator_auth_network', label: 'Authorized networks', kind: 'text', hint: 'CIDRs or ALL', column: true },
      { name: 'iscsi_target_initiator_comment', label: 'Comment', kind: 'text', column: true },
    ],
  },
  {
    path: 'authcredential',
    title: 'CHAP',
    singular: 'CHAP credential',
    fields: [
      { name: 'iscsi_target_auth_tag', label: 'Group', kind: 'number', column: true },
      { name: 'iscsi_target_auth_user', label: 'User', kind: 'text', column: true },
      { name: 'iscsi_target_auth_secret', label: 'Secret', kind: 'password' },
      { name: 'iscsi_target_auth_peeruser', label: 'Peer user (mutual)', kind: 'text', column: true },
      { name: 'iscsi_target_auth_peersecret', label: 'Peer secret', kind: 'password' },
    ],
  },
  {
    path: 'extent',
    title: 'Extents',
    singular: 'extent',
    fields: [
      { name: 'iscsi_target_extent_name', label: 'Name', kind: 'text', column: true },
      { name: 'iscsi_target_extent_type', label: 'Type', kind: { options: ['File', 'Disk'] }, column: true },
      { name: 'iscsi_target_extent_path', label: 'Path', kind: 'text', hint: 'a file inside a pool, or the device', column: true },
      { name: 'iscsi_target_extent_filesize', label: 'Size', kind: 'text', hint: 'e.g. 64MB, 10GB', column: true },
      { name: 'iscsi_target_extent_blocksize', label: 'Block size', kind: { options: ['512', '4096'] } },
      { name: 'iscsi_target_extent_ro', label: 'Read-only', kind: 'bool' },
      { name: 'iscsi_target_extent_comment', label: 'Comment', kind: 'text' },
    ],
  },
  {
    path: 'target',
    title: 'Targets',
    singular: 'target',
    fields: [
      { name: 'iscsi_target_name', label: 'Name', kind: 'text', hint: 'appended to the base name', column: true },
      { name: 'iscsi_target_alias', label: 'Alias', kind: 'text', column: true },
      {
        name: 'iscsi_target_portalgroup',
        label: 'Portal',
        kind: { ref: 'portal', label: (r) => `${tagOf(r)}: ${((r.iscsi_target_portal_ips as string[]) ?? []).join(', ')}` },
        column: true,
      },
      {
        name: 'iscsi_target_initiatorgroup',
        label: 'Initiator group',
        kind: { ref: 'authorizedinitiator', label: (r) => `${tagOf(r)}: ${String(r.iscsi_target_initiator_initiators ?? '')}`, optional: true },
        column: true,
      },
      { name: 'iscsi_target_authtype', label: 'Authentication', kind: { options: ['None', 'Auto', 'CHAP', 'CHAP Mutual'] } },
      { name: 'iscsi_target_authgroup', label: 'CHAP group', kind: 'number' },
    ],
  },
  {
    path: 'targettoextent',
    title: 'LUNs',
    singular: 'LUN mapping',
    fields: [
      { name: 'iscsi_target', label: 'Target', kind: { ref: 'target', label: (r) => `${r.id}: ${String(r.iscsi_target_name)}` }, column: true },
      { name: 'iscsi_extent', label: 'Extent', kind: { ref: 'extent', label: (r) => `${r.id}: ${String(r.iscsi_target_extent_name)}` }, column: true },
      { name: 'iscsi_lunid', label: 'LUN', kind: 'number', hint: 'empty: the next free one', column: true },
    ],
  },
];

/** A form's text for a field's value. */
export function toInput(f: Field, v: unknown): string {
  if (v === null || v === undefined) return '';
  if (f.kind === 'list' && Array.isArray(v)) return v.join(', ');
  return String(v);
}

/** The request body's value for a field's text; undefined leaves it out. */
export function fromInput(f: Field, text: string): unknown {
  const k = f.kind;
  if (k === 'bool') return text === 'true';
  if (k === 'list')
    return text
      .split(/[,\s]+/)
      .map((s) => s.trim())
      .filter((s) => s !== '');
  if (text === '') return typeof k === 'object' && 'ref' in k ? null : undefined;
  if (k === 'number' || (typeof k === 'object' && 'ref' in k)) return /^-?\d+$/.test(text) ? Number(text) : text;
  if (typeof k === 'object' && 'options' in k && /^\d+$/.test(text) && f.name.endsWith('blocksize')) return Number(text);
  return text;
}

/**
 * Who refers to an object that cannot be deleted while referred to: structured, so that
 * each dialect can name them in its own words (FreeNAS says "targettoextent 5").
 */
export type Referrer =
  | { kind: 'target'; id: number; name: string }
  | { kind: 'target-group'; id: number; targetId: number; targetName: string }
  | { kind: 'lun'; id: number; targetId: number; lun: number }
  | { kind: 'extent'; id: number; name: string }
  | { kind: 'lun-map'; id: number; initiatorGroupId: number; lun: number }
  | { kind: 'discovery-auth' }
  | { kind: 'luc-auth' };

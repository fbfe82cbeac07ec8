/**
 * HNAS object ids: opaque, stable hex strings, as the seed's (`313a3a3a6e69636b...` is the
 * hex of `1:::nick::::::0:::OID_$#!@%_V`). sanbox's are the hex of ASCII fields joined by
 * ":::": the virtual server id, the kind of object, its row id (the store never reuses
 * one: AUTOINCREMENT), and HNAS's trailer: `2:::target:::7:::OID_$#!@%_V`. A string that
 * is not hex is a bad id (400); well-formed hex of anything else names nothing (404).
 */
import { HNAS_CODES, HnasError } from './errors.js';

export type ObjectKind = 'evs' | 'target' | 'lu';

const TRAILER = 'OID_$#!@%_V';

export function objectId(evs: number, kind: ObjectKind, id: number): string {
  return Buffer.from([String(evs), kind, String(id), TRAILER].join(':::'), 'ascii').toString('hex');
}

/** The kind and row id an object id names, or null when it is hex of something else. */
export function parseObjectId(id: string): { evs: number; kind: ObjectKind; id: number } | null {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(id) || id.length > 512) {
    throw new HnasError(400, HNAS_CODES.badObjectId, `Invalid object ID parameter - "${id.slice(0, 80)}" is not a hexadecimal object ID`);
  }
  const parts = Buffer.from(id, 'hex').toString('latin1').split(':::');
  if (parts.length !== 4 || parts[3] !== TRAILER || !/^\d{1,3}$/.test(parts[0]!) || !/^\d{1,15}$/.test(parts[2]!)) return null;
  const kind = parts[1] as ObjectKind;
  if (kind !== 'evs' && kind !== 'target' && kind !== 'lu') return null;
  return { evs: Number(parts[0]), kind, id: Number(parts[2]) };
}

/**
 * Pool types as the share-pool API numbers them (pool_type): iscsi 1, nfs 2, samba 3,
 * disk 4, fc 5, rbd 6. `PoolTypes` in pool_type/support lists their names.
 */
import type { PoolType } from '../../domain/entities.js';

export const TYPE_NUMBERS: Readonly<Record<PoolType, number>> = { iscsi: 1, nfs: 2, samba: 3, disk: 4, fc: 5, rbd: 6 };

/** The type a number names, or the number itself when it names none (the domain refuses it). */
export function typeOf(value: unknown): unknown {
  if (typeof value === 'string' && /^\d+$/.test(value)) return typeOf(Number(value));
  for (const [name, n] of Object.entries(TYPE_NUMBERS)) if (n === value) return name;
  return value;
}

/**
 * The logical units this process serves, by the NAA designator they report in VPD 83h.
 * EXTENDED COPY names its copy targets (CSCD descriptors) by designator, so the copy
 * manager of one LU finds the others here. LUs register when created and leave on close.
 * Two LUs can carry the same designator (one extent behind two targets); either serves.
 */
import { naaDesignator } from './inquiry.js';
import type { BlockLogicalUnit } from './logical-unit.js';

const byDesignator = new Map<string, Set<BlockLogicalUnit>>();

function key(designator: Buffer): string {
  return designator.toString('hex');
}

export function registerLu(lu: BlockLogicalUnit): void {
  const k = key(naaDesignator(lu.spec.naa));
  let set = byDesignator.get(k);
  if (!set) {
    set = new Set();
    byDesignator.set(k, set);
  }
  set.add(lu);
}

export function unregisterLu(lu: BlockLogicalUnit): void {
  const k = key(naaDesignator(lu.spec.naa));
  const set = byDesignator.get(k);
  if (!set) return;
  set.delete(lu);
  if (set.size === 0) byDesignator.delete(k);
}

/**
 * The open LU whose NAA designator is `designator`; `prefer` wins when it matches (a copy
 * within one LU stays within that object).
 */
export function findLuByNaa(designator: Buffer, prefer?: BlockLogicalUnit): BlockLogicalUnit | undefined {
  const set = byDesignator.get(key(designator));
  if (!set) return undefined;
  if (prefer && set.has(prefer) && !prefer.closed) return prefer;
  for (const lu of set) if (!lu.closed) return lu;
  return undefined;
}

/**
 * Annotations: text a dialect keeps on an object of the model (by uuid) that the domain
 * stores and never reads: ONTAP's igroup os_type, a LIF's home port, an SVM's comment. An
 * annotation goes with its object: deleting the object deletes them (the store's triggers).
 * Keys are namespaced by the dialect that writes them ("ontap.os_type"). A service taking
 * `annotations` in its input writes them in the same transaction as the object.
 */
import { fail } from './errors.js';
import type { ConfigRepository } from './repository.js';

/** Changes to an object's annotations: a value sets the key, null removes it. */
export type AnnotationChanges = Record<string, string | null>;

export class Annotations {
  constructor(private readonly store: ConfigRepository) {}

  of(ownerUuid: string): Record<string, string> {
    return this.store.annotations(ownerUuid);
  }
}

/** Merges `changes` into the object's annotations; call inside the object's mutation. */
export function putAnnotations(store: ConfigRepository, ownerUuid: string, changes: AnnotationChanges | undefined): void {
  if (!changes) return;
  const next = { ...store.annotations(ownerUuid) };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete next[key];
    else if (typeof value !== 'string' || value.length > 4096) throw fail('value.too-long', key, { maxLength: 4096, length: String(value).length });
    else next[key] = value;
  }
  store.setAnnotations(ownerUuid, next);
}

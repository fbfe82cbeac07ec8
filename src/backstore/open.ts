/** openBackstore: the one way the data plane turns a BackstoreSpec into bytes. Files and devices must exist. */
import type { Backstore, BackstoreSpec } from './backstore.js';
import { openFileBackstore } from './file.js';
import { MemoryBackstore, NullBackstore } from './memory.js';

export async function openBackstore(spec: BackstoreSpec): Promise<Backstore> {
  switch (spec.kind) {
    case 'file':
    case 'block':
      if (!spec.path) throw Object.assign(new Error(`${spec.kind} backstore needs a path`), { code: 'EINVAL' });
      return openFileBackstore(spec.kind, spec.path, spec.readOnly ?? false);
    case 'memory':
      return new MemoryBackstore(spec.sizeBytes);
    case 'null':
      return new NullBackstore(spec.sizeBytes);
    default:
      throw Object.assign(new Error(`unknown backstore kind ${String((spec as { kind: unknown }).kind)}`), { code: 'EINVAL' });
  }
}

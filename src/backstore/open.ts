/**
 * openBackstore: the one way the data plane turns a BackstoreSpec into bytes. Files and
 * devices must exist; a range needs its pool's transport open and reachable, an rbd image
 * its pool's cluster connection.
 */
import type { Backstore, BackstoreSpec, RangeSpec, RbdLookup, TransportLookup } from './backstore.js';
import { openFileBackstore } from './file.js';
import { MemoryBackstore, NullBackstore } from './memory.js';
import { RangeBackstore } from './range.js';

export async function openBackstore(spec: BackstoreSpec, transports?: TransportLookup, rbd?: RbdLookup): Promise<Backstore> {
  switch (spec.kind) {
    case 'file':
    case 'block':
      if (!spec.path) throw Object.assign(new Error(`${spec.kind} backstore needs a path`), { code: 'EINVAL' });
      return openFileBackstore(spec.kind, spec.path, spec.readOnly ?? false);
    case 'memory':
      return new MemoryBackstore(spec.sizeBytes);
    case 'null':
      return new NullBackstore(spec.sizeBytes);
    case 'range':
      return openRange(spec, transports);
    case 'rbd':
      if (!rbd) throw Object.assign(new Error('no rbd pools are served here'), { code: 'ENOTCONN' });
      return rbd(spec.pool).openImage(spec.image, spec.readOnly ?? false);
    default:
      throw Object.assign(new Error(`unknown backstore kind ${String((spec as { kind: unknown }).kind)}`), { code: 'EINVAL' });
  }
}

function openRange(spec: RangeSpec, transports: TransportLookup | undefined): RangeBackstore {
  if (!transports) throw Object.assign(new Error('no transports to carve ranges from'), { code: 'ENOTCONN' });
  const t = transports(spec.pool);
  const h = t.health();
  if (h.state === 'unreachable') {
    throw Object.assign(new Error(`the pool's array is unreachable since ${new Date(h.since).toISOString()}: ${h.lastError ?? 'no connection'}`), {
      code: 'ENOTCONN',
    });
  }
  if (spec.blockSize % t.blockSize !== 0) {
    throw Object.assign(new Error(`the extent's ${spec.blockSize}-byte blocks are not whole blocks of the array's ${t.blockSize}`), { code: 'EINVAL' });
  }
  return new RangeBackstore(t, spec.offset, spec.sizeBytes - (spec.sizeBytes % t.blockSize));
}

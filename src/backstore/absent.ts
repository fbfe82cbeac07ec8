/**
 * The backstore of a logical unit whose medium is missing (its image file or pool is
 * gone): zero bytes, and every I/O fails with ENOMEDIUM. The logical unit answers NOT
 * READY before it gets here; this only catches commands that were already past that
 * check when the medium went away.
 */
import type { Backstore, BackstoreKind } from './backstore.js';

function enomedium(): Error {
  return Object.assign(new Error('no medium: the backing file is missing'), { code: 'ENOMEDIUM' });
}

export class AbsentMedium implements Backstore {
  readonly sizeBytes = 0;

  constructor(readonly kind: BackstoreKind) {}

  read(): Promise<void> {
    return Promise.reject(enomedium());
  }

  write(): Promise<void> {
    return Promise.reject(enomedium());
  }

  flush(): Promise<void> {
    return Promise.reject(enomedium());
  }

  discard(): Promise<void> {
    return Promise.reject(enomedium());
  }

  mapped(): Promise<Array<{ offset: number; length: number; mapped: boolean }>> {
    return Promise.reject(enomedium());
  }

  async refreshSize(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {}
}

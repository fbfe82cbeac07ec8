/**
 * Volumes: sized spaces inside a pool that hold extents (ONTAP's FlexVols). A volume
 * reserves nothing in its pool (thin, ONTAP's guarantee "none"); the sizes of its extents
 * add up to at most its own (extents.ts checks), so it cannot shrink below them. Deleting
 * one is refused while it holds an extent.
 */
import { randomUUID } from 'node:crypto';
import type { Volume } from './entities.js';
import { putAnnotations, type AnnotationChanges } from './annotations.js';
import { fail, notFound } from './errors.js';
import type { Mutations } from './mutations.js';
import type { Referrer } from './referrers.js';
import { text } from './rules.js';
import { ownerTenant } from './tenants.js';

export interface VolumeInput {
  tenantId?: number;
  name?: string;
  /** The pool it lives in (create only). */
  poolId?: number;
  sizeBytes?: number;
  comment?: string;
  annotations?: AnnotationChanges;
}

/** A volume name: ONTAP's rule (a letter or underscore first, then letters, digits and underscores). */
const VOLUME_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,202}$/;

export class VolumeService {
  constructor(private readonly m: Mutations) {}

  list(tenantId?: number): Volume[] {
    return this.m.store.listVolumes(tenantId);
  }

  get(id: number): Volume {
    const volume = this.m.store.getVolume(id);
    if (!volume) throw notFound('volume');
    return volume;
  }

  /** Bytes its extents take. */
  usedBytes(id: number): number {
    return this.m.store.extentsInVolume(id).reduce((sum, e) => sum + e.sizeBytes, 0);
  }

  create(input: VolumeInput): Promise<Volume> {
    return this.m.run(() => {
      const tenantId = ownerTenant(this.m.store, input.tenantId);
      const pool = this.m.store.listPools().find((p) => p.id === input.poolId);
      if (input.poolId === undefined) throw fail('value.required', 'poolId');
      if (!pool) throw fail('reference.missing', 'poolId', { entity: 'pool', id: input.poolId });
      const volume: Omit<Volume, 'id'> = {
        uuid: randomUUID(),
        tenantId,
        name: this.checkName(tenantId, input.name, null),
        poolId: pool.id,
        sizeBytes: this.checkSize(input.sizeBytes),
        comment: text('comment', input.comment ?? '', 1023),
        createdAt: Math.floor(Date.now() / 1000),
      };
      const id = this.m.store.insertVolume(volume);
      putAnnotations(this.m.store, volume.uuid, input.annotations);
      return { id, ...volume };
    });
  }

  update(id: number, input: VolumeInput): Promise<Volume> {
    return this.m.run(() => {
      const current = this.get(id);
      const next: Volume = { ...current };
      if (input.name !== undefined) next.name = this.checkName(current.tenantId, input.name, id);
      if (input.comment !== undefined) next.comment = text('comment', input.comment, 1023);
      if (input.sizeBytes !== undefined) {
        next.sizeBytes = this.checkSize(input.sizeBytes);
        const used = this.usedBytes(id);
        if (next.sizeBytes < used) throw fail('volume.smaller-than-contents', 'sizeBytes', { volume: current.name, usedBytes: used });
      }
      this.m.store.updateVolume(next);
      putAnnotations(this.m.store, next.uuid, input.annotations);
      return next;
    });
  }

  delete(id: number): Promise<void> {
    return this.m.run(() => {
      this.get(id);
      const held = this.m.store.extentsInVolume(id);
      if (held.length) {
        const referrers = held.map((e): Referrer => ({ kind: 'extent', id: e.id, name: e.name }));
        throw fail('reference.in-use', '__all__', { entity: 'volume', id, referrers });
      }
      this.m.store.deleteVolume(id);
    });
  }

  private checkName(tenantId: number, name: string | undefined, selfId: number | null): string {
    if (name === undefined || name === '') throw fail('value.required', 'name');
    if (!VOLUME_NAME.test(name)) throw fail('volume.name-invalid', 'name');
    const twin = this.m.store.listVolumes(tenantId).find((v) => v.name === name && v.id !== selfId);
    if (twin) throw fail('name.taken', 'name', { entity: 'volume', name });
    return name;
  }

  private checkSize(size: number | undefined): number {
    if (size === undefined) throw fail('value.required', 'sizeBytes');
    if (!Number.isSafeInteger(size)) throw fail('value.not-integer', 'sizeBytes');
    // ONTAP's smallest FlexVol is 20 MB.
    if (size < 20 * 1024 * 1024) throw fail('value.below-minimum', 'sizeBytes', { min: 20 * 1024 * 1024 });
    return size;
  }
}

/**
 * Jobs: long work that ends in a new extent, answered at once and done in the background,
 * one job at a time, in the order they came: a thick (preallocated) image, an image
 * imported from a host file (raw or qcow2), a copy of an existing extent's image.
 *
 * A job writes a hidden file next to the image it makes (`.<file>.<job uuid>.part`); only
 * when every byte is there is that file moved to its place (never over an existing file)
 * and the extent created on it, adopting its size: an extent never names a half-written
 * image. A cancelled or failed job removes its partial file. A job still queued or running
 * when sanbox stopped (or died) is failed at the next start with "interrupted by a
 * restart", its partial file removed: nothing is left half-written silently.
 *
 * The bytes are moved by a JobRunner (backstore/job-work.ts: chunked file I/O, qemu-img for
 * qcow2), the port the composition root plugs in.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Pool } from './entities.js';
import { DomainError, fail, notFound } from './errors.js';
import type { ExtentService, PoolRoom } from './extents.js';
import type { DomainLog } from './mutations.js';
import { resolvePoolPath } from './pool-paths.js';
import { isCarved } from './pool-ranges.js';
import type { ConfigRepository } from './repository.js';
import { choice, text } from './rules.js';
import { parseSize } from './size.js';
import { ownerTenant } from './tenants.js';

/** The jobs a client asks for at /api/jobs. */
export const JOB_KINDS = ['extent.create-thick', 'extent.import', 'extent.clone'] as const;
/**
 * A request a dialect answers asynchronously (ONTAP's 202 with a job to poll) whose work was
 * done before the answer: recorded finished, so it is listed with the others and outlives a restart.
 */
export const REQUEST_KIND = 'api.request';
export const ALL_JOB_KINDS = [...JOB_KINDS, REQUEST_KIND] as const;
export type JobKind = (typeof ALL_JOB_KINDS)[number];
/** The newest recorded requests kept; older ones are dropped as new ones come. */
const REQUESTS_KEPT = 1000;
export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export const IMPORT_FORMATS = ['raw', 'qcow2'] as const;

/** What a restart leaves of a job that had not finished. */
export const INTERRUPTED = 'interrupted by a restart';

export interface Job {
  id: number;
  uuid: string;
  kind: JobKind;
  state: JobState;
  doneBytes: number;
  totalBytes: number;
  /** Why it failed, in plain words; null otherwise. */
  error: string | null;
  /** The request as the job understood it (defaults filled in: path, pool, format). */
  params: Record<string, unknown>;
  /** The extent it made (succeeded only). */
  extentId: number | null;
  /** The partial file it writes until it completes (a real path); '' once there is none. */
  workPath: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** A job as the API shows it: progress live while it runs, and its rate (bytes/s; 0 when not running). */
export interface JobStatus extends Job {
  rate: number;
}

export interface JobRepository {
  /** Newest first. */
  listJobs(): Job[];
  jobByUuid(uuid: string): Job | null;
  unfinishedJobs(): Job[];
  insertJob(job: Omit<Job, 'id'>): number;
  updateJob(job: Job): void;
  /** Deletes all but the newest `keep` finished jobs of `kind`. */
  pruneJobs(kind: JobKind, keep: number): void;
}

/** The byte work a job asks for; `dest` never exists before and is the job's partial file. */
export type JobWork =
  | { op: 'zeros'; dest: string; size: number }
  | { op: 'copy'; source: string; dest: string; size: number }
  | { op: 'qcow2-to-raw'; source: string; dest: string; size: number };

/** A host file: its size, and (when asked to detect) its image format and virtual size. */
export type ImageProbe = { fileSize: number; format?: string; virtualSize?: number } | { unreadable: string };

export interface JobRunner {
  probe(source: string, detect: boolean): Promise<ImageProbe>;
  /** Does the work, reporting bytes done; rejects when it fails or `signal` aborts it. */
  run(work: JobWork, progress: (doneBytes: number) => void, signal: AbortSignal): Promise<void>;
  /** Moves a finished image to its place; throws if something is there already. */
  commit(from: string, to: string): void;
  remove(file: string): void;
}

export interface JobInput {
  kind?: unknown;
  name?: unknown;
  path?: unknown;
  size?: unknown;
  source?: unknown;
  format?: unknown;
  pool?: unknown;
  extentId?: unknown;
}

interface Running {
  uuid: string;
  controller: AbortController;
  doneBytes: number;
  startedMs: number;
  finished: Promise<void>;
}

interface Planned {
  params: Record<string, unknown>;
  totalBytes: number;
  work: (dest: string) => JobWork;
}

const now = () => new Date().toISOString();
/** How long a cancel waits for the running work to stop before it answers. */
const CANCEL_WAIT_MS = 5000;

export class JobService {
  private readonly queue: string[] = [];
  /** The work of each queued job (planned at submit, started in turn). */
  private readonly works = new Map<string, (dest: string) => JobWork>();
  private running: Running | null = null;
  private stopping = false;

  constructor(
    private readonly jobs: JobRepository,
    private readonly store: ConfigRepository,
    private readonly extents: ExtentService,
    private readonly room: PoolRoom,
    private readonly runner: JobRunner,
    private readonly log: DomainLog,
  ) {}

  list(): JobStatus[] {
    return this.jobs.listJobs().map((j) => this.status(j));
  }

  get(uuid: string): JobStatus {
    const job = this.jobs.jobByUuid(uuid);
    if (!job) throw notFound('job');
    return this.status(job);
  }

  /** Checks the request, records the job as queued and starts it when its turn comes. */
  async submit(input: JobInput): Promise<JobStatus> {
    const kind = choice('kind', input.kind, JOB_KINDS);
    const name = this.checkName(input.name);
    const planned =
      kind === 'extent.create-thick'
        ? this.planThick(name, input)
        : kind === 'extent.import'
          ? await this.planImport(name, input)
          : this.planClone(name, input);
    // Checked again after the probe's await: another request may have taken the name or path.
    this.checkName(input.name);
    const { pool, realPath, displayPath } = this.destination(planned.params.path as string);
    this.room.assertRoomFor(pool, planned.totalBytes, 'size');
    const uuid = randomUUID();
    const job: Omit<Job, 'id'> = {
      uuid,
      kind,
      state: 'queued',
      doneBytes: 0,
      totalBytes: planned.totalBytes,
      error: null,
      params: { ...planned.params, path: displayPath },
      extentId: null,
      workPath: path.join(path.dirname(realPath), `.${path.basename(realPath)}.${uuid}.part`),
      createdAt: now(),
      startedAt: null,
      finishedAt: null,
    };
    const id = this.jobs.insertJob(job);
    this.works.set(uuid, planned.work);
    this.queue.push(uuid);
    queueMicrotask(() => this.pump());
    return this.status({ id, ...job });
  }

  /** Stops a queued or running job; answers once it has stopped (or after a few seconds). */
  async cancel(uuid: string): Promise<JobStatus> {
    const job = this.jobs.jobByUuid(uuid);
    if (!job) throw notFound('job');
    if (job.state !== 'queued' && job.state !== 'running') throw fail('job.finished', '__all__', { state: job.state });
    const queued = this.queue.indexOf(uuid);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.works.delete(uuid);
      this.finish(job, 'cancelled', null);
    } else if (this.running?.uuid === uuid) {
      const { controller, finished } = this.running;
      controller.abort();
      await Promise.race([finished, new Promise((r) => setTimeout(r, CANCEL_WAIT_MS).unref())]);
    }
    return this.get(uuid);
  }

  /**
   * A dialect's request done before its answer (`description`: "POST /api/svm/svms/<uuid>"),
   * recorded as a finished job: succeeded, or failed with `failure`'s message and code.
   */
  record(description: string, failure?: { message: string; code: number }): Job {
    const at = now();
    const job: Omit<Job, 'id'> = {
      uuid: randomUUID(),
      kind: REQUEST_KIND,
      state: failure ? 'failed' : 'succeeded',
      doneBytes: 0,
      totalBytes: 0,
      error: failure?.message ?? null,
      params: failure ? { description, code: failure.code } : { description },
      extentId: null,
      workPath: '',
      createdAt: at,
      startedAt: at,
      finishedAt: at,
    };
    const id = this.jobs.insertJob(job);
    this.jobs.pruneJobs(REQUEST_KIND, REQUESTS_KEPT);
    return { id, ...job };
  }

  /**
   * At start: every job a stop or crash left queued or running is failed, and its partial
   * file removed. Runs before any job is submitted.
   */
  recover(): void {
    for (const job of this.jobs.unfinishedJobs()) {
      this.removeQuietly(job.workPath);
      this.finish(job, 'failed', INTERRUPTED);
      this.log.warn({ job: job.uuid, kind: job.kind }, 'job failed: interrupted by a restart');
    }
  }

  /**
   * At shutdown: the running work stops (a qemu-img child is killed) and nothing more
   * starts. The store keeps the jobs as they were; the next start fails and cleans them.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.queue.length = 0;
    const running = this.running;
    if (!running) return;
    running.controller.abort();
    await running.finished;
  }

  private status(job: Job): JobStatus {
    const live = this.running?.uuid === job.uuid ? this.running : null;
    if (!live) return { ...job, rate: 0 };
    const seconds = (Date.now() - live.startedMs) / 1000;
    return { ...job, doneBytes: live.doneBytes, rate: seconds > 0 ? Math.round(live.doneBytes / seconds) : 0 };
  }

  private pump(): void {
    if (this.running || this.stopping) return;
    const uuid = this.queue.shift();
    if (uuid === undefined) return;
    const job = this.jobs.jobByUuid(uuid);
    const work = this.works.get(uuid);
    this.works.delete(uuid);
    if (!job || !work) return this.pump();
    const controller = new AbortController();
    const running: Running = { uuid, controller, doneBytes: 0, startedMs: Date.now(), finished: Promise.resolve() };
    this.running = running;
    job.state = 'running';
    job.startedAt = now();
    this.jobs.updateJob(job);
    running.finished = this.execute(job, work(job.workPath), running).finally(() => {
      this.running = null;
      this.pump();
    });
  }

  private async execute(job: Job, work: JobWork, running: Running): Promise<void> {
    const signal = running.controller.signal;
    try {
      await this.runner.run(work, (done) => (running.doneBytes = done), signal);
      if (signal.aborted) throw new Error('aborted');
    } catch (err) {
      if (this.stopping) return; // the next start fails the job and removes its file
      this.removeQuietly(job.workPath);
      job.doneBytes = running.doneBytes;
      if (signal.aborted) this.finish(job, 'cancelled', null);
      else this.finish(job, 'failed', (err as Error).message);
      this.log.warn({ job: job.uuid, kind: job.kind, err }, signal.aborted ? 'job cancelled' : 'job failed');
      return;
    }
    job.doneBytes = job.totalBytes;
    try {
      const extentId = await this.complete(job);
      job.extentId = extentId;
      this.finish(job, 'succeeded', null);
    } catch (err) {
      this.removeQuietly(job.workPath);
      this.finish(job, 'failed', err instanceof DomainError ? err.message : `the image could not be committed: ${(err as Error).message}`);
      this.log.warn({ job: job.uuid, kind: job.kind, err }, 'job failed at its commit');
    }
  }

  /** Moves the finished image to its place and creates the extent on it (the file's size, adopted). */
  private async complete(job: Job): Promise<number> {
    const displayPath = job.params.path as string;
    const { realPath } = resolvePoolPath('path', displayPath, this.store.listPools());
    this.runner.commit(job.workPath, realPath);
    job.workPath = '';
    try {
      const extent = await this.extents.create({ name: job.params.name as string, type: 'File', path: displayPath, size: String(job.totalBytes) });
      return extent.id;
    } catch (err) {
      this.removeQuietly(realPath);
      throw err;
    }
  }

  private finish(job: Job, state: JobState, error: string | null): void {
    job.state = state;
    job.error = error;
    job.finishedAt = now();
    job.workPath = ''; // removed, or moved to its place
    this.jobs.updateJob(job);
  }

  private removeQuietly(file: string): void {
    if (file === '') return;
    try {
      this.runner.remove(file);
    } catch (err) {
      this.log.error({ err, file }, 'could not remove a job file');
    }
  }

  private checkName(raw: unknown): string {
    if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) throw fail('value.required', 'name');
    const name = text('name', String(raw), 120).trim();
    if (this.store.extentByName(ownerTenant(this.store, undefined), name)) throw fail('name.taken', 'name', { entity: 'extent', name });
    const pending = this.pending().find((j) => j.params.name === name);
    if (pending) throw fail('job.target-pending', 'name', { uuid: pending.uuid });
    return name;
  }

  private pending(): Job[] {
    return this.jobs.unfinishedJobs();
  }

  private optionalText(field: string, raw: unknown): string | undefined {
    if (raw === undefined || raw === null || raw === '') return undefined;
    return text(field, String(raw), 1024);
  }

  private planThick(name: string, input: JobInput): Planned {
    if (input.size === undefined || input.size === null || input.size === '') throw fail('value.required', 'size');
    const size = parseSize(input.size as string | number);
    if (size === null) throw fail('extent.size-invalid', 'size');
    if (size === 0) throw fail('value.below-minimum', 'size', { min: 1 });
    const target = this.optionalText('path', input.path) ?? `/mnt/default/${name}.img`;
    return { params: { name, path: target, size: String(input.size) }, totalBytes: size, work: (dest) => ({ op: 'zeros', dest, size }) };
  }

  private async planImport(name: string, input: JobInput): Promise<Planned> {
    const source = this.optionalText('source', input.source);
    if (source === undefined) throw fail('value.required', 'source');
    if (!path.isAbsolute(source)) throw fail('job.source-not-absolute', 'source');
    const asked = input.format === undefined || input.format === null ? undefined : choice('format', input.format, IMPORT_FORMATS);
    const poolName = this.optionalText('pool', input.pool) ?? 'default';
    if (!this.store.listPools().some((p) => p.name === poolName)) throw fail('pool.unavailable', 'pool', { pool: poolName });
    const target = this.optionalText('path', input.path) ?? `/mnt/${poolName}/${name}.img`;
    this.destination(target); // a bad destination is refused before the source is read
    const probe = await this.runner.probe(source, asked !== 'raw');
    if ('unreadable' in probe) throw fail('job.source-unreadable', 'source', { path: source, reason: probe.unreadable });
    const detected = probe.format ?? 'raw';
    if (asked === 'qcow2' && detected !== 'qcow2') throw fail('job.format-mismatch', 'format', { format: asked, detected });
    const format = asked ?? detected;
    if (format !== 'raw' && format !== 'qcow2') throw fail('job.format-unsupported', 'format', { format });
    const size = format === 'raw' ? probe.fileSize : (probe.virtualSize ?? 0);
    if (size === 0) throw fail('job.source-unreadable', 'source', { path: source, reason: 'the image is empty' });
    const params = { name, source, format, pool: poolName, path: target };
    if (format === 'raw') return { params, totalBytes: size, work: (dest) => ({ op: 'copy', source, dest, size }) };
    return { params, totalBytes: size, work: (dest) => ({ op: 'qcow2-to-raw', source, dest, size }) };
  }

  private planClone(name: string, input: JobInput): Planned {
    if (input.extentId === undefined || input.extentId === null) throw fail('value.required', 'extentId');
    const id = Number(input.extentId);
    const extent = Number.isInteger(id) ? this.store.getExtent(id) : null;
    if (!extent) throw fail('reference.missing', 'extentId', { entity: 'extent', id: Number.isFinite(id) ? id : 0 });
    if (extent.type !== 'File') throw fail('job.clone-unsupported', 'extentId', { kind: `a ${extent.type} extent` });
    if (extent.poolRange) throw fail('job.clone-unsupported', 'extentId', { kind: "an extent carved out of an array's LUN" });
    if (!fs.existsSync(extent.path)) throw fail('job.clone-unsupported', 'extentId', { kind: 'an extent whose image file is missing' });
    const { pool } = resolvePoolPath('extentId', extent.path, this.store.listPools());
    const target = this.optionalText('path', input.path) ?? `/mnt/${pool.name}/${name}.img`;
    const size = extent.sizeBytes;
    const source = extent.path;
    return { params: { extentId: extent.id, name, path: target }, totalBytes: size, work: (dest) => ({ op: 'copy', source, dest, size }) };
  }

  /** Where a job's image goes: a new file in a directory pool, not promised to another job. */
  private destination(requested: string): { pool: Pool; realPath: string; displayPath: string } {
    const resolved = resolvePoolPath('path', requested, this.store.listPools());
    if (isCarved(resolved.pool) || resolved.pool.type === 'rbd') throw fail('job.pool-carved', 'path', { pool: resolved.pool.name });
    const owner = this.store.extentByPath(resolved.realPath);
    if (owner) throw fail('extent.path-taken', 'path', { owner: owner.name });
    const pending = this.pending().find((j) => j.params.path === resolved.displayPath && j.workPath !== '');
    if (pending) throw fail('job.target-pending', 'path', { uuid: pending.uuid });
    const dir = path.dirname(resolved.realPath);
    if (!fs.existsSync(dir)) throw fail('path.directory-missing', 'path', { directory: dir });
    if (fs.existsSync(resolved.realPath)) throw fail('job.path-exists', 'path', { path: resolved.displayPath });
    return resolved;
  }
}

/**
 * Jobs on SQLite (migration 10): `params` as JSON, ISO 8601 times as text. The extent a
 * job made is a plain id (no foreign key): deleting the extent later keeps its job's record.
 */
import type { Job, JobKind, JobRepository, JobState } from '../domain/jobs.js';
import type { Db } from './database.js';

interface JobRow {
  id: number;
  uuid: string;
  kind: string;
  state: string;
  done_bytes: number;
  total_bytes: number;
  error: string | null;
  params: string;
  extent_id: number | null;
  work_path: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

function fromRow(r: JobRow): Job {
  return {
    id: r.id,
    uuid: r.uuid,
    kind: r.kind as JobKind,
    state: r.state as JobState,
    doneBytes: r.done_bytes,
    totalBytes: r.total_bytes,
    error: r.error,
    params: JSON.parse(r.params) as Record<string, unknown>,
    extentId: r.extent_id,
    workPath: r.work_path,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

function toRow(j: Omit<Job, 'id'>): Omit<JobRow, 'id'> {
  return {
    uuid: j.uuid,
    kind: j.kind,
    state: j.state,
    done_bytes: j.doneBytes,
    total_bytes: j.totalBytes,
    error: j.error,
    params: JSON.stringify(j.params),
    extent_id: j.extentId,
    work_path: j.workPath,
    created_at: j.createdAt,
    started_at: j.startedAt,
    finished_at: j.finishedAt,
  };
}

export class JobTable implements JobRepository {
  constructor(private readonly db: Db) {}

  listJobs(): Job[] {
    return (this.db.prepare('SELECT * FROM jobs ORDER BY id DESC').all() as JobRow[]).map(fromRow);
  }

  jobByUuid(uuid: string): Job | null {
    const row = this.db.prepare('SELECT * FROM jobs WHERE uuid = ?').get(uuid) as JobRow | undefined;
    return row ? fromRow(row) : null;
  }

  unfinishedJobs(): Job[] {
    return (this.db.prepare("SELECT * FROM jobs WHERE state IN ('queued', 'running') ORDER BY id").all() as JobRow[]).map(fromRow);
  }

  pruneJobs(kind: JobKind, keep: number): void {
    this.db
      .prepare(
        `DELETE FROM jobs WHERE kind = ? AND state NOT IN ('queued', 'running')
           AND id NOT IN (SELECT id FROM jobs WHERE kind = ? ORDER BY id DESC LIMIT ?)`,
      )
      .run(kind, kind, keep);
  }

  insertJob(j: Omit<Job, 'id'>): number {
    const info = this.db
      .prepare(
        `INSERT INTO jobs (uuid, kind, state, done_bytes, total_bytes, error, params, extent_id, work_path, created_at, started_at, finished_at)
         VALUES (@uuid, @kind, @state, @done_bytes, @total_bytes, @error, @params, @extent_id, @work_path, @created_at, @started_at, @finished_at)`,
      )
      .run(toRow(j));
    return Number(info.lastInsertRowid);
  }

  updateJob(j: Job): void {
    this.db
      .prepare(
        `UPDATE jobs SET state = @state, done_bytes = @done_bytes, total_bytes = @total_bytes, error = @error, params = @params,
         extent_id = @extent_id, work_path = @work_path, started_at = @started_at, finished_at = @finished_at WHERE id = @id`,
      )
      .run({ ...toRow(j), id: j.id });
  }
}

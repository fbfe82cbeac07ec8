/**
 * ONTAP's jobs: an operation ONTAP answers asynchronously (202) names a job the client
 * polls at /api/cluster/jobs/{uuid}. sanbox finishes the work before it answers, so each
 * job it hands out is already done (success or failure) and clients poll once. They are
 * the domain's jobs (domain/jobs.ts, recorded as `api.request`): /api/jobs lists them with
 * the thick-extent, import and clone jobs, and a restart keeps them. ONTAP's view shows
 * every domain job, each in ONTAP's states.
 */
import { DomainError } from '../../domain/errors.js';
import type { Job as DomainJob, JobService, JobState } from '../../domain/jobs.js';

export interface Job {
  uuid: string;
  description: string;
  state: 'queued' | 'running' | 'success' | 'failure';
  message: string;
  code: number;
  start_time: string;
  end_time?: string;
  _links: { self: { href: string } };
}

const STATES: Record<JobState, Job['state']> = { queued: 'queued', running: 'running', succeeded: 'success', failed: 'failure', cancelled: 'failure' };

/** ONTAP's timestamps carry no fraction. */
const stamp = (iso: string) => iso.replace(/\.\d+Z$/, 'Z');

function ontapJob(j: DomainJob): Job {
  const description = typeof j.params.description === 'string' ? j.params.description : j.kind;
  const code = typeof j.params.code === 'number' ? j.params.code : j.state === 'failed' || j.state === 'cancelled' ? 1 : 0;
  const message = j.error ?? (j.state === 'succeeded' ? 'success' : j.state === 'cancelled' ? 'cancelled' : j.state);
  const job: Job = {
    uuid: j.uuid,
    description,
    state: STATES[j.state],
    message,
    code,
    start_time: stamp(j.startedAt ?? j.createdAt),
    _links: { self: { href: `/api/cluster/jobs/${j.uuid}` } },
  };
  if (j.finishedAt) job.end_time = stamp(j.finishedAt);
  return job;
}

/** A job's every field, for the fields a collection may name. */
export const SAMPLE_JOB: Job = {
  uuid: '00000000-0000-0000-0000-000000000000',
  description: 'sample',
  state: 'success',
  message: 'success',
  code: 0,
  start_time: '2026-01-01T00:00:00Z',
  end_time: '2026-01-01T00:00:00Z',
  _links: { self: { href: '/api/cluster/jobs/00000000-0000-0000-0000-000000000000' } },
};

export class JobBoard {
  constructor(private readonly jobs: JobService) {}

  /** A finished job for `description` ("POST /api/svm/svms/..."). */
  done(description: string, failure?: { message: string; code: number }): Job {
    return ontapJob(this.jobs.record(description, failure));
  }

  get(uuid: string): Job | undefined {
    try {
      return ontapJob(this.jobs.get(uuid.toLowerCase()));
    } catch (e) {
      if (e instanceof DomainError) return undefined;
      throw e;
    }
  }

  list(): Job[] {
    return this.jobs.list().map(ontapJob);
  }
}

/** The body of a 202: the job's reference. */
export function jobReference(job: Job): { job: { uuid: string; _links: Job['_links'] } } {
  return { job: { uuid: job.uuid, _links: job._links } };
}

/**
 * ONTAP's jobs: an operation ONTAP answers asynchronously (202) names a job the client
 * polls at /api/cluster/jobs/{uuid}. sanbox finishes the work before it answers, so each
 * job it hands out is already done (success or failure); clients poll once. The most
 * recent jobs are kept in memory: a job is a receipt, not configuration.
 */
import { randomUUID } from 'node:crypto';

export interface Job {
  uuid: string;
  description: string;
  state: 'success' | 'failure';
  message: string;
  code: number;
  start_time: string;
  end_time: string;
  _links: { self: { href: string } };
}

const KEPT = 1000;

export class JobBoard {
  private readonly jobs = new Map<string, Job>();

  /** A finished job for `description` ("POST /api/svm/svms/..."). */
  done(description: string, failure?: { message: string; code: number }): Job {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const uuid = randomUUID();
    const job: Job = {
      uuid,
      description,
      state: failure ? 'failure' : 'success',
      message: failure?.message ?? 'success',
      code: failure?.code ?? 0,
      start_time: now,
      end_time: now,
      _links: { self: { href: `/api/cluster/jobs/${uuid}` } },
    };
    this.jobs.set(uuid, job);
    if (this.jobs.size > KEPT) this.jobs.delete(this.jobs.keys().next().value!);
    return job;
  }

  get(uuid: string): Job | undefined {
    return this.jobs.get(uuid.toLowerCase());
  }

  list(): Job[] {
    return [...this.jobs.values()];
  }
}

/** The body of a 202: the job's reference. */
export function jobReference(job: Job): { job: { uuid: string; _links: Job['_links'] } } {
  return { job: { uuid: job.uuid, _links: job._links } };
}

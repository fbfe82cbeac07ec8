/**
 * `sanbox jobs list|show|cancel|wait`: long work on the server (/api/jobs). `wait` (and
 * `extents import`) follow a job with a progress bar until it ends; Ctrl-C cancels it.
 */
import type { Command } from 'commander';
import { CliError, type Client, EXIT_FAILED } from './http.js';
import { bytes, clientFor, duration, globals, printJson, printObject, printTable, progressBar } from './output.js';

export interface Job {
  uuid: string;
  kind: string;
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  progress: { done: number; total: number };
  rate: number | null;
  error: unknown;
  params: Record<string, unknown>;
  result: Record<string, unknown> | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

const ENDED = new Set(['succeeded', 'failed', 'cancelled']);
const POLL_MS = 300;

const HEAD = ['UUID', 'KIND', 'STATE', 'PROGRESS', 'RATE', 'CREATED', 'ERROR'];

function percent(j: Job): string {
  const { done, total } = j.progress ?? { done: 0, total: 0 };
  return total > 0 ? `${Math.floor((done / total) * 100)}% (${bytes(done)} / ${bytes(total)})` : bytes(done);
}

function jobError(j: Job): string {
  const e = j.error as { message?: unknown } | string | null;
  if (e === null || e === undefined) return '';
  return typeof e === 'string' ? e : String(e.message ?? JSON.stringify(e));
}

function row(j: Job): unknown[] {
  return [j.uuid, j.kind, j.state, percent(j), j.rate ? `${bytes(j.rate)}/s` : '', j.createdAt, jobError(j)];
}

function showJob(j: Job): void {
  printObject({
    uuid: j.uuid,
    kind: j.kind,
    state: j.state,
    progress: percent(j),
    rate: j.rate ? `${bytes(j.rate)}/s` : null,
    error: jobError(j),
    params: j.params,
    result: j.result,
    createdAt: j.createdAt,
    startedAt: j.startedAt,
    finishedAt: j.finishedAt,
  });
}

function jobPath(uuid: string): string {
  return `/api/jobs/${encodeURIComponent(uuid)}`;
}

/**
 * Follows a job to its end: a bar on a terminal (unless --json), Ctrl-C cancels the job
 * (a second Ctrl-C leaves at once). Resolves with the ended job; a job that did not
 * succeed is exit 1 with its error on stderr, after the job (JSON) has been printed.
 */
export async function waitForJob(
  client: Client,
  first: Job,
  json: boolean,
  /** A caller's earlier SIGINT listener, handed over once this one listens. */
  latch?: { interrupted: () => boolean; release: () => void },
): Promise<Job> {
  const bar = json ? { update() {}, stop() {} } : progressBar(first.kind);
  let job = first;
  let cancelling = false;
  let rate: number | null = null;
  const onSigint = () => {
    if (cancelling) process.exit(130);
    cancelling = true;
    process.stderr.write(`\ncancelling job ${job.uuid} ...\n`);
    client.call('POST', `${jobPath(job.uuid)}/cancel`).catch((e: Error) => process.stderr.write(`sanbox: could not cancel: ${e.message}\n`));
  };
  process.on('SIGINT', onSigint);
  latch?.release();
  if (latch?.interrupted()) onSigint();
  try {
    for (;;) {
      // An ended job has no rate any more: the bar keeps the last one it showed.
      if (job.rate) rate = job.rate;
      bar.update(job.progress?.done ?? 0, job.progress?.total ?? 0, rate);
      if (ENDED.has(job.state)) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
      job = await client.call<Job>('GET', jobPath(job.uuid));
    }
  } finally {
    bar.stop();
    process.off('SIGINT', onSigint);
  }
  return job;
}

/** Prints an ended job; a job that did not succeed becomes exit 1. */
export function reportEnded(job: Job, json: boolean): void {
  if (json) printJson(job);
  if (job.state === 'succeeded') {
    if (!json) {
      const took = job.startedAt && job.finishedAt ? ` in ${duration((Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000)}` : '';
      const extent = job.result?.extentId !== undefined ? `: extent ${String(job.result.extentId)}` : '';
      process.stdout.write(`job ${job.uuid} succeeded${took}${extent}\n`);
    }
    return;
  }
  throw new CliError(EXIT_FAILED, `job ${job.uuid} ${job.state}${jobError(job) ? `: ${jobError(job)}` : ''}`);
}

export function jobCommands(program: Command): void {
  const jobs = program.command('jobs').description('long-running work: imports, thick extents, clones (/api/jobs)');
  jobs
    .command('list')
    .description('list jobs')
    .action(async (_o, cmd: Command) => {
      const { jobs: all } = await clientFor(cmd).call<{ jobs: Job[] }>('GET', '/api/jobs');
      if (globals(cmd).json) printJson(all);
      else printTable(HEAD, all.map(row));
    });
  jobs
    .command('show')
    .description('show one job')
    .argument('<uuid>', 'job uuid')
    .action(async (uuid: string, _o, cmd: Command) => {
      const j = await clientFor(cmd).call<Job>('GET', jobPath(uuid));
      if (globals(cmd).json) printJson(j);
      else showJob(j);
    });
  jobs
    .command('cancel')
    .description('cancel a job (it ends as cancelled, its partial work removed)')
    .argument('<uuid>', 'job uuid')
    .action(async (uuid: string, _o, cmd: Command) => {
      const j = await clientFor(cmd).call<Job>('POST', `${jobPath(uuid)}/cancel`);
      if (globals(cmd).json) printJson(j);
      else process.stdout.write(`job ${j.uuid}: ${j.state}\n`);
    });
  jobs
    .command('wait')
    .description('follow a job with a progress bar until it ends (Ctrl-C cancels it); exit 1 unless it succeeded')
    .argument('<uuid>', 'job uuid')
    .action(async (uuid: string, _o, cmd: Command) => {
      const client = clientFor(cmd);
      const json = globals(cmd).json === true;
      const ended = await waitForJob(client, await client.call<Job>('GET', jobPath(uuid)), json);
      reportEnded(ended, json);
    });
}

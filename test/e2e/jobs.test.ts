/**
 * Jobs against a live sanbox: a thick extent is fully allocated, raw and qcow2 imports
 * read back byte for byte, a clone copies an extent, a cancelled import leaves no file,
 * a job a restart interrupted is failed and cleaned up, and bad requests get sanbox's
 * own error bodies, exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FREENAS, startSanbox, tempDir, type TestSanbox } from '../support/sanbox.js';
import { run } from './peers.js';

/** A job as GET /api/jobs/{uuid} answers it. */
interface JobJson {
  uuid: string;
  kind: string;
  state: string;
  progress: { done: number; total: number };
  rate: number;
  error: string | null;
  params: Record<string, unknown>;
  result: { extentId: number } | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

async function qemuImg(args: string[]): Promise<void> {
  const r = await run('qemu-img', args);
  assert.equal(r.code, 0, r.stderr);
}

const MiB = 1024 * 1024;
/** The API and the store only: no iSCSI listeners are needed to check files. */
const quiet = { applier: { apply: async () => {} } };

function poolFile(sb: TestSanbox, name: string): string {
  return path.join(sb.dataDir, 'pools', 'default', name);
}

function partials(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.part'));
}

async function waitFor(sb: TestSanbox, uuid: string, done: (job: JobJson) => boolean, ms = 30_000): Promise<JobJson> {
  const until = Date.now() + ms;
  for (;;) {
    const r = await sb.api('GET', `/api/jobs/${uuid}`);
    assert.equal(r.status, 200, r.text);
    if (done(r.body)) return r.body;
    if (Date.now() > until) assert.fail(`job ${uuid} still ${r.body.state}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

const finished = (j: JobJson) => ['succeeded', 'failed', 'cancelled'].includes(j.state);

async function submit(sb: TestSanbox, body: unknown): Promise<JobJson> {
  const r = await sb.api('POST', '/api/jobs', body);
  assert.equal(r.status, 202, r.text);
  assert.equal(r.headers.get('location'), `/api/jobs/${r.body.uuid}`);
  return r.body;
}

async function extent(sb: TestSanbox, id: number): Promise<Record<string, unknown>> {
  const r = await sb.api('GET', `${FREENAS}/extent/${id}/`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

test('a thick extent is allocated in full, and the extent appears only when it is complete', async () => {
  const sb = await startSanbox({ ports: quiet });
  try {
    const queued = await submit(sb, { kind: 'extent.create-thick', name: 'thick1', size: '64MB' });
    assert.equal(queued.kind, 'extent.create-thick');
    assert.ok(['queued', 'running'].includes(queued.state));
    assert.deepEqual(queued.progress.total, 64 * MiB);
    assert.deepEqual(queued.params, { name: 'thick1', path: '/mnt/default/thick1.img', size: '64MB' });
    assert.equal(queued.result, null);
    assert.equal(queued.error, null);
    assert.ok(!Number.isNaN(Date.parse(queued.createdAt)));
    const job = await waitFor(sb, queued.uuid, finished);
    assert.equal(job.state, 'succeeded', job.error ?? undefined);
    assert.deepEqual(job.progress, { done: 64 * MiB, total: 64 * MiB });
    assert.equal(job.rate, 0);
    assert.ok(job.startedAt && job.finishedAt);
    const file = poolFile(sb, 'thick1.img');
    const stat = fs.statSync(file);
    assert.equal(stat.size, 64 * MiB);
    assert.ok(stat.blocks * 512 >= 64 * MiB, `allocated ${stat.blocks * 512} bytes`);
    const e = await extent(sb, job.result!.extentId);
    assert.equal(e.iscsi_target_extent_name, 'thick1');
    assert.equal(e.iscsi_target_extent_path, '/mnt/default/thick1.img');
    assert.deepEqual(partials(path.dirname(file)), []);
    const list = await sb.api('GET', '/api/jobs');
    assert.equal(list.status, 200);
    assert.deepEqual(
      (list.body.jobs as JobJson[]).map((j) => j.uuid),
      [queued.uuid],
    );
  } finally {
    await sb.stop();
  }
});

test('imports of a raw file and of a qcow2 image read back byte for byte; a clone copies an extent', async () => {
  const sb = await startSanbox({ ports: quiet });
  const host = tempDir('sanbox-images-');
  try {
    const data = Buffer.concat([randomBytes(3 * MiB), Buffer.alloc(2 * MiB), randomBytes(MiB + 512)]);
    const raw = path.join(host, 'disk.raw');
    fs.writeFileSync(raw, data);
    const rawJob = await submit(sb, { kind: 'extent.import', name: 'raw1', source: raw });
    const doneRaw = await waitFor(sb, rawJob.uuid, finished);
    assert.equal(doneRaw.state, 'succeeded', doneRaw.error ?? undefined);
    assert.deepEqual(doneRaw.params, { name: 'raw1', source: raw, format: 'raw', pool: 'default', path: '/mnt/default/raw1.img' });
    assert.ok(fs.readFileSync(poolFile(sb, 'raw1.img')).equals(data));

    // qcow2: made by qemu-img create, its data written by qemu-img convert -n from a raw pattern.
    const qcow = path.join(host, 'disk.qcow2');
    await qemuImg(['create', '-q', '-f', 'qcow2', qcow, '16M']);
    const pattern = Buffer.concat([randomBytes(MiB), Buffer.alloc(7 * MiB), randomBytes(8 * MiB)]);
    const seed = path.join(host, 'seed.raw');
    fs.writeFileSync(seed, pattern);
    await qemuImg(['convert', '-n', '-f', 'raw', '-O', 'qcow2', seed, qcow]);
    const qJob = await submit(sb, { kind: 'extent.import', name: 'q1', source: qcow, path: '/mnt/default/q1.raw' });
    assert.equal(qJob.progress.total, 16 * MiB);
    const doneQ = await waitFor(sb, qJob.uuid, finished);
    assert.equal(doneQ.state, 'succeeded', doneQ.error ?? undefined);
    assert.equal(doneQ.params.format, 'qcow2');
    const imported = fs.readFileSync(poolFile(sb, 'q1.raw'));
    assert.ok(imported.equals(pattern), 'qcow2 contents');
    assert.equal((await extent(sb, doneQ.result!.extentId)).iscsi_target_extent_filesize, String(16 * MiB));

    const cJob = await submit(sb, { kind: 'extent.clone', extentId: doneQ.result!.extentId, name: 'q1-copy' });
    const doneC = await waitFor(sb, cJob.uuid, finished);
    assert.equal(doneC.state, 'succeeded', doneC.error ?? undefined);
    assert.deepEqual(doneC.params, { extentId: doneQ.result!.extentId, name: 'q1-copy', path: '/mnt/default/q1-copy.img' });
    assert.ok(fs.readFileSync(poolFile(sb, 'q1-copy.img')).equals(pattern), 'clone contents');
    assert.notEqual(doneC.result!.extentId, doneQ.result!.extentId);

    const list = await sb.api('GET', '/api/jobs');
    assert.deepEqual(
      (list.body.jobs as JobJson[]).map((j) => j.uuid),
      [cJob.uuid, qJob.uuid, rawJob.uuid],
    );
  } finally {
    await sb.stop();
    fs.rmSync(host, { recursive: true, force: true });
  }
});

/** A sparse raw image big enough that copying it takes seconds. */
function bigSource(dir: string): string {
  const file = path.join(dir, 'big.raw');
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, Buffer.alloc(MiB, 1), 0, MiB, 0);
  fs.ftruncateSync(fd, 64 * 1024 * MiB);
  fs.closeSync(fd);
  return file;
}

test('cancelling a running import stops it and removes its partial file; a finished job cannot be cancelled', async () => {
  const sb = await startSanbox({ ports: quiet });
  const host = tempDir('sanbox-images-');
  try {
    const job = await submit(sb, { kind: 'extent.import', name: 'big', source: bigSource(host), format: 'raw' });
    await waitFor(sb, job.uuid, (j) => j.state === 'running' && j.progress.done > 0);
    const running = await sb.api('GET', `/api/jobs/${job.uuid}`);
    assert.ok(running.body.rate > 0, 'a running job has a rate');
    // One job at a time: the next waits, and a waiting job is cancelled at once.
    const next = await submit(sb, { kind: 'extent.create-thick', name: 'next', size: '1MB' });
    assert.equal(next.state, 'queued');
    const dropped = await sb.api('POST', `/api/jobs/${next.uuid}/cancel`);
    assert.equal(dropped.status, 202);
    assert.equal(dropped.body.state, 'cancelled');
    assert.equal(dropped.body.startedAt, null);
    // The name a running job will give its extent is promised.
    const same = await sb.api('POST', '/api/jobs', { kind: 'extent.create-thick', name: 'big', size: '1MB', path: '/mnt/default/other.img' });
    assert.equal(same.status, 409);
    assert.deepEqual(same.body, {
      error: {
        code: 'job.target-pending',
        field: 'name',
        message: `Job ${job.uuid} is already making an extent with this name or path.`,
        params: { uuid: job.uuid },
      },
    });
    const r = await sb.api('POST', `/api/jobs/${job.uuid}/cancel`);
    assert.equal(r.status, 202, r.text);
    assert.equal(r.body.state, 'cancelled');
    assert.equal(r.body.result, null);
    assert.equal(r.body.rate, 0);
    assert.ok(r.body.progress.done < r.body.progress.total);
    assert.deepEqual(partials(path.dirname(poolFile(sb, 'x'))), []);
    assert.equal(fs.existsSync(poolFile(sb, 'big.img')), false);
    const extents = await sb.api('GET', `${FREENAS}/extent/`);
    assert.deepEqual(extents.body, []);

    const again = await sb.api('POST', `/api/jobs/${job.uuid}/cancel`);
    assert.equal(again.status, 409);
    assert.deepEqual(again.body, {
      error: {
        code: 'job.finished',
        field: '__all__',
        message: 'The job is already cancelled: only a queued or running job can be cancelled.',
        params: { state: 'cancelled' },
      },
    });
  } finally {
    await sb.stop();
    fs.rmSync(host, { recursive: true, force: true });
  }
});

test('a job a restart interrupts is failed with "interrupted by a restart", its partial file removed', async () => {
  const dataDir = tempDir('sanbox-data-');
  const host = tempDir('sanbox-images-');
  let sb = await startSanbox({ dataDir, ports: quiet });
  try {
    const job = await submit(sb, { kind: 'extent.import', name: 'big', source: bigSource(host) });
    const queued = await submit(sb, { kind: 'extent.create-thick', name: 'later', size: '1MB' });
    await waitFor(sb, job.uuid, (j) => j.state === 'running' && j.progress.done > 0);
    const pool = path.join(dataDir, 'pools', 'default');
    assert.equal(partials(pool).length, 1, 'the running job writes its partial file');
    await sb.stop();
    sb = await startSanbox({ dataDir, ports: quiet });
    for (const uuid of [job.uuid, queued.uuid]) {
      const r = await sb.api('GET', `/api/jobs/${uuid}`);
      assert.equal(r.body.state, 'failed');
      assert.equal(r.body.error, 'interrupted by a restart');
      assert.ok(r.body.finishedAt);
    }
    assert.deepEqual(partials(pool), []);
    assert.deepEqual(fs.readdirSync(pool), []);
    assert.deepEqual((await sb.api('GET', `${FREENAS}/extent/`)).body, []);
  } finally {
    await sb.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(host, { recursive: true, force: true });
  }
});

test('bad requests get exact error bodies and start nothing', async () => {
  const sb = await startSanbox({ ports: quiet });
  const host = tempDir('sanbox-images-');
  try {
    const text = path.join(host, 'notes.txt');
    fs.writeFileSync(text, 'hello');
    const vmdk = path.join(host, 'disk.vmdk');
    await qemuImg(['create', '-q', '-f', 'vmdk', vmdk, '1M']);
    fs.writeFileSync(poolFile(sb, 'exists.img'), 'x');
    const thick = await submit(sb, { kind: 'extent.create-thick', name: 'taken', size: '1MB' });
    await waitFor(sb, thick.uuid, finished);
    const cases: Array<[unknown, number, object]> = [
      [{}, 400, { code: 'request.invalid', field: 'kind', message: "The body must have required property 'kind'." }],
      [
        { kind: 'extent.create-thick', name: 'a', size: '1MB', color: 'red' },
        400,
        { code: 'request.invalid', field: 'color', message: 'Unknown field "color".' },
      ],
      [
        { kind: 'extent.grow' },
        400,
        {
          code: 'value.not-a-choice',
          field: 'kind',
          message: 'extent.grow is not one of the choices (extent.create-thick, extent.import, extent.clone).',
          params: { value: 'extent.grow', choices: ['extent.create-thick', 'extent.import', 'extent.clone'] },
        },
      ],
      [{ kind: 'extent.create-thick', size: '1MB' }, 400, { code: 'value.required', field: 'name', message: 'A value is required.', params: {} }],
      [{ kind: 'extent.create-thick', name: 'a' }, 400, { code: 'value.required', field: 'size', message: 'A value is required.', params: {} }],
      [
        { kind: 'extent.create-thick', name: 'a', size: 'lots' },
        400,
        { code: 'extent.size-invalid', field: 'size', message: 'Enter a size in bytes, or a number with a KB, MB, GB or TB suffix.', params: {} },
      ],
      [
        { kind: 'extent.create-thick', name: 'taken', size: '1MB' },
        409,
        { code: 'name.taken', field: 'name', message: 'An extent named "taken" already exists.', params: { entity: 'extent', name: 'taken' } },
      ],
      [
        { kind: 'extent.create-thick', name: 'a', size: '1MB', path: '/mnt/default/exists.img' },
        409,
        {
          code: 'job.path-exists',
          field: 'path',
          message: 'The file /mnt/default/exists.img already exists: a job writes a new image and never adopts one.',
          params: { path: '/mnt/default/exists.img' },
        },
      ],
      [
        { kind: 'extent.create-thick', name: 'a', size: '1MB', path: '/srv/a.img' },
        400,
        { code: 'path.outside-pools', field: 'path', message: 'The path must be inside a pool (/mnt/default).', params: { pools: ['/mnt/default'] } },
      ],
      [
        { kind: 'extent.import', name: 'a', source: 'disk.raw' },
        400,
        { code: 'job.source-not-absolute', field: 'source', message: 'The source must be the absolute path of a file on this host.', params: {} },
      ],
      [
        { kind: 'extent.import', name: 'a', source: '/nonexistent/disk.raw' },
        400,
        {
          code: 'job.source-unreadable',
          field: 'source',
          message: 'The source /nonexistent/disk.raw cannot be read: ENOENT.',
          params: { path: '/nonexistent/disk.raw', reason: 'ENOENT' },
        },
      ],
      [
        { kind: 'extent.import', name: 'a', source: text, format: 'qcow2' },
        400,
        { code: 'job.format-mismatch', field: 'format', message: 'The source is a raw image, not qcow2.', params: { format: 'qcow2', detected: 'raw' } },
      ],
      [
        { kind: 'extent.import', name: 'a', source: vmdk },
        400,
        {
          code: 'job.format-unsupported',
          field: 'format',
          message: 'Images in vmdk format cannot be imported (raw and qcow2 can).',
          params: { format: 'vmdk' },
        },
      ],
      [
        { kind: 'extent.import', name: 'a', source: text, format: 'vhd' },
        400,
        {
          code: 'value.not-a-choice',
          field: 'format',
          message: 'vhd is not one of the choices (raw, qcow2).',
          params: { value: 'vhd', choices: ['raw', 'qcow2'] },
        },
      ],
      [
        { kind: 'extent.import', name: 'a', source: text, pool: 'tank' },
        400,
        { code: 'pool.unavailable', field: 'pool', message: 'Pool "tank" is not available.', params: { pool: 'tank' } },
      ],
      [
        { kind: 'extent.clone', name: 'a', extentId: 999 },
        400,
        { code: 'reference.missing', field: 'extentId', message: 'Extent 999 does not exist.', params: { entity: 'extent', id: 999 } },
      ],
    ];
    for (const [body, status, error] of cases) {
      const r = await sb.api('POST', '/api/jobs', body);
      assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
      assert.deepEqual(r.body, { error }, JSON.stringify(body));
    }
    const missing = await sb.api('GET', '/api/jobs/1be26c0b-03f2-4d2e-ae87-c02d7f33c123');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { error: { code: 'entity.not-found', field: '__all__', message: 'No such job.', params: { entity: 'job' } } });
    assert.equal((await sb.api('GET', '/api/jobs/nope')).status, 404);
    assert.equal((await sb.api('POST', '/api/jobs/1be26c0b-03f2-4d2e-ae87-c02d7f33c123/cancel')).status, 404);
    assert.equal((await sb.api('GET', '/api/jobs')).body.jobs.length, 1, 'no job was recorded for a bad request');
  } finally {
    await sb.stop();
    fs.rmSync(host, { recursive: true, force: true });
  }
});

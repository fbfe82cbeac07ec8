/**
 * The `sanbox` client subcommands against a live sanbox, run as an operator runs them:
 * `node dist/src/main.js <args>` as a child process, the URL and credentials in its
 * environment. Each checks the table (its header and the row) and the --json output, and
 * the exit codes scripts rely on: 0 ok, 1 a failed request or job, 2 usage, 3 cannot
 * connect or authenticate.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IscsiInitiator } from '../../src/initiator/client.js';
import { FREENAS, startSanbox, type TestSanbox } from '../support/sanbox.js';
import { freePort } from './peers.js';
import { provisionTarget } from './provision.js';

const MAIN = path.resolve('dist/src/main.js');

let sb: TestSanbox;
let home: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with a clean environment: only what is given (and PATH, HOME). */
function cli(args: string[], env: Record<string, string> = {}, onSpawn?: (child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: home, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    onSpawn?.(child);
  });
}

function admin(): Record<string, string> {
  return { SANBOX_URL: sb.baseUrl, SANBOX_USER: sb.auth.user, SANBOX_PASSWORD: sb.auth.password };
}

/** Runs as admin and expects exit 0. */
async function ok(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const r = await cli(args, { ...admin(), ...env });
  assert.equal(r.code, 0, `sanbox ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
  return r;
}

async function json<T = any>(args: string[]): Promise<T> {
  const r = await ok([...args, '--json']);
  return JSON.parse(r.stdout) as T;
}

/** A table row holding all of `cells` (between the table's │ borders). */
function assertRow(table: string, cells: Array<string | number>): void {
  const rows = table.split('\n').filter((l) => l.includes('│'));
  const hit = rows.some((l) => {
    const parts = l.split('│').map((c) => c.trim());
    return cells.every((c) => parts.includes(String(c)));
  });
  assert.ok(hit, `no row with ${JSON.stringify(cells)} in\n${table}`);
}

before(async () => {
  sb = await startSanbox();
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-cli-home-'));
});
after(async () => {
  await sb.stop();
  fs.rmSync(home, { recursive: true, force: true });
});

test('sanbox --help lists every command and the exit codes; no arguments would serve', async () => {
  const r = await cli(['--help']);
  assert.equal(r.code, 0);
  for (const c of ['serve', 'status', 'pools', 'targets', 'extents', 'luns', 'sessions', 'jobs']) assert.match(r.stdout, new RegExp(`^  ${c}\\b`, 'm'));
  assert.match(r.stdout, /Exit codes: 0 ok, 1 .*, 2 .*, 3 /);
  const serve = await cli(['serve', '--help']);
  assert.equal(serve.code, 0);
  assert.match(serve.stdout, /SANBOX_DATA_DIR/);
});

test('usage errors are exit 2: an unknown command, a missing subcommand or argument, a bad option', async () => {
  for (const args of [['bogus'], ['targets'], ['targets', 'show'], ['targets', 'list', '--bogus'], ['luns', 'delete', 'x'], ['serve', 'extra']]) {
    const r = await cli(args, admin());
    assert.equal(r.code, 2, `sanbox ${args.join(' ')}: ${r.code} ${r.stderr}`);
    assert.ok(r.stderr.length > 0, `sanbox ${args.join(' ')} says why`);
  }
});

test('no connection and a wrong password are exit 3, with a message', async () => {
  const port = await freePort();
  const down = await cli(['status'], { ...admin(), SANBOX_URL: `http://127.0.0.1:${port}` });
  assert.equal(down.code, 3);
  assert.match(down.stderr, /cannot reach sanbox at http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  const wrong = await cli(['targets', 'list'], { ...admin(), SANBOX_PASSWORD: 'wrong-password' });
  assert.equal(wrong.code, 3);
  assert.match(wrong.stderr, /authentication failed \(user "admin"\)/);
  const none = await cli(['status'], { SANBOX_URL: sb.baseUrl });
  assert.equal(none.code, 3);
  assert.match(none.stderr, /SANBOX_PASSWORD or SANBOX_API_KEY/);
});

test('status: the portals, extents and TLS fingerprint as tables and as JSON', async () => {
  const live = (await sb.api('GET', '/api/status')).body;
  const r = await ok(['status']);
  assert.match(r.stdout, /ADDRESS\s+│\s+PORTAL GROUP\s+│\s+STATE\s+│\s+ERROR/);
  assert.ok(r.stdout.includes(`TLS certificate SHA-256: ${live.tls.fingerprintSha256}`), r.stdout);
  const j = await json(['status']);
  assert.equal(j.site.clusterUuid, live.site.clusterUuid);
  assert.deepEqual(j.extents, live.extents);
});

test('pools list and show: the default pool with its figures', async () => {
  const list = await ok(['pools', 'list']);
  assert.match(list.stdout, /NAME\s+│\s+TYPE\s+│\s+STATUS\s+│\s+CAPACITY/);
  assertRow(list.stdout, ['default', 'disk', 'healthy']);
  const pools = await json<any[]>(['pools', 'list']);
  const def = pools.find((p) => p.Name === 'default');
  assert.ok(def, JSON.stringify(pools));
  assert.equal(def.Type, 4);
  assert.ok(def.Capacity > 0);
  const show = await json(['pools', 'show', 'default']);
  assert.equal(show.UUID, def.UUID);
  const shown = await ok(['pools', 'show', 'default']);
  assertRow(shown.stdout, ['UUID', def.UUID]);
  const missing = await cli(['pools', 'show', 'nosuch'], admin());
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no pool named "nosuch"/);
});

test('targets, extents and luns: create, list, show, delete, in tables and JSON', async () => {
  const ext = await json(['extents', 'create', 'cli-disk', '--size', '16MB', '--pool', 'default', '--comment', 'made by the CLI']);
  assert.equal(ext.iscsi_target_extent_name, 'cli-disk');
  assert.equal(ext.iscsi_target_extent_path, '/mnt/default/cli-disk');
  assert.ok(fs.existsSync(path.join(sb.dataDir, 'pools', 'default', 'cli-disk')));
  const extList = await ok(['extents', 'list']);
  assert.match(extList.stdout, /ID\s+│\s+NAME\s+│\s+TYPE\s+│\s+PATH\s+│\s+SIZE/);
  assertRow(extList.stdout, [ext.id, 'cli-disk', 'File', '/mnt/default/cli-disk', '16MB']);
  assert.deepEqual(await json(['extents', 'list']), (await sb.api('GET', `${FREENAS}/extent/`)).body);
  assert.deepEqual(await json(['extents', 'show', 'cli-disk']), ext);
  assertRow((await ok(['extents', 'show', String(ext.id)])).stdout, ['iscsi_target_extent_comment', 'made by the CLI']);

  const created = await ok(['targets', 'create', 'cli-target', '--alias', 'from-cli']);
  assert.match(created.stdout, /ID\s+│\s+NAME\s+│\s+ALIAS/);
  assertRow(created.stdout, ['cli-target', 'from-cli']);
  const target = (await json<any[]>(['targets', 'list'])).find((t) => t.iscsi_target_name === 'cli-target');
  assert.ok(target);
  assertRow((await ok(['targets', 'list'])).stdout, [target.id, 'cli-target', 'from-cli']);
  assert.deepEqual(await json(['targets', 'show', 'cli-target']), (await sb.api('GET', `${FREENAS}/target/${target.id}/`)).body);
  assertRow((await ok(['targets', 'show', String(target.id)])).stdout, ['iscsi_target_alias', 'from-cli']);

  const lun = await json(['luns', 'create', 'cli-target', 'cli-disk', '--lun', '5']);
  assert.equal(lun.iscsi_target, target.id);
  assert.equal(lun.iscsi_extent, ext.id);
  assert.equal(lun.iscsi_lunid, 5);
  const luns = await ok(['luns', 'list', '--target', 'cli-target']);
  assert.match(luns.stdout, /ID\s+│\s+TARGET\s+│\s+LUN\s+│\s+EXTENT/);
  assertRow(luns.stdout, [lun.id, `cli-target (${target.id})`, 5, `cli-disk (${ext.id})`]);
  assert.deepEqual(await json(['luns', 'list']), [lun]);
  assert.deepEqual(await json(['luns', 'delete', String(lun.id)]), { id: lun.id, deleted: true });
  assert.deepEqual(await json(['luns', 'list']), []);

  assert.match((await ok(['targets', 'delete', 'cli-target'])).stdout, new RegExp(`deleted target ${target.id} \\(cli-target\\)`));
  assert.deepEqual(await json(['extents', 'delete', String(ext.id)]), { id: ext.id, deleted: true });
  assert.equal((await sb.api('GET', `${FREENAS}/extent/${ext.id}/`)).status, 404);
});

test('a refused request is exit 1 with the server message on stderr', async () => {
  const bad = await cli(['targets', 'create', 'Not A Valid Name'], admin());
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^sanbox: iscsi_target_name: /);
  const gone = await cli(['targets', 'show', '99999'], admin());
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /No such target/i);
  const outside = await cli(['extents', 'create', 'x', '--size', '1MB', '--path', '/etc/x'], admin());
  assert.equal(outside.code, 1);
  assert.match(outside.stderr, /iscsi_target_extent_path: /);
  const unnamed = await cli(['luns', 'create', 'nosuch', 'nosuch'], admin());
  assert.equal(unnamed.code, 1);
  assert.match(unnamed.stderr, /no target named "nosuch"/);
});

test('an API key works in every dialect the CLI speaks (Bearer, X-Api-Key, ApiKey)', async () => {
  const created = await sb.api('POST', '/api/keys', { name: 'cli' });
  assert.equal(created.status, 201, created.text);
  const env = { SANBOX_URL: sb.baseUrl, SANBOX_API_KEY: created.body.key as string };
  for (const args of [['status'], ['targets', 'list'], ['pools', 'list']]) {
    const r = await cli(args, env);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  }
  const revoked = await cli(['status'], { ...env, SANBOX_API_KEY: `${created.body.key}x` });
  assert.equal(revoked.code, 3);
  assert.match(revoked.stderr, /authentication failed \(the API key\)/);
});

test('the credentials file: its url and password are used; one readable by others is refused', async () => {
  const file = path.join(home, 'creds.json');
  fs.writeFileSync(file, JSON.stringify({ url: sb.baseUrl, user: sb.auth.user, password: sb.auth.password }), { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  const r = await cli(['status', '--json'], { SANBOX_CREDENTIALS_FILE: file });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(JSON.parse(r.stdout).site);
  fs.chmodSync(file, 0o644);
  const open = await cli(['status'], { SANBOX_CREDENTIALS_FILE: file });
  assert.equal(open.code, 3);
  assert.match(open.stderr, /accessible by others \(mode 0644\); run: chmod 600/);
  // The default place: ~/.config/sanbox/credentials.
  const dflt = path.join(home, '.config', 'sanbox', 'credentials');
  fs.mkdirSync(path.dirname(dflt), { recursive: true });
  fs.copyFileSync(file, dflt);
  fs.chmodSync(dflt, 0o600);
  assert.equal((await cli(['targets', 'list'])).code, 0);
  fs.rmSync(dflt);
  const missing = await cli(['status'], { SANBOX_CREDENTIALS_FILE: path.join(home, 'nope') });
  assert.equal(missing.code, 3);
});

test('HTTPS: a self-signed certificate needs --insecure or the pinned fingerprint', async () => {
  const url = sb.httpsUrl;
  assert.ok(url);
  const env = { ...admin(), SANBOX_URL: url };
  const strict = await cli(['status'], env);
  assert.equal(strict.code, 3);
  assert.match(strict.stderr, /cannot reach sanbox at https:.*(self.signed|certificate)/i);
  assert.equal((await cli(['status', '--insecure'], env)).code, 0);
  const fp = (await sb.api('GET', '/api/status')).body.tls.fingerprintSha256 as string;
  const pinned = await cli(['targets', 'list', '--json'], { ...env, SANBOX_TLS_FINGERPRINT: fp });
  assert.equal(pinned.code, 0, pinned.stderr);
  assert.ok(Array.isArray(JSON.parse(pinned.stdout)));
  const other = `${fp.slice(0, -2)}${fp.endsWith('00') ? '11' : '00'}`;
  const wrong = await cli(['status'], { ...env, SANBOX_TLS_FINGERPRINT: other });
  assert.equal(wrong.code, 3);
  assert.match(wrong.stderr, /not the pinned SANBOX_TLS_FINGERPRINT/);
});

test('sessions list shows a live session; sessions end ends it', async () => {
  const port = await freePort();
  const target = await provisionTarget(sb, { port, name: 'cli-sessions', size: '8MB' });
  const ini = await IscsiInitiator.connect('127.0.0.1', port);
  try {
    await ini.login({ initiatorName: 'iqn.2026-11.test:cli', targetName: target.iqn });
    const table = await ok(['sessions', 'list']);
    assert.match(table.stdout, /TSIH\s+│\s+INITIATOR\s+│\s+ADDRESS\s+│\s+TARGET/);
    assertRow(table.stdout, ['iqn.2026-11.test:cli', target.iqn]);
    const sessions = await json<any[]>(['sessions', 'list']);
    const mine = sessions.find((s) => s.initiatorName === 'iqn.2026-11.test:cli');
    assert.ok(mine, JSON.stringify(sessions));
    assert.equal(mine.target, target.iqn);
    const closed = new Promise<void>((resolve) => ini.socket.once('close', () => resolve()));
    assert.deepEqual(await json(['sessions', 'end', String(mine.tsih)]), { tsih: mine.tsih, ended: true });
    await closed;
    assert.ok(!(await json<any[]>(['sessions', 'list'])).some((s) => s.tsih === mine.tsih));
    const again = await cli(['sessions', 'end', String(mine.tsih)], admin());
    assert.equal(again.code, 1);
  } finally {
    ini.socket.destroy();
  }
});

test('extents import: a raw image becomes an extent through a job; jobs list, show, wait and cancel', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-cli-img-'));
  try {
    const image = path.join(dir, 'disk.raw');
    const data = Buffer.alloc(4 * 1024 * 1024, 0x5a);
    fs.writeFileSync(image, data);
    const imported = await json(['extents', 'import', image, '--pool', 'default', '--name', 'vm1', '--format', 'raw']);
    assert.equal(imported.state, 'succeeded', JSON.stringify(imported));
    assert.equal(imported.kind, 'extent.import');
    assert.deepEqual(imported.progress, { done: data.length, total: data.length });
    const extent = await json(['extents', 'show', 'vm1']);
    assert.equal(extent.id, imported.result.extentId);

    const jobs = await json<any[]>(['jobs', 'list']);
    assert.ok(jobs.some((j) => j.uuid === imported.uuid));
    assertRow((await ok(['jobs', 'list'])).stdout, [imported.uuid, 'extent.import', 'succeeded']);
    assert.equal((await json(['jobs', 'show', imported.uuid])).state, 'succeeded');
    assertRow((await ok(['jobs', 'show', imported.uuid])).stdout, ['state', 'succeeded']);
    assert.equal((await json(['jobs', 'wait', imported.uuid])).state, 'succeeded');
    assert.match((await ok(['jobs', 'wait', imported.uuid])).stdout, new RegExp(`job ${imported.uuid} succeeded`));

    const detached = await json(['extents', 'import', image, '--name', 'vm2', '--detach']);
    assert.ok(['queued', 'running', 'succeeded'].includes(detached.state));
    const waited = await json(['jobs', 'wait', detached.uuid]);
    assert.equal(waited.state, 'succeeded');
    const cancelEnded = await cli(['jobs', 'cancel', detached.uuid], admin());
    assert.ok(cancelEnded.code === 0 || cancelEnded.code === 1, cancelEnded.stderr);

    const failed = await cli(['extents', 'import', path.join(dir, 'missing.raw'), '--name', 'vm3'], admin());
    assert.equal(failed.code, 1);
    assert.ok(failed.stderr.length > 0);
    const unknown = await cli(['jobs', 'show', '00000000-0000-4000-8000-000000000000'], admin());
    assert.equal(unknown.code, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('extents import: Ctrl-C cancels the job, exit 1', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-cli-img-'));
  try {
    // Large and sparse: the import takes long enough to be interrupted.
    const image = path.join(dir, 'big.raw');
    fs.writeFileSync(image, '');
    fs.truncateSync(image, 8 * 1024 * 1024 * 1024);
    const r = await cli(['extents', 'import', image, '--name', 'big', '--format', 'raw', '--json'], admin(), (child) => {
      const poll = setInterval(async () => {
        const { body } = await sb.api('GET', '/api/jobs');
        if (body?.jobs?.some((j: any) => j.params?.name === 'big' && j.state === 'running')) {
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 50);
      child.on('close', () => clearInterval(poll));
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /cancelling job/);
    assert.equal(JSON.parse(r.stdout).state, 'cancelled');
    assert.equal((await sb.api('GET', `${FREENAS}/extent/`)).body.filter((e: any) => e.iscsi_target_extent_name === 'big').length, 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

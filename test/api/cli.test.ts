/**
 * `sanbox serve` as a process: --help, embedded defaults in SANBOX_DATA_DIR, and a clean
 * stop on SIGTERM/SIGINT (in-flight requests finish, the database is closed, nothing is
 * lost).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { tempDir } from '../support/sanbox.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/main.js');

test('sanbox --help describes serve and the environment', () => {
  const res = spawnSync(process.execPath, [MAIN, '--help'], { encoding: 'utf8' });
  assert.equal(res.status, 0);
  assert.match(res.stdout, /^Usage: sanbox \[options\] \[command\]/);
  assert.match(res.stdout, /^ {2}serve {2,}run the service \(the default\)/m);
  for (const name of [
    'SANBOX_DATA_DIR',
    'SANBOX_HTTP',
    'SANBOX_HTTPS',
    'SANBOX_POOLS',
    'SANBOX_ADMIN_USER',
    'SANBOX_ADMIN_PASSWORD',
    'SANBOX_TLS_CERT',
    'SANBOX_TLS_KEY',
  ]) {
    assert.ok(res.stdout.includes(name), name);
  }
  const bad = spawnSync(process.execPath, [MAIN, 'frobnicate'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
});

interface Served {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  /** Settles when the child exits, however early: a listener added later could miss it. */
  exited: Promise<number | null>;
}

function serve(dataDir: string, env: Record<string, string> = {}): Promise<Served> {
  const child = spawn(process.execPath, [MAIN, 'serve'], {
    env: { ...process.env, SANBOX_DATA_DIR: dataDir, SANBOX_HTTP: '127.0.0.1:0', SANBOX_HTTPS: '127.0.0.1:0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (chunk) => (err += chunk));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
      if (m) resolve({ child, url: m[1]!, stdout: () => out + err, exited });
    });
    void exited.then((code) => reject(new Error(`exited ${code}: ${out}${err}`)));
  });
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal}: in-flight requests finish, the database closes, the data stays`, async () => {
    const dataDir = tempDir('sanbox-cli-');
    try {
      const { child, url, stdout, exited } = await serve(dataDir);
      assert.match(stdout(), /generated a password for API user "admin"/);
      const [user, password] = fs.readFileSync(path.join(dataDir, 'admin-password'), 'utf8').trim().split(':');
      const auth = { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`, 'content-type': 'application/json' };
      const burst = Array.from({ length: 20 }, (_, i) =>
        fetch(`${url}/api/v1.0/services/iscsi/authorizedinitiator/`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ iscsi_target_initiator_comment: `c${i}` }),
        }),
      );
      // Each answer or failure is taken as it comes (a failure left for later is an unhandled rejection).
      const settled = burst.map((p) =>
        p.then(
          (value) => ({ status: 'fulfilled' as const, value }),
          (reason: unknown) => ({ status: 'rejected' as const, reason }),
        ),
      );
      await new Promise((r) => setTimeout(r, 5));
      child.kill(signal);
      assert.equal(await exited, 0, stdout());
      // Node 20's fetch can leave a request it sent unsettled for good when the closing
      // server resets the connection, with nothing left to keep this test running: a request
      // without an answer once the server is gone had none.
      let timer!: NodeJS.Timeout;
      const unanswered = new Promise<{ status: 'rejected'; reason: unknown }>((resolve) => {
        timer = setTimeout(() => resolve({ status: 'rejected', reason: new Error('no answer') }), 2000);
      });
      const answers = await Promise.all(settled.map((p) => Promise.race([p, unanswered])));
      clearTimeout(timer);
      const committed = answers.filter((a) => a.status === 'fulfilled' && a.value.status === 201).length;
      assert.ok(fs.existsSync(path.join(dataDir, 'pools', 'default')));
      // The database was closed cleanly: the WAL is checkpointed away and every 201 is there.
      assert.ok(!fs.existsSync(path.join(dataDir, 'sanbox.db-wal')), 'WAL merged on close');
      const db = new Database(path.join(dataDir, 'sanbox.db'), { readonly: true });
      const rows = (db.prepare('SELECT COUNT(*) AS n FROM initiator_groups').get() as { n: number }).n;
      db.close();
      assert.equal(rows, committed);
      // A request that arrives after the signal gets 503 (fastify's "closing") and changes nothing.
      for (const a of answers) if (a.status === 'fulfilled') assert.ok([201, 503].includes(a.value.status), String(a.value.status));
      console.log(`${signal}: ${committed} of 20 in-flight requests committed before exit`);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
}

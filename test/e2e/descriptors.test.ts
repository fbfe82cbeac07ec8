/**
 * Issue 9, defect 5's last part: a flood of iSCSI connections must never take the
 * descriptors the API needs. `sanbox serve` runs as its own process under a low
 * open-files limit (400); 640 connections that never log in arrive from 20 source
 * addresses. The process stays below its limit and the API keeps answering.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FREENAS, tempDir } from '../support/sanbox.js';
import { freePort } from './peers.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/main.js');
const PASSWORD = 'descriptor-test-password';
const OPEN_FILES = 400;

function serve(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  // `ulimit -n` lowers this process's limit only; `exec` keeps the PID.
  const child = spawn('sh', ['-c', `ulimit -n ${OPEN_FILES} && exec "$0" "$1" serve`, process.execPath, MAIN], {
    env: {
      ...process.env,
      SANBOX_DATA_DIR: dataDir,
      SANBOX_HTTP: '127.0.0.1:0',
      SANBOX_HTTPS: '127.0.0.1:0',
      SANBOX_ADMIN_PASSWORD: PASSWORD,
      SANBOX_ISCSI_LOGIN_TIMEOUT: '60', // the flood stays for the whole test
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk;
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
}

/** GET on a connection of its own (no keep-alive pool), failing after 5 s without an answer. */
function freshGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('the API did not answer a new connection within 5 s')));
    req.on('error', reject);
  });
}

function openFiles(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

function connect(port: number, localAddress: string): Promise<net.Socket | null> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress });
    s.once('connect', () => resolve(s));
    s.once('error', () => resolve(null));
    s.on('error', () => {});
  });
}

test('a flood of iSCSI connections leaves the API its descriptors', { timeout: 60_000 }, async () => {
  const dataDir = tempDir('sanbox-fd-');
  const { child, url } = await serve(dataDir);
  const sockets: net.Socket[] = [];
  try {
    const auth = { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`, 'content-type': 'application/json' };
    const port = await freePort();
    const created = await fetch(`${url}${FREENAS}/portal/`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ iscsi_target_portal_ips: [`127.0.0.1:${port}`] }),
    });
    assert.equal(created.status, 201);
    const idle = openFiles(child.pid!);
    for (let a = 1; a <= 20; a++) {
      const batch = await Promise.all(Array.from({ length: 32 }, () => connect(port, `127.0.0.${a}`)));
      for (const s of batch) if (s) sockets.push(s);
    }
    await new Promise((r) => setTimeout(r, 300));
    const held = openFiles(child.pid!);
    // A new client: a fresh TCP connection, so the API has to accept one during the flood.
    const status = await freshGet(`${url}/api/status`, auth);
    assert.equal(status.status, 200, 'the API accepts and answers a new client during the flood');
    const load = (JSON.parse(status.body) as { load: Record<string, number> }).load;
    assert.ok(load.connections! <= load.maxConnections!, JSON.stringify(load));
    assert.ok(load.loggingIn! > 0 && load.loggingIn! <= load.maxLoggingIn!, JSON.stringify(load));
    assert.equal(load.maxConnections, 144, 'the cap derived from 400 open files leaves 256 to the rest');
    assert.equal((await freshGet(`${url}${FREENAS}/portal/`, auth)).status, 200);
    const alive = sockets.filter((s) => !s.destroyed).length;
    console.log(`${sockets.length} connections made, ${alive} still open; target descriptors ${idle} idle, ${held} during the flood (limit ${OPEN_FILES})`);
    assert.ok(held < OPEN_FILES - 100, `the target holds ${held} descriptors`);
  } finally {
    for (const s of sockets) s.destroy();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

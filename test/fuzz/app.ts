/**
 * The real sanbox for the dialect targets, started once per fuzzing process (starting
 * it per input would leave no time to fuzz): a temp data dir and pool, the admin's
 * credentials, requests through Fastify's inject (the whole HTTP pipeline without a
 * socket). A request must never be a 5xx, and one that fails must leave the stored
 * configuration and the pool directory as they were.
 */
import fs from 'node:fs';
import path from 'node:path';
import { check } from './contract.js';
import { startSanbox, tempDir, type TestSanbox } from '../support/sanbox.js';

let started: Promise<{ sb: TestSanbox; pool: string }> | null = null;

/** Starts the app; a target awaits it at load, before the fuzzer's clock runs. */
export function app(): Promise<{ sb: TestSanbox; pool: string }> {
  started ??= (async () => {
    const pool = tempDir('sanbox-fuzz-pool-');
    const sb = await startSanbox({ pools: { tank: pool }, env: { SANBOX_HTTPS: 'off' } });
    // Fuzzing ends with process.exit; the temp dirs go with it here.
    process.on('exit', () => {
      fs.rmSync(pool, { recursive: true, force: true });
      fs.rmSync(sb.dataDir, { recursive: true, force: true });
    });
    return { sb, pool };
  })();
  return started;
}

/** Stops the app if a target started it (the smoke test, which imports targets in-process). */
export async function stopApp(): Promise<void> {
  if (started === null) return;
  const { sb, pool } = await started;
  started = null;
  await sb.stop();
  fs.rmSync(pool, { recursive: true, force: true });
}

/** Everything a failed request must not change: the configuration rows and the pools' files. */
function fingerprint(sb: TestSanbox): string {
  const store = sb.sanbox.services.mutations.store;
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      files.push(`${full} ${fs.lstatSync(full).size}`);
      if (entry.isDirectory()) walk(full);
    }
  };
  for (const p of store.listPools()) walk(p.path);
  return JSON.stringify({ snapshot: store.snapshot(), files });
}

export interface Route {
  method: 'POST' | 'PUT' | 'PATCH';
  url: string;
  headers?: Record<string, string>;
}

/**
 * One request at a time across every target that shares the app: the smoke test runs two
 * targets at once, and another target's successful create between `before` and the check
 * would read as this failed request's change.
 */
let turn: Promise<void> = Promise.resolve();

/** Byte 0 picks the route; the rest is the body, sent as JSON text whatever it holds. */
export function fuzzRoutes(routes: readonly Route[], data: Buffer): Promise<void> {
  const mine = turn.then(() => oneRequest(routes, data));
  turn = mine.catch(() => undefined);
  return mine;
}

async function oneRequest(routes: readonly Route[], data: Buffer): Promise<void> {
  if (data.length < 1) return;
  const { sb } = await app();
  const route = routes[data[0]! % routes.length]!;
  const before = fingerprint(sb);
  const res = await sb.sanbox.http.inject({
    method: route.method,
    url: route.url,
    headers: { ...sb.authHeaders, 'content-type': 'application/json', ...route.headers },
    payload: data.subarray(1),
  });
  check(res.statusCode < 500, `${route.method} ${route.url} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
  if (res.statusCode >= 400)
    check(fingerprint(sb) === before, `a failed ${route.method} ${route.url} (${res.statusCode}) left the store and pools as they were`);
}

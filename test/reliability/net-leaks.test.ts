/**
 * 200 connections cut at every stage a connection goes through (inside a login, inside a
 * write's Data-Out, inside a read's Data-In, inside a SendTargets answer, right after
 * login): afterwards no session is left, no login is counted as under way, the I/O budget
 * is all given back, and this process's descriptors and RSS are where they were, within
 * a bound. The figures are printed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { IscsiInitiator } from '../../src/initiator/client.js';
import { startSanbox, type TestSanbox } from '../support/sanbox.js';
import { freePort } from '../e2e/peers.js';
import { provisionTarget, type Provisioned } from '../e2e/provision.js';
import { type Fault, FaultProxy } from './support/net-proxy.js';
import { NO_DIGESTS, drainAttentions, isid, loginAs, sessions } from './support/net-scsi.js';

const CUTS = 200;
const MiB = 1024 * 1024;

let sb: TestSanbox;
let t: Provisioned;
let proxy: FaultProxy;

before(async () => {
  sb = await startSanbox();
  t = await provisionTarget(sb, { port: await freePort(), size: '16MB' });
  proxy = await FaultProxy.start(t.port);
});
after(async () => {
  await proxy.close();
  await sb.stop();
});

function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

/** The stages, each with the fault that cuts it and what the initiator does meanwhile. */
const stages: Array<{ name: string; fault: Fault | null; run: (ini: IscsiInitiator, i: number) => Promise<unknown> }> = [
  {
    name: 'login request',
    fault: { dir: 'up', opcode: 0x03, nth: 1, at: 40, action: 'cut' },
    run: (ini, i) => ini.login({ initiatorName: `iqn.2026-01.test:leak${i}`, targetName: t.iqn, isid: isid(i), ...NO_DIGESTS }),
  },
  {
    name: 'login response',
    fault: { dir: 'down', opcode: 0x23, nth: 2, at: 60, action: 'cut' },
    run: (ini, i) => ini.login({ initiatorName: `iqn.2026-01.test:leak${i}`, targetName: t.iqn, isid: isid(i), ...NO_DIGESTS }),
  },
  {
    name: 'write Data-Out',
    fault: { dir: 'up', opcode: 0x05, nth: 1, at: 5000, action: 'cut' },
    run: async (ini, i) => {
      await ini.login({ initiatorName: `iqn.2026-01.test:leak${i}`, targetName: t.iqn, isid: isid(i), ...NO_DIGESTS, keys: { ImmediateData: 'No' } });
      await drainAttentions(ini);
      await ini.write10(0, (i * 64) % 30000, Buffer.alloc(128 * 1024, i & 0xff));
    },
  },
  {
    name: 'read Data-In',
    fault: { dir: 'down', opcode: 0x25, nth: 1, at: 3000, action: 'cut' },
    run: async (ini, i) => {
      await ini.login({ initiatorName: `iqn.2026-01.test:leak${i}`, targetName: t.iqn, isid: isid(i), ...NO_DIGESTS });
      await drainAttentions(ini);
      await ini.read10(0, 0, 256);
    },
  },
  {
    name: 'SendTargets answer',
    fault: { dir: 'down', opcode: 0x24, nth: 1, at: 50, action: 'cut' },
    run: async (ini, i) => {
      await ini.login({ initiatorName: `iqn.2026-01.test:leak${i}`, isid: isid(i), ...NO_DIGESTS });
      await ini.sendTargets();
    },
  },
  {
    name: 'after login (socket closed by the initiator)',
    fault: null,
    run: async (ini, i) => {
      await ini.login({ initiatorName: `iqn.2026-01.test:leak${i}`, targetName: t.iqn, isid: isid(i), ...NO_DIGESTS });
      ini.socket.destroy();
      throw new Error('closed');
    },
  },
];

async function cutOne(i: number): Promise<void> {
  const stage = stages[i % stages.length]!;
  if (stage.fault) proxy.arm(stage.fault);
  const ini = await IscsiInitiator.connect('127.0.0.1', proxy.port);
  ini.requestTimeoutMs = 5000;
  await assert.rejects(stage.run(ini, i), `stage "${stage.name}" was not cut`);
  ini.socket.destroy();
}

/** Waits until sanbox has ended every session and the proxy holds no connection. */
async function settled(withinMs: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const live = await sessions(sb);
    const load = (await sb.api('GET', '/api/status')).body.load;
    if (live.length === 0 && load.connections === 0 && load.loggingIn === 0 && load.ioBytes === 0 && proxy.open === 0) return Date.now() - t0;
    if (Date.now() - t0 > withinMs) assert.fail(`not settled after ${withinMs} ms: ${live.length} sessions, load ${JSON.stringify(load)}, proxy ${proxy.open}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One round of CUTS cut connections; the figures before and after it. */
async function round(first: number): Promise<{ ms: number; fds: [number, number]; rss: [number, number] }> {
  globalThis.gc?.();
  const fds0 = openFds();
  const rss0 = process.memoryUsage().rss;
  const t0 = Date.now();
  // One at a time: the proxy arms the next connection; two cuts in flight would take each other's fault.
  for (let i = first; i < first + CUTS; i++) await cutOne(i);
  await settled(3000);
  const ms = Date.now() - t0;
  globalThis.gc?.();
  return { ms, fds: [fds0, openFds()], rss: [rss0, process.memoryUsage().rss] };
}

function show(what: string, r: Awaited<ReturnType<typeof round>>): void {
  const mib = (n: number) => (n / MiB).toFixed(1);
  console.log(`# ${what}: ${CUTS} cut connections in ${r.ms} ms, fds ${r.fds[0]} -> ${r.fds[1]}, RSS ${mib(r.rss[0])} -> ${mib(r.rss[1])} MiB`);
}

test(`${CUTS} connections cut at every stage leave no session, descriptor or memory behind`, { timeout: 60_000 }, async () => {
  // The first round warms up: it takes what stays (code, the I/O buffer pool's ~20 MiB, heap).
  const warm = await round(0);
  show('first round', warm);
  const r = await round(CUTS);
  show('second round', r);
  assert.equal(proxy.accepted, 2 * CUTS);
  assert.ok(warm.fds[1] - warm.fds[0] <= 4 && r.fds[1] - r.fds[0] <= 4, 'descriptors grew');
  assert.ok(r.rss[1] - r.rss[0] < 16 * MiB, `RSS grew by ${((r.rss[1] - r.rss[0]) / MiB).toFixed(1)} MiB in the second round`);

  // And the target still serves: a new session logs in, writes and reads back.
  const ini = await loginAs(t.port, t.iqn, 'iqn.2026-01.test:after-leaks', 1);
  await drainAttentions(ini);
  const w = await ini.write10(0, 0, Buffer.alloc(4096, 0x5a));
  assert.equal(w.status, 0);
  const rd = await ini.read10(0, 0, 8);
  assert.equal(rd.data[4095], 0x5a);
  ini.socket.destroy();
});

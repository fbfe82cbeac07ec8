/**
 * 200 create and delete operations at once across every dialect's resources (FreeNAS
 * extents, targets, portals, initiators; share-pool pools; ONTAP volumes, LUNs, igroups;
 * HNAS logical units and targets; Ironic volume connectors and targets). No answer is a
 * 5xx; every object created with a 2xx is listed exactly once and every one deleted with a
 * 2xx is gone; and the running target agrees with the store: the portals listen, the HNAS
 * targets are what SendTargets answers, the extents are served.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { IscsiInitiator } from '../../src/initiator/client.js';
import { startSanbox, tempDir, type ApiResponse, type TestSanbox } from '../support/sanbox.js';
import { freePort } from '../e2e/peers.js';
import { type Kind, makeKinds } from './support/net-api-kinds.js';

const OPS = 200;
/** Objects of each kind made before the storm, for it to delete. */
const OLD = 6;

let sb: TestSanbox;
let poolRoot: string;
let portalPort: number;
let kinds: Kind[];

before(async () => {
  portalPort = await freePort();
  sb = await startSanbox({ env: { SANBOX_PORTAL_PORT: String(portalPort) } });
  poolRoot = tempDir('sanbox-storm-');
  const ports: number[] = [];
  for (let i = 0; i < 40; i++) ports.push(await freePort());
  kinds = await makeKinds({ sb, ports, poolRoot });
  // The default virtual server listens on 127.0.0.1:portalPort: its targets are discovered there.
  const evs = (await sb.api('GET', '/v9/storage/virtual-servers')).body.virtualServers[0];
  const patched = await sb.api('PATCH', `/v9/storage/virtual-servers/${evs.objectId}`, { ipAddresses: ['127.0.0.1'] });
  assert.ok(patched.status < 400, patched.text);
});
after(async () => {
  await sb.stop();
  fs.rmSync(poolRoot, { recursive: true, force: true });
});

interface Op {
  kind: Kind;
  what: 'create' | 'delete';
  id: string | null;
  res: ApiResponse;
  ms: number;
}

async function timed(kind: Kind, what: Op['what'], run: () => Promise<{ id: string | null; res: ApiResponse }>): Promise<Op> {
  const t0 = performance.now();
  const { id, res } = await run();
  return { kind, what, id, res, ms: performance.now() - t0 };
}

test(`${OPS} concurrent creates and deletes across every dialect: no 5xx, nothing lost or doubled, the target agrees`, { timeout: 60_000 }, async () => {
  // What was there before the test made anything: the storm must leave it all.
  const before = new Map<Kind, string[]>();
  for (const kind of kinds) before.set(kind, await kind.list());
  // OLD objects of each kind, made one by one, for the storm to delete.
  const old = new Map<Kind, string[]>();
  let n = 0;
  for (const kind of kinds) {
    const ids: string[] = [];
    for (let j = 0; j < OLD; j++) {
      const { id, res } = await kind.create(n++);
      assert.ok(id, `${kind.name} create: ${res.status} ${res.text}`);
      ids.push(id);
    }
    old.set(kind, ids);
  }

  // The storm: every old object deleted, the rest of OPS creates spread over the kinds.
  const jobs: Array<() => Promise<Op>> = [];
  for (const kind of kinds) for (const id of old.get(kind)!) jobs.push(() => timed(kind, 'delete', async () => ({ id, res: await kind.remove(id) })));
  for (let j = 0; jobs.length < OPS; j++) {
    const kind = kinds[j % kinds.length]!;
    const i = n++;
    jobs.push(() => timed(kind, 'create', () => kind.create(i)));
  }
  // Interleaved, so deletes and creates of one kind meet in the same moment.
  // (7919 is prime, so k -> k * 7919 mod OPS is a permutation.)
  const order = jobs.map((_, k) => jobs[(k * 7919) % OPS]!);
  const t0 = Date.now();
  const ops = await Promise.all(order.map((job) => job()));
  const ms = Date.now() - t0;

  const fives = ops.filter((o) => o.res.status >= 500);
  assert.deepEqual(
    fives.map((o) => `${o.kind.name} ${o.what}: ${o.res.status} ${o.res.text}`),
    [],
  );
  const refused = ops.filter((o) => o.res.status >= 300);
  console.log(
    `# ${OPS} concurrent operations (${ops.filter((o) => o.what === 'create').length} creates, ${ops.filter((o) => o.what === 'delete').length} deletes) over ${kinds.length} resources in ${ms} ms: ${((OPS / ms) * 1000).toFixed(0)} ops/s, ${refused.length} refused`,
  );
  for (const kind of kinds) {
    const mine = ops.filter((o) => o.kind === kind).map((o) => o.ms);
    console.log(
      `#   ${kind.name}: ${mine.length} operations, mean ${(mine.reduce((a, b) => a + b, 0) / mine.length).toFixed(0)} ms, max ${Math.max(...mine).toFixed(0)} ms`,
    );
  }
  // Nothing here conflicts with anything else: every operation must succeed.
  assert.deepEqual(
    refused.map((o) => `${o.kind.name} ${o.what}: ${o.res.status} ${o.res.text.slice(0, 200)}`),
    [],
  );

  for (const kind of kinds) {
    const listed = await kind.list();
    const created = ops.filter((o) => o.kind === kind && o.what === 'create').map((o) => o.id!);
    const deleted = old.get(kind)!;
    for (const id of created) assert.equal(listed.filter((x) => x === id).length, 1, `${kind.name}: created ${id} listed once`);
    for (const id of deleted) assert.ok(!listed.includes(id), `${kind.name}: deleted ${id} still listed`);
    assert.equal(new Set(listed).size, listed.length, `${kind.name}: an object listed twice`);
    // Nothing lost: what was there before still is. (A list may hold more than its kind made:
    // FreeNAS's extents are ONTAP's LUNs and HNAS's logical units too.)
    for (const id of before.get(kind)!) assert.ok(listed.includes(id), `${kind.name}: ${id} lost`);
  }
  await dataPlaneAgrees(ops);
});

/** The running target against the store, after the storm. */
async function dataPlaneAgrees(ops: Op[]): Promise<void> {
  const status = (await sb.api('GET', '/api/status')).body;
  assert.deepEqual(status.sessions, []);
  assert.equal(status.load.connections, 0);

  // Every FreeNAS portal's address listens; the deleted ones' do not.
  const portals = (await sb.api('GET', '/api/v1.0/services/iscsi/portal/?limit=1000')).body as Array<{ iscsi_target_portal_ips: string[] }>;
  const listening = new Set((status.listeners as Array<{ address: string; state: string }>).filter((l) => l.state === 'listening').map((l) => l.address));
  for (const p of portals) for (const ip of p.iscsi_target_portal_ips) assert.ok(listening.has(ip), `portal ${ip} listens: ${[...listening].join(' ')}`);
  const stored = new Set(portals.flatMap((p) => p.iscsi_target_portal_ips));
  const stale = [...listening].filter((a) => !stored.has(a) && a !== `127.0.0.1:${portalPort}`);
  assert.deepEqual(stale, [], 'addresses still listening for deleted portals');

  // Every LU served is an extent of the store (none left behind by a delete), and online.
  const served = status.extents as Array<{ name: string; state: string }>;
  const extents = (await sb.api('GET', '/api/v1.0/services/iscsi/extent/?limit=1000')).body as Array<{ iscsi_target_extent_name: string }>;
  const names = new Set(extents.map((e) => e.iscsi_target_extent_name));
  for (const e of served) assert.ok(names.has(e.name), `extent ${e.name} served but not in the store`);
  assert.deepEqual(
    served.filter((e) => e.state !== 'online'),
    [],
  );

  // SendTargets on the default virtual server's portal: exactly the HNAS targets listed.
  const hnas = (await sb.api('GET', '/v9/storage/iscsi-targets')).body.iscsiTargets as Array<{ globalUniqueName: string }>;
  const ini = await IscsiInitiator.connect('127.0.0.1', portalPort);
  try {
    await ini.login({ initiatorName: 'iqn.2026-01.test:storm', headerDigest: 'None', dataDigest: 'None' });
    const found = (await ini.sendTargets()).map((t) => t.name);
    const wanted = hnas.map((t) => t.globalUniqueName);
    assert.deepEqual(found.filter((f) => wanted.includes(f)).sort(), [...wanted].sort(), 'every HNAS target is discovered');
    const gone = ops.filter((o) => o.kind.name === 'hnas iscsi-targets' && o.what === 'delete').length;
    assert.ok(gone > 0);
    assert.equal(found.filter((f) => f.includes('.st-tg')).length, wanted.length, 'and no deleted one');
  } finally {
    ini.socket.destroy();
  }
}

/**
 * Crash consistency (issue 16): `sanbox serve` is SIGKILLed at random moments while a
 * libiscsi initiator writes checksummed 4 KiB blocks (FUA writes, and plain writes made
 * durable by SYNCHRONIZE CACHE) and API clients create and delete extents, targets and
 * mappings; it is started again on the same data dir each time. After every restart each
 * block reads back with a valid checksum and at least the generation that was
 * acknowledged before the kill, and the store and the pool directory agree.
 *
 * SANBOX_CRASH_KILLS sets the number of kills (default 20) for a longer run.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { freePort } from '../e2e/peers.js';
import { burst, checkAgreement, newLedger } from './api-bursts.js';
import { buildWriter, readBlocks, startWriter } from './block-writer.js';
import { ChildSanbox } from './child-sanbox.js';

const FREENAS = '/api/v1.0/services/iscsi';
const KILLS = Number(process.env.SANBOX_CRASH_KILLS ?? 20);
const BLOCKS = 256; // 1 MiB of the 4 MiB LUN: blocks are rewritten often
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function created(sb: ChildSanbox, resource: string, body: unknown): Promise<any> {
  const r = await sb.api('POST', `${FREENAS}/${resource}/`, body);
  assert.equal(r.status, 201, `POST ${resource}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** The restarted target may take a moment to listen: the first read-back retries. */
async function readBack(bin: string, portal: string, iqn: string) {
  for (let attempt = 0; ; attempt++) {
    try {
      return readBlocks(bin, portal, iqn, BLOCKS);
    } catch (err) {
      if (attempt >= 20) throw err;
      await sleep(100);
    }
  }
}

test(`${KILLS} SIGKILLs under libiscsi writes and API bursts: acknowledged writes read back, store and pool agree`, {
  timeout: 60_000 + KILLS * 10_000,
}, async (t) => {
  const bin = buildWriter();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-crash-'));
  const poolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-crash-tank-'));
  const sb = new ChildSanbox(dataDir, { SANBOX_POOLS: `tank:${poolDir}` });
  try {
    await sb.start();
    const port = await freePort();
    const portal = await created(sb, 'portal', { iscsi_target_portal_ips: [`127.0.0.1:${port}`] });
    const ig = await created(sb, 'authorizedinitiator', { iscsi_target_initiator_initiators: 'ALL', iscsi_target_initiator_auth_network: 'ALL' });
    const extent = await created(sb, 'extent', {
      iscsi_target_extent_type: 'File',
      iscsi_target_extent_name: 'crash',
      iscsi_target_extent_filesize: '4MB',
      iscsi_target_extent_path: path.join(dataDir, 'pools', 'default', 'crash.img'),
    });
    const target = await created(sb, 'target', { iscsi_target_name: 'crash', iscsi_target_portalgroup: portal.id, iscsi_target_initiatorgroup: ig.id });
    await created(sb, 'targettoextent', { iscsi_target: target.id, iscsi_extent: extent.id });
    const iqn = `${(await sb.api('GET', `${FREENAS}/globalconfiguration/`)).body.iscsi_basename}:crash`;
    const where = `127.0.0.1:${port}`;

    const acked = new Array<number>(BLOCKS).fill(0);
    const ledger = newLedger();
    const restarts: number[] = [];
    let writes = 0;
    let verified = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const writer = startWriter(bin, where, iqn, BLOCKS, (kill + 1) * 10_000_000, 1000 + kill);
      let stopBurst = false;
      const bursting = burst(sb, ledger, { prefix: `k${kill}`, pool: 'tank', portalId: portal.id, initiatorGroupId: ig.id }, () => stopBurst);
      await writer.firstAck();
      // A random moment: early in a burst of writes and requests, or well into it.
      await sleep(Math.floor(Math.random() * 400));
      await sb.kill();
      stopBurst = true;
      const code = await writer.exited;
      await bursting;
      assert.ok(writer.acked.length > 0, `the writer was acknowledged before kill ${kill + 1} (exit ${code}: ${writer.stderr})`);
      for (const [block, generation] of writer.acked) acked[block] = Math.max(acked[block]!, generation);
      writes += writer.acked.length;

      restarts.push(await sb.start());
      const states = await readBack(bin, where, iqn);
      for (let b = 0; b < BLOCKS; b++) {
        const s = states[b]!;
        assert.ok(s.ok, `after kill ${kill + 1}, block ${b} is torn or not its own (generation ${s.generation})`);
        assert.ok(s.generation >= acked[b]!, `after kill ${kill + 1}, block ${b} reads generation ${s.generation}, older than the acknowledged ${acked[b]}`);
        if (acked[b]! > 0) verified++;
      }
      const problems = await checkAgreement(sb, ledger, { pool: 'tank', poolDir, prefix: /^k\d+x\d+$/ });
      assert.deepEqual(problems, [], `after kill ${kill + 1}`);
    }
    const sorted = [...restarts].sort((a, b) => a - b);
    const figures =
      `${KILLS} kills; ${writes} writes acknowledged, ${verified} block checks against an acknowledged generation passed; ` +
      `API requests answered OK ${ledger.requests.ok}, refused ${ledger.requests.refused}, unanswered ${ledger.requests.unanswered}; ` +
      `restart to API answering: median ${sorted[sorted.length >> 1]!.toFixed(0)} ms, max ${sorted[sorted.length - 1]!.toFixed(0)} ms`;
    console.log(`crash consistency: ${figures}`);
    t.diagnostic(figures);
  } finally {
    await sb.kill();
    fs.rmSync(path.dirname(bin), { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(poolDir, { recursive: true, force: true });
  }
});

/**
 * libiscsi's conformance suite, whole, destructive tests allowed, with a second portal of
 * the same target for its multipath tests. sanbox must come out of it alive and serving.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSanbox, type TestSanbox } from '../support/sanbox.js';
import { runConformance } from '../conformance/iscsi-test-cu.js';
import { freePort, iscsiUrl, run } from './peers.js';
import { provisionTarget, put, type Provisioned } from './provision.js';

let sb: TestSanbox;
let t: Provisioned;
let port2: number;

before(async () => {
  sb = await startSanbox();
  t = await provisionTarget(sb, { port: await freePort(), size: '64MB' });
  port2 = await freePort();
  await put(sb, 'portal', t.portalId, { iscsi_target_portal_ips: [`127.0.0.1:${t.port}`, `127.0.0.1:${port2}`] });
});
after(async () => {
  await sb.stop();
});

test('iscsi-test-cu runs its whole suite; sanbox survives and still serves', async () => {
  const result = await runConformance(iscsiUrl(t.port, t.iqn, 0), {
    multipathUrl: iscsiUrl(port2, t.iqn, 0),
    timeoutMs: 540_000,
  });
  const total = result.passed.length + result.skipped.size + result.failed.size;
  console.log(
    `iscsi-test-cu: ${total} tests, ${result.passed.length} passed, ${result.skipped.size} skipped, ` +
      `${result.failed.size} failed in ${result.seconds.toFixed(0)} s`,
  );
  for (const [name, why] of result.failed) console.log(`  FAILED ${name}: ${why}`);
  assert.ok(total >= 200, `the suite ran (${total} tests counted)`);

  const status = await sb.api('GET', '/api/status');
  assert.equal(status.status, 200);
  const inq = await run('iscsi-inq', [iscsiUrl(t.port, t.iqn, 0)]);
  assert.equal(inq.code, 0, inq.stderr);
  assert.match(inq.stdout, /DIRECT_ACCESS/);
});

/**
 * `npm run soak` in small: a few sessions for 15 s, so the soak keeps working between its
 * real (ten-minute) runs. It starts its own sanbox child, as the real run does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUN = fileURLToPath(new URL('../../soak/run.js', import.meta.url));

test('a 15 s soak of 4 sessions verifies every read, survives its drops and API changes, and reports', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'soak-smoke-'));
  try {
    const json = join(dir, 'report.json');
    const r = spawnSync(
      process.execPath,
      [RUN, '--secs', '15', '--sessions', '4', '--targets', '2', '--report-secs', '5', '--drop-every-ms', '500', '--json', json],
      {
        encoding: 'utf8',
        timeout: 110_000,
      },
    );
    assert.equal(r.status, 0, `soak failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^\[soak 0:0\d\] \d+ IOPS [\d.]+ MB\/s .* p50 [\d.]+ ms p99 [\d.]+ ms \| sanbox RSS [\d.]+ MiB, \d+ fds/m);
    assert.match(r.stdout, /^\[soak total\] .* mismatches 0, errors 0$/m);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    const c = report.total.counts;
    assert.equal(report.passed, true);
    assert.equal(c.mismatches, 0);
    assert.ok(c.reads > 0 && c.writes > 0 && c.unmaps > 0 && c.reservationOps > 0, JSON.stringify(c));
    assert.ok(c.drops > 0 && c.reconnects > 0, `drops ${c.drops}, reconnects ${c.reconnects}`);
    assert.ok(c.apiOps > 0, `API changes ${c.apiOps}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * A concurrent wrong-password flood from one address against a real sanbox with the
 * default throttle: how many password checks it gets admitted per second (each 401 is
 * one check; a 429 is a refusal that cost no scrypt), and that a client whose password
 * was verified before goes on working while the guesser stays throttled.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_THROTTLE } from '../../src/api/auth/throttle.js';
import { FREENAS, startSanbox } from '../support/sanbox.js';
import { flood } from '../support/auth-flood.js';

const DURATION_MS = 3500;
const CONCURRENCY = 300;

/** Checks the default schedule admits in `ms`: the free failures, then one per delay. */
function admittedBy(ms: number): number {
  let n = DEFAULT_THROTTLE.freeFailures;
  let t = 0;
  for (let f = DEFAULT_THROTTLE.freeFailures; ; f++) {
    t += Math.min(DEFAULT_THROTTLE.maxDelayMs, DEFAULT_THROTTLE.baseDelayMs * 2 ** (f - DEFAULT_THROTTLE.freeFailures));
    if (t > ms) return n;
    n++;
  }
}

test('300 concurrent guessers from one address get a bounded number of checks; a known client is unaffected', async () => {
  const sb = await startSanbox();
  try {
    const url = `${FREENAS}/portal/`;
    assert.equal((await sb.api('GET', url)).status, 200, 'the admin client has logged in once');
    const attack = flood({ url: sb.baseUrl + url, concurrency: CONCURRENCY, durationMs: DURATION_MS });
    // Midway, the admin client works as usual: known credentials are not throttled, and
    // its successes must not hand the guesser a fresh budget (that would show in the count).
    await new Promise((r) => setTimeout(r, DURATION_MS / 2));
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      assert.equal((await sb.api('GET', url)).status, 200, 'the known client is admitted');
      assert.ok(performance.now() - start < 1000, `the known client waited ${performance.now() - start} ms`);
    }
    const result = await attack;
    const checks = result.byStatus['401'] ?? 0;
    const perSecond = checks / (result.elapsedMs / 1000);
    console.log(
      `flood: ${result.sent} requests in ${Math.round(result.elapsedMs)} ms, statuses ${JSON.stringify(result.byStatus)}, ` +
        `${checks} password checks = ${perSecond.toFixed(1)} guesses/s`,
    );
    // The default schedule admits 5 checks, then one after 250 ms, 500 ms, 1 s, 2 s...:
    // 8 in 3.5 s; one more for a check that straddles the end.
    const bound = admittedBy(result.elapsedMs) + 1;
    assert.ok(checks <= bound, `${checks} checks admitted, at most ${bound} allowed`);
    assert.ok((result.byStatus['429'] ?? 0) > 10 * checks, 'the rest were refused');
    assert.ok(result.retryAfter.length > 0 && result.retryAfter.every((s) => /^[1-8]$/.test(s)), `Retry-After ${result.retryAfter}`);
  } finally {
    await sb.stop();
  }
});

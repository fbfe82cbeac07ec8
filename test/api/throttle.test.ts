/**
 * The failure throttle as a class: admission is serialised past the free failures so
 * concurrency buys a guesser nothing, a success clears nothing, and memory stays bounded
 * under 100k sources without letting fresh sources evict a live record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FailureThrottle, type Admission, type CheckTicket } from '../../src/api/auth/throttle.js';
import { sourceKey } from '../../src/api/auth/source-key.js';

const OPTIONS = { freeFailures: 3, baseDelayMs: 100, maxDelayMs: 800, windowMs: 60_000, maxTracked: 1000, refusalHoldMs: 0 };

function ticketOf(a: Admission): CheckTicket {
  assert.ok(a.admitted, 'admitted');
  return a.ticket;
}

test('past the free failures one check at a time, each after a doubling delay', () => {
  const t = new FailureThrottle(OPTIONS);
  let now = 1_000_000;
  // The free ones may run together; running checks count against the budget.
  const free = [t.admit('10.0.0.1', now), t.admit('10.0.0.1', now), t.admit('10.0.0.1', now)].map(ticketOf);
  const fourth = t.admit('10.0.0.1', now);
  assert.equal(fourth.admitted, false, 'a 4th concurrent check waits for the running ones');
  for (const ticket of free) ticket.failed(now);
  const delays: number[] = [];
  for (let i = 0; i < 6; i++) {
    const refused = t.admit('10.0.0.1', now);
    assert.equal(refused.admitted, false);
    const wait = (refused as { retryAfterMs: number }).retryAfterMs;
    delays.push(wait);
    now += wait;
    const ticket = ticketOf(t.admit('10.0.0.1', now));
    assert.equal(t.admit('10.0.0.1', now).admitted, false, 'only one check runs at a time');
    ticket.failed(now);
  }
  assert.deepEqual(delays, [100, 200, 400, 800, 800, 800]);
  assert.equal(t.admit('10.0.0.2', now).admitted, true, 'other sources are not affected');
});

test('a success clears nothing; an abandoned check counts as nothing', () => {
  const t = new FailureThrottle(OPTIONS);
  const now = 1_000_000;
  for (let i = 0; i < 3; i++) ticketOf(t.admit('10.0.0.1', now)).failed(now);
  assert.equal(t.admit('10.0.0.1', now).admitted, false);
  const later = now + 100;
  ticketOf(t.admit('10.0.0.1', later)).succeeded();
  const next = t.admit('10.0.0.1', later);
  assert.equal(next.admitted, true, 'the success left the delay as it was (none pending right after it)');
  (next as { ticket: CheckTicket }).ticket.failed(later);
  assert.deepEqual(t.admit('10.0.0.1', later), { admitted: false, retryAfterMs: 200 }, 'the 4th failure doubled the delay: the count went on');
  const u = new FailureThrottle(OPTIONS);
  for (let i = 0; i < 10; i++) ticketOf(u.admit('10.0.0.3', now)).abandoned();
  assert.equal(u.size, 0, 'abandoned checks leave no record');
});

test('a record is forgotten windowMs after its last failure, not after its first', () => {
  const t = new FailureThrottle(OPTIONS);
  let now = 1_000_000;
  for (let i = 0; i < 3; i++) ticketOf(t.admit('10.0.0.1', now)).failed(now);
  // A guesser that keeps going stays throttled beyond the first window.
  for (let i = 0; i < 20; i++) {
    now += 10_000;
    ticketOf(t.admit('10.0.0.1', now)).failed(now);
  }
  assert.equal(t.admit('10.0.0.1', now + 1).admitted, false);
  now += OPTIONS.windowMs + 1;
  const fresh = [0, 1, 2].map(() => t.admit('10.0.0.1', now));
  assert.ok(
    fresh.every((a) => a.admitted),
    'a quiet window later the free failures are back',
  );
});

test('100k sources: the table stays bounded and fresh sources cannot evict a live record', () => {
  const t = new FailureThrottle(OPTIONS);
  let now = 1_000_000;
  for (let i = 0; i < 3; i++) ticketOf(t.admit('192.0.2.1', now)).failed(now);
  for (let i = 0; i < 100_000; i++) {
    const a = t.admit(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, now);
    if (a.admitted) a.ticket.failed(now);
  }
  assert.ok(t.size <= OPTIONS.maxTracked, `tracked ${t.size}`);
  assert.equal(t.admit('192.0.2.1', now).admitted, false, 'the guesser is still throttled');
  // Sources beyond the table share one overflow record: together they are one guesser.
  const overflowed = t.admit('198.51.100.7', now);
  assert.equal(overflowed.admitted, false, 'the overflow record is throttled too');
  // Once the window has passed, quiet records make room again.
  now += OPTIONS.windowMs + 1;
  assert.equal(t.admit('198.51.100.8', now).admitted, true);
  assert.ok(t.size <= OPTIONS.maxTracked);
  const start = performance.now();
  for (let i = 0; i < 100_000; i++) {
    const a = t.admit(`172.16.${(i >> 8) & 255}.${i & 255}-${i}`, now);
    if (a.admitted) a.ticket.failed(now);
  }
  assert.ok(t.size <= OPTIONS.maxTracked);
  assert.ok(performance.now() - start < 2000, 'admission stays cheap when full');
});

test('sources: an IPv6 /64 is one source, IPv4-mapped addresses are their IPv4 address', () => {
  assert.equal(sourceKey('127.0.0.1'), '127.0.0.1');
  assert.equal(sourceKey('::ffff:127.0.0.1'), '127.0.0.1');
  assert.equal(sourceKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(sourceKey('2001:0db8:0001:0002:ffff:0:0:9'), '2001:db8:1:2::/64');
  assert.equal(sourceKey('::1'), '0:0:0:0::/64');
  assert.equal(sourceKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IoCounters, IoKind, LATENCY_BUCKETS, LatencyHistogram, TargetCounters, ioKind, loginRefusal, senseKeyOf } from '../../src/iscsi/counters.js';

test('commands are read, write or other by opcode', () => {
  for (const op of [0x08, 0x28, 0xa8, 0x88]) assert.equal(ioKind(op), IoKind.Read);
  for (const op of [0x0a, 0x2a, 0xaa, 0x8a, 0x2e, 0xae, 0x8e]) assert.equal(ioKind(op), IoKind.Write);
  for (const op of [0x00, 0x12, 0x25, 0x9e, 0x42, 0x35]) assert.equal(ioKind(op), IoKind.Other);
});

test('the sense key comes from fixed and descriptor sense data', () => {
  assert.equal(senseKeyOf(Buffer.from([0x70, 0, 0x05, 0, 0, 0, 0, 10])), 5);
  assert.equal(senseKeyOf(Buffer.from([0xf0, 0, 0x26, 0, 0, 0, 0, 10])), 6, 'VALID bit and ILI are not the key');
  assert.equal(senseKeyOf(Buffer.from([0x72, 0x07, 0x27, 0x00])), 7);
  assert.equal(senseKeyOf(undefined), -1);
  assert.equal(senseKeyOf(Buffer.alloc(2)), -1);
});

test('a latency falls in the first bucket whose bound it does not exceed (le is inclusive)', () => {
  const h = new LatencyHistogram();
  h.observe(0.0001);
  h.observe(0.00010001);
  h.observe(10);
  h.observe(11);
  assert.equal(h.counts[0], 1);
  assert.equal(h.counts[1], 1);
  assert.equal(h.counts[LATENCY_BUCKETS.length - 1], 1);
  assert.equal(h.counts[LATENCY_BUCKETS.length], 1, '+Inf');
  assert.equal(h.count, 4);
  assert.ok(Math.abs(h.sum - 21.00020001) < 1e-9);
});

test('record counts kind, bytes, latency and sense key; snapshot names the keys seen', () => {
  const c = new IoCounters();
  c.record(IoKind.Read, 0, 4096, 0.0002, -1);
  c.record(IoKind.Write, 512, 0, 0.003, -1);
  c.record(IoKind.Other, 0, 0, 0, 6);
  c.record(IoKind.Write, 0, 0, 0.001, 5);
  const s = c.snapshot();
  assert.deepEqual([s.reads, s.writes, s.others, s.bytesIn, s.bytesOut], [1, 2, 1, 512, 4096]);
  assert.deepEqual(s.errorsBySenseKey, { unit_attention: 1, illegal_request: 1 });
  assert.equal(s.readLatency.count, 1);
  assert.equal(s.writeLatency.count, 2);
});

test('login statuses map to the refusal reasons an operator reads', () => {
  assert.equal(loginRefusal(0x0201), 'bad_chap');
  assert.equal(loginRefusal(0x0202), 'initiator_not_allowed');
  assert.equal(loginRefusal(0x0203), 'target_not_found');
  assert.equal(loginRefusal(0x0204), 'target_not_found');
  assert.equal(loginRefusal(0x0301), 'service_disabled');
  assert.equal(loginRefusal(0x0302), 'too_many_sessions');
  assert.equal(loginRefusal(0x0206), 'too_many_sessions');
  assert.equal(loginRefusal(0x0200), 'other');
});

test("an initiator's counters are its ended sessions' plus its live ones'; a LU's object is made once", () => {
  const counters = new TargetCounters();
  assert.equal(counters.lu('iqn.t', 0), counters.lu('iqn.t', 0));
  const target = { name: 'iqn.t' };
  const ended = { initiatorName: 'iqn.i', target, portal: '127.0.0.1:3260', io: new IoCounters() };
  ended.io.record(IoKind.Write, 512, 0, 0.001, -1);
  counters.sessionEnded(ended);
  const live = { initiatorName: 'iqn.i', target, portal: '127.0.0.1:3260', io: new IoCounters() };
  live.io.record(IoKind.Read, 0, 1024, 0.001, -1);
  counters.loginAccepted('0.0.0.0:3260');
  counters.loginRefused('0.0.0.0:3260', 0x0201);
  const s = counters.snapshot([live]);
  assert.equal(s.initiators.length, 1);
  assert.equal(s.initiators[0]!.sessions, 1);
  assert.deepEqual([s.initiators[0]!.io.reads, s.initiators[0]!.io.writes], [1, 1]);
  assert.deepEqual(s.portals, [
    {
      portal: '0.0.0.0:3260',
      accepted: 1,
      refused: { bad_chap: 1, initiator_not_allowed: 0, target_not_found: 0, service_disabled: 0, too_many_sessions: 0, connection_limit: 0, other: 0 },
    },
  ]);
  counters.forgetTargets(() => false);
  assert.deepEqual(counters.snapshot([]).lus, []);
});

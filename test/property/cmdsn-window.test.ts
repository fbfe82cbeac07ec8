/**
 * CmdSN arithmetic is RFC 1982 serial arithmetic on 32 bits: it orders numbers across the
 * wrap at 2^32, and a session's window (ExpCmdSN..MaxCmdSN) admits, holds and drops
 * commands the same way wherever it sits, including straddling 2^32.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Session, snGt, snLt, type SessionConnection } from '../../src/iscsi/session.js';
import { defaultNegotiated } from '../../src/iscsi/params.js';
import { TestCatalog, globals } from '../iscsi/harness.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
// Distances RFC 1982 defines an order for: 1 .. 2^31 - 1.
const ahead = fc.integer({ min: 1, max: 0x7fffffff });

test('serial order: a + d follows a for every distance below 2^31, across the wrap', () => {
  fc.assert(
    fc.property(u32, ahead, (a, d) => {
      const b = (a + d) >>> 0;
      assert.ok(snLt(a, b) && snGt(b, a), `${a} < ${b}`);
      assert.ok(!snLt(b, a) && !snGt(a, b));
      assert.ok(!snLt(a, a) && !snGt(a, a));
    }),
    { numRuns: 2000 },
  );
  // The edges themselves.
  assert.ok(snLt(0xffffffff, 0) && snGt(0, 0xffffffff));
  assert.ok(snLt(0x7fffffff, 0xfffffffe) && !snLt(0xfffffffe, 0x7fffffff), '2^31 - 1 apart: still ordered');
});

const conn: SessionConnection = { cid: 1, bytesIn: 0, bytesOut: 0, processOrdered: () => {}, close: () => {}, closed: false };

function session(initialCmdSN: number, queueDepth: number): Session {
  const catalog = new TestCatalog(globals());
  const target = catalog.add({ name: 'iqn.2026-01.sanbox:window', luns: new Map(), queueDepth });
  return new Session({
    tsih: 1,
    type: 'Normal',
    initiatorName: 'iqn.2026-01.test:init',
    initiatorAlias: null,
    isidHex: '023d00000001',
    target,
    params: defaultNegotiated(),
    parameters: {},
    initiatorAddress: '127.0.0.1',
    portal: '127.0.0.1:3260',
    initialCmdSN,
  });
}

/** Near the wrap most of the time: the interesting place. */
const start = fc.oneof(fc.integer({ min: 0xffffff00, max: 0xffffffff }), fc.integer({ min: 0, max: 0x100 }), u32);

test('the window admits in order, holds ahead, drops outside, across 2^32', () => {
  fc.assert(
    fc.property(start, fc.integer({ min: 1, max: 64 }), fc.array(fc.integer({ min: -70, max: 70 }), { maxLength: 200 }), (init, depth, offsets) => {
      const s = session(init, depth);
      const held = new Set<number>();
      for (const off of offsets) {
        const exp = s.expCmdSN;
        const max = s.maxCmdSN;
        const room = (max - exp + 1) >>> 0;
        assert.ok(room >= 1 && room <= depth, `window of ${room} for depth ${depth} at ExpCmdSN ${exp}`);
        const sn = (exp + off) >>> 0;
        const verdict = s.admitCmdSN(sn, conn, off);
        if (off === 0) {
          assert.equal(verdict, 'now');
          assert.equal(s.expCmdSN, (exp + 1) >>> 0);
        } else if (off > 0 && off < room) {
          // A CmdSN already waiting is a duplicate: dropped, the first copy stays.
          assert.equal(verdict, held.has(sn) ? 'drop' : 'held', `CmdSN ${sn} inside ${exp}..${max}`);
          held.add(sn);
        } else {
          assert.equal(verdict, 'drop', `CmdSN ${sn} outside ${exp}..${max}`);
        }
        s.drain();
        for (const h of held) if (!snGt(h, s.expCmdSN)) held.delete(h);
        // Commands complete at once here: the window opens again.
        s.updateWindow();
        assert.ok(!snLt(s.maxCmdSN, max), 'MaxCmdSN never goes back');
      }
    }),
    { numRuns: 300 },
  );
});

test('held commands run in CmdSN order when the gap fills, across 2^32', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0xfffffff0, max: 0xffffffff }), fc.integer({ min: 2, max: 32 }), (init, depth) => {
      const s = session(init, depth);
      const ran: number[] = [];
      const c: SessionConnection = { ...conn, processOrdered: (item) => ran.push(item as number) };
      for (let k = depth - 1; k >= 1; k--) assert.equal(s.admitCmdSN((init + k) >>> 0, c, k), 'held');
      assert.equal(s.admitCmdSN(init, c, 0), 'now');
      s.drain();
      assert.deepEqual(
        ran,
        Array.from({ length: depth - 1 }, (_, i) => i + 1),
      );
      assert.equal(s.expCmdSN, (init + depth) >>> 0);
    }),
    { numRuns: 200 },
  );
});

/**
 * The PDU framer is indifferent to how TCP cuts the stream: a run of PDUs (random BHS
 * fields, data segments, either digest), split at every offset, frames to the same PDUs
 * as the whole stream, and those are the PDUs that were sent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Pdu } from '../../src/iscsi/pdu/bhs.js';
import { PduParser, encodePdu } from '../../src/iscsi/pdu/framer.js';
import { frame } from '../fuzz/frames.js';

const pdu = fc.record({
  bhs: fc.uint8Array({ minLength: 48, maxLength: 48 }),
  data: fc.uint8Array({ maxLength: 300 }),
});

const digests = fc.record({ header: fc.boolean(), data: fc.boolean() });

test('framing a stream split at every offset yields the PDUs sent', () => {
  fc.assert(
    fc.property(fc.array(pdu, { minLength: 1, maxLength: 4 }), digests, (pdus, d) => {
      const sent = pdus.map(({ bhs, data }) => {
        const b = Buffer.from(bhs);
        b[4] = 0; // no AHS: encodePdu frames a bare BHS
        return { bhs: b, data: Buffer.from(data) };
      });
      const stream = Buffer.concat(sent.map((p) => encodePdu(Buffer.from(p.bhs), p.data, d.header, d.data)));
      const whole = frame(stream, d);
      assert.equal(whole.error, null);
      assert.equal(whole.pdus.length, sent.length);
      whole.pdus.forEach(({ pdu: got, digestOk }, i) => {
        assert.ok(digestOk);
        assert.deepEqual(got.bhs.subarray(8), sent[i]!.bhs.subarray(8));
        assert.ok(got.data.equals(sent[i]!.data));
      });
      for (let at = 1; at < stream.length; at++) {
        const split = frame(stream, d, [at]);
        assert.equal(split.error, null, `split at ${at}`);
        assert.equal(split.pdus.length, whole.pdus.length, `split at ${at}`);
        split.pdus.forEach(({ pdu: got }, i) => {
          assert.ok(got.bhs.equals(whole.pdus[i]!.pdu.bhs) && got.data.equals(whole.pdus[i]!.pdu.data), `split at ${at}, PDU ${i}`);
        });
      }
    }),
    { numRuns: 60 },
  );
});

test('framing a stream fed in random chunk sizes yields the same PDUs', () => {
  fc.assert(
    fc.property(fc.array(pdu, { minLength: 1, maxLength: 6 }), digests, fc.array(fc.integer({ min: 1, max: 97 }), { maxLength: 40 }), (pdus, d, chunks) => {
      const stream = Buffer.concat(
        pdus.map(({ bhs, data }) => {
          const b = Buffer.from(bhs);
          b[4] = 0;
          return encodePdu(b, Buffer.from(data), d.header, d.data);
        }),
      );
      const whole = frame(stream, d);
      const split = frame(stream, d, chunks);
      assert.deepEqual(
        split.pdus.map(({ pdu: p }) => [p.bhs.toString('hex'), p.data.toString('hex')]),
        whole.pdus.map(({ pdu: p }) => [p.bhs.toString('hex'), p.data.toString('hex')]),
      );
    }),
    { numRuns: 200 },
  );
});

/**
 * The connection's read-in-place loop (read-in-place.ts): every read lands either in the
 * rest of a segment being placed (readTarget) or in one reused reading buffer, which is
 * scribbled over after each feed. The PDUs must be the whole stream's, none may keep a
 * view of the reading buffer, and placed segments must be in their destinations.
 */
function readInPlace(stream: Buffer, d: { header: boolean; data: boolean }, reads: readonly number[], place: (bhs: Buffer) => boolean) {
  const parser = new PduParser({ maxDataSegmentLength: 65536, headerDigest: d.header, dataDigest: d.data });
  const dests: Buffer[] = [];
  parser.placeData = (bhs, length) => {
    if (!place(bhs)) return null;
    const b = Buffer.alloc(length);
    dests.push(b);
    return b;
  };
  const got: { pdu: Pdu; digestOk: boolean }[] = [];
  const reading = Buffer.alloc(64);
  let at = 0;
  let i = 0;
  while (at < stream.length) {
    const target = parser.readTarget();
    const into = target ?? reading;
    const n = Math.min(Math.max(1, reads[i++ % Math.max(1, reads.length)] ?? 64), into.length, stream.length - at);
    stream.copy(into, 0, at, at + n);
    at += n;
    if (target) parser.placed(n, (pdu, digestOk) => got.push({ pdu, digestOk }));
    else {
      parser.feed(reading.subarray(0, n), (pdu, digestOk) => got.push({ pdu, digestOk }), true);
      reading.fill(0xee);
    }
  }
  return { got, dests };
}

test('reading in place (placed reads, one reused reading buffer) yields the PDUs sent', () => {
  fc.assert(
    fc.property(
      fc.array(pdu, { minLength: 1, maxLength: 6 }),
      digests,
      fc.array(fc.integer({ min: 1, max: 97 }), { maxLength: 40 }),
      fc.integer({ min: 0, max: 255 }),
      (pdus, d, reads, mask) => {
        const stream = Buffer.concat(
          pdus.map(({ bhs, data }) => {
            const b = Buffer.from(bhs);
            b[4] = 0;
            return encodePdu(b, Buffer.from(data), d.header, d.data);
          }),
        );
        const whole = frame(stream, d);
        const { got, dests } = readInPlace(stream, d, reads, (bhs) => (bhs[2]! & mask) !== 0);
        assert.deepEqual(
          got.map(({ pdu: p, digestOk }) => [p.bhs.toString('hex'), p.data.toString('hex'), digestOk]),
          whole.pdus.map(({ pdu: p, digestOk }) => [p.bhs.toString('hex'), p.data.toString('hex'), digestOk]),
        );
        for (const dest of dests)
          assert.ok(
            got.some(({ pdu: p }) => p.data === dest),
            'a placed segment is emitted as its destination',
          );
      },
    ),
    { numRuns: 300 },
  );
});

/**
 * The PDU framer (PduParser) over arbitrary bytes: byte 0 picks the digests and the
 * segment limit, bytes 1..4 a chunking; the rest is the stream. Framing in chunks must
 * give the same PDUs (and the same error) as framing it whole, and every PDU must be
 * whole: a 48-byte BHS, a data segment of the length its header says.
 */
import { check } from '../contract.js';
import { frame } from '../frames.js';
import { dataSegmentLength } from '../../../src/iscsi/pdu/bhs.js';

/** What Jazzer instruments for coverage (scripts/fuzz.mjs reads this line). */
export const instrument = ['src/iscsi/'];

export const sync = true;

export function fuzz(data: Buffer): void {
  if (data.length < 5) return;
  const digests = { header: (data[0]! & 1) !== 0, data: (data[0]! & 2) !== 0 };
  const max = data[0]! & 4 ? 512 : 65536;
  const chunks = [data[1]!, data[2]!, data[3]!, data[4]!, data[1]! ^ data[3]!];
  const stream = data.subarray(5);
  const whole = frame(stream, digests, [], max);
  const split = frame(
    stream,
    digests,
    chunks.flatMap((c) => [c, c >> 4]),
    max,
  );
  check(whole.pdus.length === split.pdus.length, 'chunking changed the number of PDUs');
  check((whole.error === null) === (split.error === null), 'chunking changed whether framing fails');
  if (whole.error && split.error) check(whole.error.code === split.error.code, 'chunking changed the framing error');
  whole.pdus.forEach(({ pdu, digestOk }, i) => {
    const other = split.pdus[i]!;
    check(pdu.bhs.length === 48, 'BHS is 48 bytes');
    check(pdu.data.length === dataSegmentLength(pdu.bhs), 'data segment has the length the header says');
    check(pdu.data.length <= max, 'data segment within the limit');
    check(pdu.bhs.equals(other.pdu.bhs) && pdu.data.equals(other.pdu.data), 'chunking changed a PDU');
    check((pdu.ahs === null) === (other.pdu.ahs === null) && (!pdu.ahs || pdu.ahs.equals(other.pdu.ahs!)), 'chunking changed an AHS');
    check(digestOk === other.digestOk, 'chunking changed a data digest verdict');
  });
}

/**
 * Operational-key negotiation (params.ts) over parsed text: the Negotiator answers or
 * throws IscsiProtocolError, and what it settles on stays inside RFC 7143's ranges and
 * our own limits (never more than we can receive or buffer).
 */
import { check, only } from '../contract.js';
import { IscsiProtocolError } from '../../../src/iscsi/errors.js';
import { Negotiator } from '../../../src/iscsi/params.js';
import { parseText } from '../../../src/iscsi/text.js';
import { globals } from '../../iscsi/harness.js';

/** What Jazzer instruments for coverage (scripts/fuzz.mjs reads this line). */
export const instrument = ['src/iscsi/'];

export const sync = true;

const G = globals({ maxRecvDataSegmentLength: 65536, maxBurstLength: 262144, firstBurstLength: 65536, maxConnections: 4, maxOutstandingR2T: 4 });

export function fuzz(data: Buffer): void {
  if (data.length < 1) return;
  const flags = data[0]!;
  const n = new Negotiator({ globals: G, digest: (['Auto', 'None', 'CRC32C'] as const)[flags % 3]!, discovery: (flags & 4) !== 0, leading: (flags & 8) === 0 });
  // Up to three requests, split at NULs the fuzzer chose (0xff marks a request boundary).
  for (const part of splitOn(data.subarray(1), 0xff).slice(0, 3)) {
    const pairs = only([IscsiProtocolError], () => parseText(part));
    if (pairs === undefined) return;
    const answers = only([IscsiProtocolError], () => n.respond(pairs));
    if (answers === undefined) return;
    const reply = [...answers, ...n.targetOffers(answers)];
    check(new Set(reply.map(([k]) => k)).size === reply.length, 'a reply names each key once');
  }
  const v = n.finish();
  check(v.targetMaxRecvDataSegmentLength === G.maxRecvDataSegmentLength, 'what we receive stays our own limit');
  check(v.initiatorMaxRecvDataSegmentLength >= 512 && v.initiatorMaxRecvDataSegmentLength <= 16777215, 'initiator MaxRecvDataSegmentLength in 512..2^24-1');
  check(v.maxBurstLength >= 512 && v.maxBurstLength <= G.maxBurstLength, 'MaxBurstLength in 512..ours');
  check(v.firstBurstLength >= 512 && v.firstBurstLength <= v.maxBurstLength, 'FirstBurstLength in 512..MaxBurstLength');
  check(v.maxConnections >= 1 && v.maxConnections <= G.maxConnections, 'MaxConnections in 1..ours');
  check(v.maxOutstandingR2T >= 1 && v.maxOutstandingR2T <= 65535, 'MaxOutstandingR2T in 1..65535');
  check(v.errorRecoveryLevel >= 0 && v.errorRecoveryLevel <= 2, 'ErrorRecoveryLevel in 0..2');
  check(v.defaultTime2Wait >= 0 && v.defaultTime2Wait <= 3600 && v.defaultTime2Retain >= 0 && v.defaultTime2Retain <= 3600, 'times in 0..3600');
  check(
    Object.values(v).every((x) => typeof x === 'boolean' || Number.isInteger(x)),
    'every value is a boolean or an integer',
  );
}

function splitOn(b: Buffer, sep: number): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= b.length; i++) {
    if (i === b.length || b[i] === sep) {
      out.push(b.subarray(start, i));
      start = i + 1;
    }
  }
  return out;
}

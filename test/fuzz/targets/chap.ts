/**
 * The CHAP exchange (chap.ts) from both ends, over keys a peer sent: the target's
 * ChapTargetExchange and our initiator's ChapInitiator step through fuzzed key sets and
 * always answer with a result (never throw); a failed step ends the exchange. Binary
 * values either parse to bytes that format back to an equal value or throw
 * ChapFormatError.
 */
import { check, only } from '../contract.js';
import { ChapFormatError, ChapInitiator, ChapTargetExchange, formatChapBinary, parseChapBinary } from '../../../src/iscsi/chap.js';
import { IscsiProtocolError } from '../../../src/iscsi/errors.js';
import { parseText } from '../../../src/iscsi/text.js';

/** What Jazzer instruments for coverage (scripts/fuzz.mjs reads this line). */
export const instrument = ['src/iscsi/'];

export const sync = true;

const CREDENTIALS = [{ user: 'alice', secret: 'alice-secret-12', peerUser: 'tgt', peerSecret: 'target-secret-34' }];
// A fixed challenge keeps a crash reproducible from its input alone.
const fixed = () => ({ id: 7, challenge: Buffer.alloc(16, 0x5a) });

function keySets(data: Buffer): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  let start = 0;
  for (let i = 0; i <= data.length && out.length < 3; i++) {
    if (i === data.length || data[i] === 0xff) {
      const pairs = only([IscsiProtocolError], () => parseText(data.subarray(start, i)));
      out.push(new Map(pairs ?? []));
      start = i + 1;
    }
  }
  return out;
}

export function fuzz(data: Buffer): void {
  if (data.length < 1) return;
  const sets = keySets(data.subarray(1));
  const target = new ChapTargetExchange({ credentials: CREDENTIALS, requireMutual: (data[0]! & 1) !== 0, challenge: fixed });
  let failed = false;
  for (const keys of sets) {
    const r = target.step(keys);
    if (failed) check(!r.ok, 'a failed exchange stays failed');
    if (!r.ok) failed = true;
    check(r.ok || typeof r.status === 'number', 'a failure carries a login status');
  }
  const initiator = new ChapInitiator({ user: 'alice', secret: 'alice-secret-12', targetUser: 'tgt', targetSecret: 'target-secret-34', challenge: fixed });
  initiator.offer();
  initiator.respond(sets[0] ?? new Map());
  initiator.verifyTarget(sets[1] ?? new Map());
  for (const keys of sets) {
    for (const v of keys.values()) {
      const bytes = only([ChapFormatError], () => parseChapBinary(v));
      if (bytes === undefined) continue;
      check(bytes.length > 0, 'a binary value has at least one byte');
      check(parseChapBinary(formatChapBinary(bytes)).equals(bytes), 'binary value formats back to the same bytes');
    }
  }
}

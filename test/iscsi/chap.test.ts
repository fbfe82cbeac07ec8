/**
 * CHAP byte vectors and exchange rules. The digests below were computed outside Node with
 * the OpenSSL CLI straight from the RFC 1994 definition, e.g. for MD5:
 *   { printf '\x2a'; printf 'Sanbox-Secret12'; printf '\x00\x01...\x0f'; } | openssl dgst -md5
 * so a mistake in how we concatenate id, secret and challenge cannot hide behind the
 * same mistake in the test.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHAP_ALGORITHMS,
  ChapFormatError,
  ChapInitiator,
  ChapTargetExchange,
  chapAlgorithm,
  chapResponse,
  formatChapBinary,
  newChallenge,
  parseChapBinary,
  selectAlgorithm,
  verifyResponse,
  type ChapAlgorithm,
  type ChapStepResult,
} from '../../src/iscsi/chap.js';
import type { ChapCredential } from '../../src/iscsi/catalog.js';

function alg(id: number): ChapAlgorithm {
  const a = chapAlgorithm(id);
  assert.ok(a, `algorithm ${id}`);
  return a;
}

/** 0x00, 0x01, ... n-1: the challenge used for the OpenSSL vectors. */
function counting(n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => i));
}

const SECRET = 'Sanbox-Secret12';
const ID = 0x2a;

const VECTORS: ReadonlyArray<[number, string]> = [
  [5, '5eb8b002b9c0e4201818f1cc912d7446'],
  [6, '141ce948f3a97ba8b8f43f9458eb00bd68207012'],
  [7, '8270ab0d5f209169d8da6d710a226a9c8f07abb9f3dde1ddc3b59ff11eebd3fb'],
  [8, 'bcc9eb98c10550d629f5368052fd22e5492c342589292639b19f73bebeb745b8'],
];

/** Login status values on the wire (RFC 7143 §11.13.5), spelled out so the test pins them. */
const LoginStatus = { InitiatorError: 0x0200, AuthenticationFailure: 0x0201 } as const;

function assertFail(r: ChapStepResult, reason: string, status: number = LoginStatus.AuthenticationFailure) {
  assert.equal(r.ok, false, `expected failure ${reason}`);
  if (r.ok) return;
  assert.equal(r.reason, reason);
  assert.equal(r.status, status);
}

function assertNoSecrets(value: unknown, secrets: string[]) {
  const text = JSON.stringify(value);
  for (const s of secrets) assert.ok(!text.includes(s), 'result leaks a secret');
}

describe('chapResponse', () => {
  for (const [id, hex] of VECTORS) {
    it(`matches the OpenSSL vector for CHAP_A=${id}`, () => {
      const a = alg(id);
      const r = chapResponse(a, ID, SECRET, counting(a.digestLength));
      assert.equal(r.toString('hex'), hex);
      assert.equal(r.length, a.digestLength);
    });
  }

  it('matches a minimal MD5 vector (id 0, secret "abc", challenge 0x00)', () => {
    const r = chapResponse(alg(5), 0, 'abc', Buffer.of(0));
    assert.equal(r.toString('hex'), 'd6f5f95f45da69cbb0d5dbafe4d3f672');
  });

  it('treats a string secret as UTF-8, same as the Buffer', () => {
    const a = alg(7);
    assert.deepEqual(chapResponse(a, 1, 'pässwörd12345', counting(32)), chapResponse(a, 1, Buffer.from('pässwörd12345'), counting(32)));
  });

  it('refuses an identifier outside one octet', () => {
    assert.throws(() => chapResponse(alg(5), 256, SECRET, counting(16)), RangeError);
    assert.throws(() => chapResponse(alg(5), -1, SECRET, counting(16)), RangeError);
  });
});

describe('algorithms', () => {
  it('has the RFC / LIO digest lengths', () => {
    assert.deepEqual(
      [...CHAP_ALGORITHMS.values()].map((a) => [a.id, a.name, a.digestLength]),
      [
        [5, 'MD5', 16],
        [6, 'SHA1', 20],
        [7, 'SHA-256', 32],
        [8, 'SHA3-256', 32],
      ],
    );
  });

  it('prefers the strongest algorithm both sides support', () => {
    assert.equal(selectAlgorithm('5')?.id, 5);
    assert.equal(selectAlgorithm('5,7')?.id, 7);
    assert.equal(selectAlgorithm('7,5')?.id, 7);
    assert.equal(selectAlgorithm('5,6,7,8')?.id, 8);
    assert.equal(selectAlgorithm('8,7,6,5', [5, 6])?.id, 6);
    assert.equal(selectAlgorithm('8,7', [5])?.id, undefined);
  });

  it('skips unknown and junk entries instead of failing', () => {
    assert.equal(selectAlgorithm('128,abc,,0x5')?.id, 5);
    assert.equal(selectAlgorithm('1,2,3'), undefined);
    assert.equal(selectAlgorithm(''), undefined);
  });

  it('newChallenge gives a one-octet id and a digest-length random challenge', () => {
    for (const a of CHAP_ALGORITHMS.values()) {
      const c = newChallenge(a);
      assert.ok(Number.isInteger(c.id) && c.id >= 0 && c.id <= 255);
      assert.equal(c.challenge.length, a.digestLength);
    }
    assert.notDeepEqual(newChallenge(alg(7)).challenge, newChallenge(alg(7)).challenge);
  });
});

describe('binary values (RFC 7143 §6.1)', () => {
  it('decodes hex with either prefix case and either digit case', () => {
    assert.deepEqual(parseChapBinary('0x00ff10Ab'), Buffer.from([0x00, 0xff, 0x10, 0xab]));
    assert.deepEqual(parseChapBinary('0X00FF'), Buffer.from([0x00, 0xff]));
  });

  it('gives an odd number of hex digits an implicit leading zero', () => {
    assert.deepEqual(parseChapBinary('0xabc'), Buffer.from([0x0a, 0xbc]));
    assert.deepEqual(parseChapBinary('0x1'), Buffer.from([0x01]));
  });

  it('decodes base64 with either prefix case, padded or not', () => {
    assert.deepEqual(parseChapBinary('0bAAECAw=='), Buffer.from([0, 1, 2, 3]));
    assert.deepEqual(parseChapBinary('0BAAECAw'), Buffer.from([0, 1, 2, 3]));
    assert.deepEqual(parseChapBinary('0bXriwArnA5CAYGPHMkS10Rg=='), Buffer.from(VECTORS[0]![1], 'hex'));
  });

  it('rejects malformed values with ChapFormatError', () => {
    const bad = [
      '',
      '0x',
      '0b',
      'abcd',
      '1234',
      '0xg0',
      '0x12 34',
      '0x-1',
      'x12',
      '0c12',
      '0bAAECAw=',
      '0bAAECA===',
      '0bA',
      '0bAA=A',
      '0bAA!B',
      '0bAB==',
      '0b====',
    ];
    for (const v of bad) {
      assert.throws(() => parseChapBinary(v), ChapFormatError, `should reject ${JSON.stringify(v)}`);
    }
  });

  it('formats as lower-case 0x hex and round-trips', () => {
    const b = Buffer.from([0xde, 0xad, 0x00, 0x01]);
    assert.equal(formatChapBinary(b), '0xdead0001');
    assert.deepEqual(parseChapBinary(formatChapBinary(b)), b);
  });
});

describe('verifyResponse', () => {
  const a = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

  it('accepts an equal response', () => {
    assert.equal(verifyResponse(a, Buffer.from(a)), true);
  });

  it('rejects a response that differs only in the last byte', () => {
    const b = Buffer.from(a);
    b[15] = b[15]! ^ 1;
    assert.equal(verifyResponse(a, b), false);
  });

  it('returns false, not throws, on a length mismatch (timingSafeEqual would throw)', () => {
    assert.equal(verifyResponse(a, a.subarray(0, 15)), false);
    assert.equal(verifyResponse(a, Buffer.concat([a, Buffer.of(0)])), false);
    assert.equal(verifyResponse(a, Buffer.alloc(0)), false);
  });
});

const ALICE: ChapCredential = { user: 'alice', secret: 'alice-secret-1', peerUser: 'target-a', peerSecret: 'target-secret-1' };
const BOB: ChapCredential = { user: 'bob', secret: 'bob-secret-123', peerUser: '', peerSecret: '' };
const SAME: ChapCredential = { user: 'same', secret: 'shared-secret1', peerUser: 'tgt', peerSecret: 'shared-secret1' };
const CREDS = [ALICE, BOB, SAME];
const ALL_SECRETS = CREDS.flatMap((c) => [c.secret, c.peerSecret]).filter((s) => s !== '');

/** A target exchange with a fixed id and counting challenge so responses are predictable. */
function target(opts: { requireMutual?: boolean; allowed?: number[] } = {}) {
  return new ChapTargetExchange({
    credentials: CREDS,
    ...opts,
    challenge: (a) => ({ id: ID, challenge: counting(a.digestLength) }),
  });
}

describe('ChapTargetExchange', () => {
  it('answers CHAP_A with the chosen algorithm, CHAP_I and CHAP_C', () => {
    const t = target();
    const r = t.step({ CHAP_A: '7,5' });
    assert.deepEqual(r, {
      ok: true,
      done: false,
      keys: { CHAP_A: '7', CHAP_I: '42', CHAP_C: formatChapBinary(counting(32)) },
    });
    assert.equal(t.state, 'await-response');
    assert.equal(t.algorithm?.name, 'SHA-256');
  });

  it('uses a random id and challenge of digest length by default', () => {
    const t = new ChapTargetExchange({ credentials: CREDS });
    const r = t.step(new Map([['CHAP_A', '6']]));
    assert.ok(r.ok);
    assert.equal(parseChapBinary(r.keys.CHAP_C!).length, 20);
    assert.match(r.keys.CHAP_I!, /^(\d|[1-9]\d|1\d\d|2[0-4]\d|25[0-5])$/);
  });

  it('accepts the OpenSSL MD5 vector for one-way CHAP and sends no keys back', () => {
    const t = new ChapTargetExchange({
      credentials: [{ user: 'vec', secret: SECRET, peerUser: '', peerSecret: '' }],
      challenge: () => ({ id: ID, challenge: counting(16) }),
    });
    assert.ok(t.step({ CHAP_A: '5' }).ok);
    const r = t.step({ CHAP_N: 'vec', CHAP_R: `0x${VECTORS[0]![1]}` });
    assert.deepEqual(r, { ok: true, done: true, keys: {}, user: 'vec' });
    assert.equal(t.state, 'done');
  });

  it('accepts the response in base64 too', () => {
    const t = new ChapTargetExchange({
      credentials: [{ user: 'vec', secret: SECRET, peerUser: '', peerSecret: '' }],
      challenge: () => ({ id: ID, challenge: counting(16) }),
    });
    t.step({ CHAP_A: '5' });
    const b64 = Buffer.from(VECTORS[0]![1], 'hex').toString('base64');
    assert.equal(t.step({ CHAP_N: 'vec', CHAP_R: `0b${b64}` }).ok, true);
  });

  for (const [id] of VECTORS) {
    it(`completes one-way and mutual CHAP with ChapInitiator for CHAP_A=${id}`, () => {
      const t = new ChapTargetExchange({ credentials: CREDS, allowed: [id] });
      const i = new ChapInitiator({ user: 'alice', secret: ALICE.secret, targetUser: 'target-a', targetSecret: ALICE.peerSecret });
      const s1 = t.step(i.offer());
      assert.ok(s1.ok);
      assert.equal(s1.keys.CHAP_A, String(id));
      const s2 = i.respond(s1.keys);
      assert.ok(s2.ok && !s2.done);
      const s3 = t.step(s2.keys);
      assert.ok(s3.ok && s3.done);
      assert.equal(s3.keys.CHAP_N, 'target-a');
      assert.equal(parseChapBinary(s3.keys.CHAP_R!).length, alg(id).digestLength);
      assert.deepEqual(i.verifyTarget(s3.keys), { ok: true, done: true, keys: {}, user: 'target-a' });
      assertNoSecrets([s1, s2, s3], ALL_SECRETS);
    });
  }

  it('computes the mutual response as H(initiator id || peer secret || initiator challenge)', () => {
    const t = target();
    t.step({ CHAP_A: '5' });
    const r = t.step({
      CHAP_N: 'alice',
      CHAP_R: formatChapBinary(chapResponse(alg(5), ID, ALICE.secret, counting(16))),
      CHAP_I: '7',
      CHAP_C: '0x0102030405',
    });
    assert.ok(r.ok);
    assert.equal(r.keys.CHAP_R, formatChapBinary(chapResponse(alg(5), 7, ALICE.peerSecret, Buffer.from('0102030405', 'hex'))));
  });

  it('fails an unknown user with the same work as a known one and no secrets', () => {
    const t = target();
    t.step({ CHAP_A: '5' });
    const r = t.step({ CHAP_N: 'mallory', CHAP_R: formatChapBinary(Buffer.alloc(16)) });
    assertFail(r, 'unknown-user');
    assert.equal(!r.ok && r.user, 'mallory');
    assertNoSecrets(r, ALL_SECRETS);
    assert.equal(t.state, 'failed');
  });

  it('fails a wrong response', () => {
    const t = target();
    t.step({ CHAP_A: '5' });
    const wrong = chapResponse(alg(5), ID, 'not-the-secret', counting(16));
    const r = t.step({ CHAP_N: 'alice', CHAP_R: formatChapBinary(wrong) });
    assertFail(r, 'bad-response');
    assertNoSecrets(r, ALL_SECRETS);
  });

  it('fails a response computed for another identifier', () => {
    const t = target();
    t.step({ CHAP_A: '5' });
    const r = t.step({ CHAP_N: 'alice', CHAP_R: formatChapBinary(chapResponse(alg(5), ID + 1, ALICE.secret, counting(16))) });
    assertFail(r, 'bad-response');
  });

  it('treats a response of the wrong length as malformed', () => {
    const t = target();
    t.step({ CHAP_A: '7' });
    const md5Sized = chapResponse(alg(5), ID, ALICE.secret, counting(32));
    assertFail(t.step({ CHAP_N: 'alice', CHAP_R: formatChapBinary(md5Sized) }), 'malformed', LoginStatus.InitiatorError);
  });

  it('refuses a reflected challenge before answering it', () => {
    const t = target();
    const s1 = t.step({ CHAP_A: '5' });
    assert.ok(s1.ok);
    const r = t.step({
      CHAP_N: 'alice',
      CHAP_R: formatChapBinary(chapResponse(alg(5), ID, ALICE.secret, counting(16))),
      CHAP_I: '9',
      CHAP_C: s1.keys.CHAP_C!,
    });
    assertFail(r, 'reflected-challenge');
    assert.equal(!r.ok && 'keys' in r, false);
  });

  it('catches a reflected challenge written in another encoding', () => {
    const t = target();
    t.step({ CHAP_A: '5' });
    const r = t.step({
      CHAP_N: 'alice',
      CHAP_R: formatChapBinary(chapResponse(alg(5), ID, ALICE.secret, counting(16))),
      CHAP_I: '9',
      CHAP_C: `0b${counting(16).toString('base64')}`,
    });
    assertFail(r, 'reflected-challenge');
  });

  it('refuses mutual CHAP when peer secret equals the initiator secret', () => {
    const t = target();
    t.step({ CHAP_A: '5' });
    const r = t.step({
      CHAP_N: 'same',
      CHAP_R: formatChapBinary(chapResponse(alg(5), ID, SAME.secret, counting(16))),
      CHAP_I: '1',
      CHAP_C: '0x00112233445566778899aabbccddeeff',
    });
    assertFail(r, 'same-secret');
    assertNoSecrets(r, ALL_SECRETS);
  });

  it('allows one-way CHAP for a credential whose peer secret is the same (it is never used)', () => {
    const t = target();
    t.step({ CHAP_A: '5' });
    const r = t.step({ CHAP_N: 'same', CHAP_R: formatChapBinary(chapResponse(alg(5), ID, SAME.secret, counting(16))) });
    assert.equal(r.ok, true);
  });

  it('fails mutual CHAP when the credential has no peer user/secret', () => {
    const t = target();
    t.step({ CHAP_A: '5' });
    const r = t.step({
      CHAP_N: 'bob',
      CHAP_R: formatChapBinary(chapResponse(alg(5), ID, BOB.secret, counting(16))),
      CHAP_I: '1',
      CHAP_C: '0xff',
    });
    assertFail(r, 'mutual-not-configured');
  });

  it('with requireMutual, fails an initiator that does not ask for mutual CHAP', () => {
    const t = target({ requireMutual: true });
    t.step({ CHAP_A: '5' });
    const r = t.step({ CHAP_N: 'alice', CHAP_R: formatChapBinary(chapResponse(alg(5), ID, ALICE.secret, counting(16))) });
    assertFail(r, 'mutual-required');
  });

  it('with requireMutual, completes when the initiator asks for mutual CHAP', () => {
    const t = target({ requireMutual: true });
    t.step({ CHAP_A: '5' });
    const r = t.step({
      CHAP_N: 'alice',
      CHAP_R: formatChapBinary(chapResponse(alg(5), ID, ALICE.secret, counting(16))),
      CHAP_I: '1',
      CHAP_C: '0xff',
    });
    assert.ok(r.ok && r.done && r.keys.CHAP_N === 'target-a');
  });

  it('checks the initiator challenge length: non-empty, at most 1024 bytes', () => {
    const resp = formatChapBinary(chapResponse(alg(5), ID, ALICE.secret, counting(16)));
    const attempt = (c: string) => {
      const t = target();
      t.step({ CHAP_A: '5' });
      return t.step({ CHAP_N: 'alice', CHAP_R: resp, CHAP_I: '1', CHAP_C: c });
    };
    assertFail(attempt('0x'), 'malformed', LoginStatus.InitiatorError);
    assertFail(attempt(`0x${'ab'.repeat(1025)}`), 'malformed', LoginStatus.InitiatorError);
    assert.equal(attempt(`0x${'ab'.repeat(1024)}`).ok, true);
  });

  it('treats missing, half or malformed keys as malformed', () => {
    const resp = formatChapBinary(chapResponse(alg(5), ID, ALICE.secret, counting(16)));
    const cases: Record<string, string>[] = [
      { CHAP_R: resp },
      { CHAP_N: 'alice' },
      { CHAP_N: 'alice', CHAP_R: 'deadbeef' },
      { CHAP_N: 'alice', CHAP_R: resp, CHAP_I: '1' },
      { CHAP_N: 'alice', CHAP_R: resp, CHAP_C: '0x01' },
      { CHAP_N: 'alice', CHAP_R: resp, CHAP_I: '256', CHAP_C: '0x01' },
      { CHAP_N: 'alice', CHAP_R: resp, CHAP_I: '-1', CHAP_C: '0x01' },
      { CHAP_N: 'alice', CHAP_R: resp, CHAP_I: '1', CHAP_C: 'xyz' },
    ];
    for (const keys of cases) {
      const t = target();
      t.step({ CHAP_A: '5' });
      assertFail(t.step(keys), 'malformed', LoginStatus.InitiatorError);
    }
  });

  it('accepts a hex CHAP_I from the initiator', () => {
    const t = target();
    t.step({ CHAP_A: '5' });
    const r = t.step({
      CHAP_N: 'alice',
      CHAP_R: formatChapBinary(chapResponse(alg(5), ID, ALICE.secret, counting(16))),
      CHAP_I: '0xff',
      CHAP_C: '0x01',
    });
    assert.ok(r.ok);
    assert.equal(r.keys.CHAP_R, formatChapBinary(chapResponse(alg(5), 255, ALICE.peerSecret, Buffer.of(1))));
  });

  it('waits for CHAP_A when called with no keys at all', () => {
    const t = target();
    assert.deepEqual(t.step(new Map()), { ok: true, done: false, keys: {} });
    assert.equal(t.state, 'await-algorithm');
    assert.equal(t.step({ CHAP_A: '5' }).ok, true);
  });

  it('fails an offer with no acceptable algorithm, or no CHAP_A at all', () => {
    assertFail(target({ allowed: [7] }).step({ CHAP_A: '5' }), 'unsupported-algorithm');
    assertFail(target().step({ CHAP_N: 'alice' }), 'malformed', LoginStatus.InitiatorError);
  });

  it('ignores object prototype keys in a plain key object', () => {
    const t = target();
    const keys = Object.assign(Object.create({ CHAP_A: '5' }) as Record<string, string>, { CHAP_X: '1' });
    assertFail(t.step(keys), 'malformed', LoginStatus.InitiatorError);
  });

  it('fails anything after completion or failure', () => {
    const t = target();
    t.step({ CHAP_A: '5' });
    const ok = t.step({ CHAP_N: 'alice', CHAP_R: formatChapBinary(chapResponse(alg(5), ID, ALICE.secret, counting(16))) });
    assert.ok(ok.ok);
    assertFail(t.step({ CHAP_A: '5' }), 'malformed', LoginStatus.InitiatorError);
    assert.equal(t.state, 'failed');
  });

  it('skips credentials with an empty secret', () => {
    const t = new ChapTargetExchange({
      credentials: [{ user: 'empty', secret: '', peerUser: '', peerSecret: '' }],
      challenge: () => ({ id: ID, challenge: counting(16) }),
    });
    t.step({ CHAP_A: '5' });
    assertFail(t.step({ CHAP_N: 'empty', CHAP_R: formatChapBinary(chapResponse(alg(5), ID, '', counting(16))) }), 'unknown-user');
  });
});

describe('ChapInitiator', () => {
  it('offers the strongest first by default, or what it is told', () => {
    assert.deepEqual(new ChapInitiator({ user: 'u', secret: 's' }).offer(), { CHAP_A: '8,7,6,5' });
    assert.deepEqual(new ChapInitiator({ user: 'u', secret: 's', offer: [5] }).offer(), { CHAP_A: '5' });
  });

  it('answers the OpenSSL vector for one-way CHAP', () => {
    const i = new ChapInitiator({ user: 'vec', secret: SECRET });
    const r = i.respond({ CHAP_A: '8', CHAP_I: String(ID), CHAP_C: formatChapBinary(counting(32)) });
    assert.deepEqual(r, { ok: true, done: true, keys: { CHAP_N: 'vec', CHAP_R: `0x${VECTORS[3]![1]}` } });
  });

  it('refuses an algorithm it did not offer', () => {
    const i = new ChapInitiator({ user: 'u', secret: 'sssssssssssss', offer: [7] });
    assertFail(i.respond({ CHAP_A: '5', CHAP_I: '1', CHAP_C: '0x00' }), 'unsupported-algorithm');
  });

  it('refuses mutual CHAP with its own secret for the target', () => {
    const i = new ChapInitiator({ user: 'u', secret: 'same-secret-12', targetUser: 't', targetSecret: 'same-secret-12' });
    const r = i.respond({ CHAP_A: '5', CHAP_I: '1', CHAP_C: formatChapBinary(counting(16)) });
    assertFail(r, 'same-secret');
    assertNoSecrets(r, ['same-secret-12']);
  });

  it('never sends the target its own challenge back', () => {
    let calls = 0;
    const i = new ChapInitiator({
      user: 'alice',
      secret: ALICE.secret,
      targetUser: 'target-a',
      targetSecret: ALICE.peerSecret,
      challenge: () => (calls++, { id: 3, challenge: counting(16) }),
    });
    const r = i.respond({ CHAP_A: '5', CHAP_I: '1', CHAP_C: formatChapBinary(counting(16)) });
    assert.ok(r.ok);
    assert.equal(calls, 1);
    assert.notEqual(r.keys.CHAP_C, formatChapBinary(counting(16)));
  });

  it('rejects a wrong target name or response', () => {
    const mk = () => {
      const i = new ChapInitiator({
        user: 'alice',
        secret: ALICE.secret,
        targetUser: 'target-a',
        targetSecret: ALICE.peerSecret,
        challenge: () => ({ id: 3, challenge: Buffer.from('ab'.repeat(16), 'hex') }),
      });
      assert.ok(i.respond({ CHAP_A: '5', CHAP_I: '1', CHAP_C: formatChapBinary(counting(16)) }).ok);
      return i;
    };
    const good = formatChapBinary(chapResponse(alg(5), 3, ALICE.peerSecret, Buffer.from('ab'.repeat(16), 'hex')));
    assert.equal(mk().verifyTarget({ CHAP_N: 'target-a', CHAP_R: good }).ok, true);
    assertFail(mk().verifyTarget({ CHAP_N: 'target-b', CHAP_R: good }), 'unknown-user');
    const reflected = formatChapBinary(chapResponse(alg(5), 3, ALICE.secret, Buffer.from('ab'.repeat(16), 'hex')));
    assertFail(mk().verifyTarget({ CHAP_N: 'target-a', CHAP_R: reflected }), 'bad-response');
    assertFail(mk().verifyTarget({ CHAP_N: 'target-a', CHAP_R: '0xzz' }), 'malformed', LoginStatus.InitiatorError);
  });

  it('has nothing to verify without a mutual challenge outstanding', () => {
    const i = new ChapInitiator({ user: 'u', secret: 'one-way-secret' });
    assertFail(i.verifyTarget({ CHAP_N: 't', CHAP_R: '0x00' }), 'malformed', LoginStatus.InitiatorError);
  });
});

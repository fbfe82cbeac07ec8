/**
 * CHAP for iSCSI login (RFC 7143 §12.1.3 over RFC 1994), both directions, as pure
 * functions over Buffers and text-key maps. No sockets, no logging: the login engine
 * feeds in the keys it decoded and sends back the keys we return.
 *
 * Algorithms are the PPP CHAP numbers (IANA "PPP Authentication Algorithms") that LIO
 * and open-iscsi implement: 5 MD5, 6 SHA1, 7 SHA-256, 8 SHA3-256. Like LIO, the
 * challenge we send is as long as the algorithm's digest.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { ChapCredential } from './catalog.js';
import { chapFailure, ChapFormatError, type ChapFailure } from './chap-errors.js';

export { ChapFormatError, type ChapFailure } from './chap-errors.js';

export type ChapAlgorithmId = 5 | 6 | 7 | 8;

export interface ChapAlgorithm {
  /** Value of CHAP_A on the wire. */
  readonly id: ChapAlgorithmId;
  readonly name: 'MD5' | 'SHA1' | 'SHA-256' | 'SHA3-256';
  /** node:crypto hash name. */
  readonly hash: 'md5' | 'sha1' | 'sha256' | 'sha3-256';
  /** Bytes in a response, and in the challenges we generate. */
  readonly digestLength: number;
}

export const CHAP_ALGORITHMS: ReadonlyMap<ChapAlgorithmId, ChapAlgorithm> = new Map<ChapAlgorithmId, ChapAlgorithm>([
  [5, { id: 5, name: 'MD5', hash: 'md5', digestLength: 16 }],
  [6, { id: 6, name: 'SHA1', hash: 'sha1', digestLength: 20 }],
  [7, { id: 7, name: 'SHA-256', hash: 'sha256', digestLength: 32 }],
  [8, { id: 8, name: 'SHA3-256', hash: 'sha3-256', digestLength: 32 }],
]);

/** Strongest first: the order we prefer when both sides support several. */
const STRENGTH: readonly ChapAlgorithmId[] = [8, 7, 6, 5];

/** RFC 7143 §12.1.3: C and R "MUST NOT exceed 1024 bytes" in binary length. */
export const MAX_CHAP_BINARY_LENGTH = 1024;

/** RFC 1994 Identifier is one octet. */
const MAX_CHAP_ID = 255;

export function chapAlgorithm(id: number): ChapAlgorithm | undefined {
  return CHAP_ALGORITHMS.get(id as ChapAlgorithmId);
}

/** Parses an RFC 7143 numerical value (decimal or 0x hex); undefined if it is neither. */
function parseNumber(text: string): number | undefined {
  if (/^[0-9]{1,10}$/.test(text)) return Number(text);
  if (/^0[xX][0-9a-fA-F]{1,8}$/.test(text)) return Number.parseInt(text.slice(2), 16);
  return undefined;
}

/**
 * Picks the strongest algorithm that is both in the peer's CHAP_A value list (e.g. "7,5")
 * and in `allowed`. Unknown or non-numeric entries are skipped, not fatal: RFC 7143 lets
 * the initiator offer values we have never heard of.
 */
export function selectAlgorithm(offered: string, allowed: readonly number[] = STRENGTH): ChapAlgorithm | undefined {
  const offeredIds = new Set<number>();
  for (const token of offered.split(',')) {
    const n = parseNumber(token.trim());
    if (n !== undefined) offeredIds.add(n);
  }
  for (const id of STRENGTH) {
    if (offeredIds.has(id) && allowed.includes(id)) return CHAP_ALGORITHMS.get(id);
  }
  return undefined;
}

export interface ChapChallenge {
  readonly id: number;
  readonly challenge: Buffer;
}

/** A random identifier and a random challenge as long as the algorithm's digest. */
export function newChallenge(alg: ChapAlgorithm): ChapChallenge {
  return { id: randomInt(0, MAX_CHAP_ID + 1), challenge: randomBytes(alg.digestLength) };
}

/** RFC 1994 §4.1: Response = H(Identifier || secret || Challenge). A string secret is UTF-8. */
export function chapResponse(alg: ChapAlgorithm, id: number, secret: string | Buffer, challenge: Buffer): Buffer {
  if (!Number.isInteger(id) || id < 0 || id > MAX_CHAP_ID) throw new RangeError('CHAP identifier must be 0..255');
  const h = createHash(alg.hash);
  h.update(Buffer.of(id));
  h.update(typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret);
  h.update(challenge);
  return h.digest();
}

const HEX_BODY = /^[0-9a-fA-F]+$/;
const BASE64_BODY = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Decodes an RFC 7143 §6.1 binary-value: "0x"/"0X" + hex digits, or "0b"/"0B" + base64.
 * An odd number of hex digits has an implicit leading zero nibble (byte length is
 * (n+1)/2, per §6.1). Base64 must be RFC 4648 canonical: node's own decoder silently
 * skips junk, so the alphabet, the padding and the unused trailing bits are checked here.
 */
export function parseChapBinary(value: string): Buffer {
  const prefix = value.slice(0, 2);
  const body = value.slice(2);
  if (prefix === '0x' || prefix === '0X') {
    if (!HEX_BODY.test(body)) throw new ChapFormatError('hex binary-value needs one or more hex digits after 0x');
    return Buffer.from(body.length % 2 === 1 ? `0${body}` : body, 'hex');
  }
  if (prefix === '0b' || prefix === '0B') {
    if (!BASE64_BODY.test(body)) throw new ChapFormatError('base64 binary-value has characters outside the base64 alphabet');
    const padded = body.includes('=');
    if (padded ? body.length % 4 !== 0 : body.length % 4 === 1) {
      throw new ChapFormatError('base64 binary-value has a bad length or padding');
    }
    const bytes = Buffer.from(body, 'base64');
    // Re-encoding exposes non-zero pad bits, which a canonical encoder never emits.
    if (bytes.toString('base64').replace(/=+$/, '') !== body.replace(/=+$/, '')) {
      throw new ChapFormatError('base64 binary-value is not canonical');
    }
    if (bytes.length === 0) throw new ChapFormatError('base64 binary-value is empty');
    return bytes;
  }
  throw new ChapFormatError('binary-value must start with 0x or 0b');
}

/** Encodes a binary-value the way LIO and open-iscsi send it: lower-case hex. */
export function formatChapBinary(buf: Buffer): string {
  return `0x${buf.toString('hex')}`;
}

/**
 * Constant-time comparison of two responses. The length check first is not a leak worth
 * hiding (response lengths are public, fixed by the algorithm) and timingSafeEqual
 * throws on unequal lengths.
 */
export function verifyResponse(expected: Buffer, got: Buffer): boolean {
  if (expected.length !== got.length) return false;
  return timingSafeEqual(expected, got);
}

/** Decoded text keys as the login engine has them: a Map or a plain object. */
export type TextKeys = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

function key(keys: TextKeys, name: string): string | undefined {
  if (keys instanceof Map) return keys.get(name);
  const rec = keys as Readonly<Record<string, string>>;
  return Object.hasOwn(rec, name) ? rec[name] : undefined;
}

function keyCount(keys: TextKeys): number {
  return keys instanceof Map ? keys.size : Object.keys(keys).length;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; detail: string };

function parseId(text: string | undefined, name: string): Parsed<number> {
  if (text === undefined) return { ok: false, detail: `${name} is missing` };
  const n = parseNumber(text);
  if (n === undefined || n > MAX_CHAP_ID) return { ok: false, detail: `${name} is not a number in 0..255` };
  return { ok: true, value: n };
}

function parseBinaryKey(text: string | undefined, name: string): Parsed<Buffer> {
  if (text === undefined) return { ok: false, detail: `${name} is missing` };
  try {
    const value = parseChapBinary(text);
    if (value.length > MAX_CHAP_BINARY_LENGTH) {
      return { ok: false, detail: `${name} exceeds ${MAX_CHAP_BINARY_LENGTH} bytes` };
    }
    return { ok: true, value };
  } catch (err) {
    if (err instanceof ChapFormatError) return { ok: false, detail: `${name}: ${err.message}` };
    throw err;
  }
}

export type ChapKeys = Record<string, string>;

export interface ChapStepOk {
  readonly ok: true;
  /** True once authentication is complete; the login engine may then move on. */
  readonly done: boolean;
  /** Keys to send back, in order; empty after one-way CHAP succeeds. */
  readonly keys: ChapKeys;
  /** The authenticated CHAP_N, once done. */
  readonly user?: string;
}

export type ChapStepResult = ChapStepOk | ChapFailure;

export interface ChapTargetOptions {
  /** The auth group's credentials; the initiator's CHAP_N picks one. */
  readonly credentials: readonly ChapCredential[];
  /** Auth method "CHAP Mutual": the initiator must ask the target to authenticate too. */
  readonly requireMutual?: boolean;
  /** CHAP_A values we accept; default all four. */
  readonly allowed?: readonly number[];
  /** Source of the identifier and challenge; tests pass a fixed one. */
  readonly challenge?: (alg: ChapAlgorithm) => ChapChallenge;
}

export type ChapTargetState = 'await-algorithm' | 'await-response' | 'done' | 'failed';

/**
 * The target side of one CHAP exchange (one per connection):
 *   step 1: { CHAP_A }                                   -> { CHAP_A, CHAP_I, CHAP_C }
 *   step 2: { CHAP_N, CHAP_R [, CHAP_I, CHAP_C] }         -> {} or { CHAP_N, CHAP_R } (mutual)
 * Any failure ends the exchange: RFC 7143 wants the login rejected, not retried.
 */
export class ChapTargetExchange {
  #state: ChapTargetState = 'await-algorithm';
  #alg: ChapAlgorithm | undefined;
  #id = 0;
  #challenge: Buffer = Buffer.alloc(0);
  readonly #options: ChapTargetOptions;

  constructor(options: ChapTargetOptions) {
    this.#options = options;
  }

  get state(): ChapTargetState {
    return this.#state;
  }

  /** The algorithm chosen in step 1. */
  get algorithm(): ChapAlgorithm | undefined {
    return this.#alg;
  }

  step(keys: TextKeys): ChapStepResult {
    let result: ChapStepResult;
    switch (this.#state) {
      case 'await-algorithm':
        result = this.#chooseAlgorithm(keys);
        break;
      case 'await-response':
        result = this.#checkResponse(keys);
        break;
      default:
        result = chapFailure('malformed', `CHAP keys received after the exchange ${this.#state === 'done' ? 'completed' : 'failed'}`);
    }
    if (!result.ok) this.#state = 'failed';
    return result;
  }

  #chooseAlgorithm(keys: TextKeys): ChapStepResult {
    // The login engine may call us with no CHAP keys right after AuthMethod=CHAP is
    // agreed; nothing has happened yet, so wait for CHAP_A instead of failing.
    if (keyCount(keys) === 0) return { ok: true, done: false, keys: {} };
    const offered = key(keys, 'CHAP_A');
    if (offered === undefined) return chapFailure('malformed', 'CHAP_A is missing');
    const alg = selectAlgorithm(offered, this.#options.allowed);
    if (alg === undefined) return chapFailure('unsupported-algorithm', `no acceptable algorithm in CHAP_A=${offered.slice(0, 64)}`);
    const { id, challenge } = (this.#options.challenge ?? newChallenge)(alg);
    this.#alg = alg;
    this.#id = id;
    this.#challenge = challenge;
    this.#state = 'await-response';
    return {
      ok: true,
      done: false,
      keys: { CHAP_A: String(alg.id), CHAP_I: String(id), CHAP_C: formatChapBinary(challenge) },
    };
  }

  #checkResponse(keys: TextKeys): ChapStepResult {
    const alg = this.#alg!;
    // Parse everything before judging anything, so a malformed message is reported as such.
    const user = key(keys, 'CHAP_N');
    if (user === undefined || user === '') return chapFailure('malformed', 'CHAP_N is missing');
    const r = parseBinaryKey(key(keys, 'CHAP_R'), 'CHAP_R');
    if (!r.ok) return chapFailure('malformed', r.detail, user);
    if (r.value.length !== alg.digestLength) {
      return chapFailure('malformed', `CHAP_R is ${r.value.length} bytes, ${alg.name} gives ${alg.digestLength}`, user);
    }
    const hasI = key(keys, 'CHAP_I') !== undefined;
    const hasC = key(keys, 'CHAP_C') !== undefined;
    if (hasI !== hasC) return chapFailure('malformed', 'mutual CHAP needs both CHAP_I and CHAP_C', user);
    let mutual: { id: number; challenge: Buffer } | undefined;
    if (hasI) {
      const id = parseId(key(keys, 'CHAP_I'), 'CHAP_I');
      if (!id.ok) return chapFailure('malformed', id.detail, user);
      const c = parseBinaryKey(key(keys, 'CHAP_C'), 'CHAP_C');
      if (!c.ok) return chapFailure('malformed', c.detail, user);
      mutual = { id: id.value, challenge: c.value };
      // RFC 7143 §12.1.3: an initiator must not reuse our challenge; answering it would
      // hand an attacker the response to our own challenge.
      if (c.value.equals(this.#challenge)) {
        return chapFailure('reflected-challenge', 'initiator CHAP_C equals the challenge the target sent', user);
      }
    } else if (this.#options.requireMutual) {
      return chapFailure('mutual-required', 'target requires mutual CHAP; initiator sent no CHAP_I/CHAP_C', user);
    }

    // Try every credential with this user, and compute a digest even for an unknown
    // user, so the time taken says nothing about which users exist.
    let matched: ChapCredential | undefined;
    let known = false;
    for (const cred of this.#options.credentials) {
      if (cred.user !== user || cred.secret === '') continue;
      known = true;
      const ok = verifyResponse(chapResponse(alg, this.#id, cred.secret, this.#challenge), r.value);
      if (ok && matched === undefined) matched = cred;
    }
    if (!known) {
      verifyResponse(chapResponse(alg, this.#id, UNKNOWN_USER_SECRET, this.#challenge), r.value);
      return chapFailure('unknown-user', 'no credential for this CHAP_N', user);
    }
    if (matched === undefined) return chapFailure('bad-response', 'CHAP_R does not match', user);

    if (mutual === undefined) {
      this.#state = 'done';
      return { ok: true, done: true, keys: {}, user };
    }
    if (matched.peerUser === '' || matched.peerSecret === '') {
      return chapFailure('mutual-not-configured', 'initiator asked for mutual CHAP; no peer user/secret configured', user);
    }
    // RFC 7143 §12.1.3: one secret in both directions lets each side be impersonated
    // with the other's answers.
    if (matched.peerSecret === matched.secret) {
      return chapFailure('same-secret', 'mutual CHAP refused: peer secret equals the initiator secret', user);
    }
    this.#state = 'done';
    return {
      ok: true,
      done: true,
      keys: {
        CHAP_N: matched.peerUser,
        CHAP_R: formatChapBinary(chapResponse(alg, mutual.id, matched.peerSecret, mutual.challenge)),
      },
      user,
    };
  }
}

/** Only there to spend the same work for unknown users; never matches anything real. */
const UNKNOWN_USER_SECRET = Buffer.alloc(16);

export interface ChapInitiatorOptions {
  readonly user: string;
  readonly secret: string | Buffer;
  /** Set targetSecret to ask the target to authenticate itself (mutual CHAP); targetUser,
   *  when set, is the CHAP_N the target must answer with. */
  readonly targetUser?: string;
  readonly targetSecret?: string | Buffer;
  /** CHAP_A values to offer, in preference order; default strongest first. */
  readonly offer?: readonly ChapAlgorithmId[];
  /** Source of our identifier and challenge for mutual CHAP; tests pass a fixed one. */
  readonly challenge?: (alg: ChapAlgorithm) => ChapChallenge;
}

/**
 * The initiator side: offer() -> send CHAP_A; respond(target's A/I/C) -> send N/R (+I/C);
 * verifyTarget(target's N/R) when mutual. Used by our own initiator and by tests.
 */
export class ChapInitiator {
  readonly #options: ChapInitiatorOptions;
  #alg: ChapAlgorithm | undefined;
  #mine: ChapChallenge | undefined;

  constructor(options: ChapInitiatorOptions) {
    this.#options = options;
  }

  get mutual(): boolean {
    const { targetSecret } = this.#options;
    return targetSecret !== undefined && targetSecret.length > 0;
  }

  offer(): ChapKeys {
    return { CHAP_A: (this.#options.offer ?? STRENGTH).join(',') };
  }

  respond(keys: TextKeys): ChapStepResult {
    const offered = this.#options.offer ?? STRENGTH;
    const a = parseNumber(key(keys, 'CHAP_A') ?? '');
    const alg = a === undefined ? undefined : chapAlgorithm(a);
    if (alg === undefined || !offered.includes(alg.id)) {
      return chapFailure('unsupported-algorithm', 'target chose a CHAP_A we did not offer');
    }
    const id = parseId(key(keys, 'CHAP_I'), 'CHAP_I');
    if (!id.ok) return chapFailure('malformed', id.detail);
    const c = parseBinaryKey(key(keys, 'CHAP_C'), 'CHAP_C');
    if (!c.ok) return chapFailure('malformed', c.detail);
    this.#alg = alg;
    const out: ChapKeys = {
      CHAP_N: this.#options.user,
      CHAP_R: formatChapBinary(chapResponse(alg, id.value, this.#options.secret, c.value)),
    };
    if (!this.mutual) return { ok: true, done: true, keys: out };
    if (secretsEqual(this.#options.secret, this.#options.targetSecret!)) {
      return chapFailure('same-secret', 'mutual CHAP refused: target secret equals the initiator secret');
    }
    let mine = (this.#options.challenge ?? newChallenge)(alg);
    // Never send the target its own challenge back (it would rightly refuse us).
    while (mine.challenge.equals(c.value)) mine = newChallenge(alg);
    this.#mine = mine;
    out.CHAP_I = String(mine.id);
    out.CHAP_C = formatChapBinary(mine.challenge);
    return { ok: true, done: false, keys: out };
  }

  /** Checks the target's CHAP_N / CHAP_R answer to our challenge (mutual CHAP only). */
  verifyTarget(keys: TextKeys): ChapStepResult {
    const alg = this.#alg;
    const mine = this.#mine;
    if (alg === undefined || mine === undefined) return chapFailure('malformed', 'no mutual CHAP challenge outstanding');
    const name = key(keys, 'CHAP_N');
    if (name === undefined) return chapFailure('malformed', 'CHAP_N is missing');
    const r = parseBinaryKey(key(keys, 'CHAP_R'), 'CHAP_R');
    if (!r.ok) return chapFailure('malformed', r.detail, name);
    const want = this.#options.targetUser;
    if (want !== undefined && name !== want) return chapFailure('unknown-user', 'target CHAP_N is not the expected one', name);
    const expected = chapResponse(alg, mine.id, this.#options.targetSecret!, mine.challenge);
    if (!verifyResponse(expected, r.value)) return chapFailure('bad-response', 'target CHAP_R does not match', name);
    return { ok: true, done: true, keys: {}, user: name };
  }
}

function secretsEqual(a: string | Buffer, b: string | Buffer): boolean {
  const ab = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const bb = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  return ab.equals(bb);
}

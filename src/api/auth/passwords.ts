/**
 * Password hashing for API users: scrypt with a per-password salt, encoded as
 * "scrypt$N$r$p$salt$hash" (base64) so the cost can rise later without a migration.
 */
import { randomBytes, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;
const KEYLEN = 32;

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, KEYLEN, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** An encoded hash taken apart: what a check needs (plain data, so it can go to a worker). */
export interface DecodedHash {
  salt: Buffer;
  expected: Buffer;
  options: ScryptOptions;
}

export function decodePasswordHash(encoded: string): DecodedHash | null {
  const [scheme, n, r, p, saltB64, hashB64] = encoded.split('$');
  if (scheme !== 'scrypt' || !saltB64 || !hashB64) return null;
  return {
    salt: Buffer.from(saltB64, 'base64'),
    expected: Buffer.from(hashB64, 'base64'),
    options: { N: Number(n), r: Number(r), p: Number(p) },
  };
}

/**
 * Runs scrypt on the calling thread. Never call it on the event loop of a serving process
 * (start-up excepted): the API's checks run it on their own worker (password-checker.ts),
 * not on libuv's thread pool either, which the data path needs for fdatasync and slow writes.
 */
export function matchesHash(password: string, hash: DecodedHash): boolean {
  const actual = scryptSync(password, hash.salt, hash.expected.length, hash.options);
  return timingSafeEqual(actual, hash.expected);
}

/** Synchronous check, for start-up (the server is not answering yet). */
export function verifyPassword(password: string, encoded: string): boolean {
  const hash = decodePasswordHash(encoded);
  return hash !== null && matchesHash(password, hash);
}

/** A password for a first start: 24 characters from a URL-safe alphabet (144 bits). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * Password hashing for API users: scrypt with a per-password salt, encoded as
 * "scrypt$N$r$p$salt$hash" (base64) so the cost can rise later without a migration.
 */
import { randomBytes, scrypt, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;
const KEYLEN = 32;

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, KEYLEN, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64'), hash.toString('base64')].join('$');
}

interface Encoded {
  salt: Buffer;
  expected: Buffer;
  options: ScryptOptions;
}

function decode(encoded: string): Encoded | null {
  const [scheme, n, r, p, saltB64, hashB64] = encoded.split('$');
  if (scheme !== 'scrypt' || !saltB64 || !hashB64) return null;
  return {
    salt: Buffer.from(saltB64, 'base64'),
    expected: Buffer.from(hashB64, 'base64'),
    options: { N: Number(n), r: Number(r), p: Number(p) },
  };
}

/** Synchronous check, for start-up (the server is not answering yet). */
export function verifyPassword(password: string, encoded: string): boolean {
  const e = decode(encoded);
  if (!e) return false;
  return timingSafeEqual(scryptSync(password, e.salt, e.expected.length, e.options), e.expected);
}

/**
 * The same check off the event loop: scrypt takes tens of milliseconds, and this process
 * also serves iSCSI I/O, which must not stall while a request is authenticated.
 */
export function verifyPasswordAsync(password: string, encoded: string): Promise<boolean> {
  const e = decode(encoded);
  if (!e) return Promise.resolve(false);
  return new Promise((resolve, reject) => {
    scrypt(password, e.salt, e.expected.length, e.options, (err, actual) => {
      if (err) reject(err);
      else resolve(timingSafeEqual(actual, e.expected));
    });
  });
}

/** A password for a first start: 24 characters from a URL-safe alphabet (144 bits). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

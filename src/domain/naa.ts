/**
 * NAA identifiers for extents (VPD page 83h). NAA type 6 (IEEE Registered Extended):
 * '6', a 24-bit company id, then vendor-specific bits. We use a locally-administered
 * style OID and random bits; uniqueness is checked against the store by the caller.
 */
import { randomBytes } from 'node:crypto';

/** Company id field used by sanbox extents (fixed, so its extents are recognisable). */
const SANBOX_OUI = '589cfc';

/** 16 hex digits: 6 + OUI (6 digits) + 9 random digits. */
export function generateNaa(): string {
  return `6${SANBOX_OUI}${randomBytes(5).toString('hex').slice(0, 9)}`;
}

/** Accepts "0x6589cfc0001234567" or plain 16 hex digits; returns 16 lowercase digits or null. */
export function parseNaa(text: string): string | null {
  const match = /^(?:0x)?([0-9a-f]{16})$/i.exec(text.trim());
  return match ? match[1]!.toLowerCase() : null;
}

/**
 * Why a CHAP exchange failed, as a machine-readable reason plus the wire-level Login
 * status it maps to (ws-style: tests assert both). Reasons and details never carry a
 * secret or a computed response: they end up in logs and in the login engine's answer.
 */
import { LoginStatus } from './errors.js';

export type ChapFailureReason =
  /** A key missing, out of sequence, or not a valid number / binary-value. */
  | 'malformed'
  /** None of the offered CHAP_A values is one we allow. */
  | 'unsupported-algorithm'
  /** CHAP_N names no configured credential (initiator side: the target's CHAP_N is not the expected one). */
  | 'unknown-user'
  /** CHAP_R does not match. */
  | 'bad-response'
  /** The peer sent back the challenge it was given (RFC 7143 §12.1.3 reflection attack). */
  | 'reflected-challenge'
  /** Mutual CHAP is required but the initiator did not send CHAP_I and CHAP_C. */
  | 'mutual-required'
  /** The initiator asked the target to authenticate, but the credential has no peer user/secret. */
  | 'mutual-not-configured'
  /** Both directions would use the same secret, which lets one side replay the other's answers. */
  | 'same-secret';

export interface ChapFailure {
  readonly ok: false;
  readonly reason: ChapFailureReason;
  /** Login status to answer with: RFC 7143 §12.1.3 wants Authentication Failure for
   *  CHAP failures; keys that are unusable as such are an Initiator Error. */
  readonly status: LoginStatus;
  /** Human-readable, for logs; never contains a secret. */
  readonly detail: string;
  /** The CHAP_N involved, when known: names are not secrets and help operators. */
  readonly user?: string;
}

export function chapFailure(reason: ChapFailureReason, detail: string, user?: string): ChapFailure {
  const status = reason === 'malformed' ? LoginStatus.InitiatorError : LoginStatus.AuthenticationFailure;
  return user === undefined ? { ok: false, reason, status, detail } : { ok: false, reason, status, detail, user };
}

/** Thrown by parseChapBinary; the message names the problem, never the value. */
export class ChapFormatError extends Error {
  readonly code = 'CHAP_MALFORMED_BINARY';
  constructor(message: string) {
    super(message);
    this.name = 'ChapFormatError';
  }
}

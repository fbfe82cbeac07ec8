/** The messages between password-checker.ts and its worker, password-worker.ts. */
import type { ScryptOptions } from 'node:crypto';

export interface CheckRequest {
  id: number;
  password: string;
  salt: Uint8Array;
  expected: Uint8Array;
  options: ScryptOptions;
}

export type CheckReply = { id: number; matches: boolean } | { id: number; error: string };

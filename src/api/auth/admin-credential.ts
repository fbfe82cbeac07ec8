/**
 * The admin user's password, settled at start: SANBOX_ADMIN_PASSWORD wins (its hash
 * replaces the stored one); otherwise the stored hash stays; otherwise a password is
 * generated, its hash stored, and the password shown once and copied to a mode-0600
 * file in the data directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CredentialRepository } from '../../domain/repository.js';
import { generatePassword, hashPassword, verifyPassword } from './passwords.js';

export const PASSWORD_FILE = 'admin-password';

export interface AdminCredentialResult {
  /** Set only when a password was generated on this start. */
  generated: { password: string; file: string } | null;
}

export function settleAdminCredential(store: CredentialRepository, dataDir: string, user: string, fromEnv: string | null): AdminCredentialResult {
  const stored = store.getPasswordHash(user);
  if (fromEnv !== null) {
    if (!stored || !verifyPassword(fromEnv, stored)) store.setPasswordHash(user, hashPassword(fromEnv));
    return { generated: null };
  }
  if (stored) return { generated: null };
  const password = generatePassword();
  const file = path.join(dataDir, PASSWORD_FILE);
  fs.writeFileSync(file, `${user}:${password}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  store.setPasswordHash(user, hashPassword(password));
  return { generated: { password, file } };
}

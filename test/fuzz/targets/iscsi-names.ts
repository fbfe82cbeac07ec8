/** iSCSI names (domain/iscsi-names.ts): the checks are total and agree with each other. */
import { check, text } from '../contract.js';
import { hasIscsiPrefix, isIscsiName, MAX_ISCSI_NAME, TARGET_NAME_CHARS } from '../../../src/domain/iscsi-names.js';

/** What Jazzer instruments for coverage (scripts/fuzz.mjs reads this line). */
export const instrument = ['src/domain/'];

export const sync = true;

export function fuzz(data: Buffer): void {
  const s = text(data);
  if (isIscsiName(s)) {
    check(s.length <= MAX_ISCSI_NAME, 'a valid name is at most 223 characters');
    check(hasIscsiPrefix(s), 'a valid name has an iqn./eui./naa. prefix');
  }
  TARGET_NAME_CHARS.test(s);
}

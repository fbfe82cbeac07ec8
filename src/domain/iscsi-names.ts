/**
 * iSCSI names (RFC 3720 §3.2.6, RFC 3721): iqn., eui. and naa. forms, and the target-name
 * rule FreeNAS documents: a name that is not already one of those gets the basename
 * prepended when served.
 */

const IQN = /^iqn\.\d{4}-(0[1-9]|1[0-2])\.[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[^\s,]*)?$/i;
const EUI = /^eui\.[0-9a-f]{16}$/i;
const NAA = /^naa\.([0-9a-f]{16}|[0-9a-f]{32})$/i;
/** RFC 3722 stringprep output is at most 223 bytes. */
export const MAX_ISCSI_NAME = 223;

export function isIscsiName(name: string): boolean {
  return Buffer.byteLength(name) <= MAX_ISCSI_NAME && (IQN.test(name) || EUI.test(name) || NAA.test(name));
}

export function hasIscsiPrefix(name: string): boolean {
  return /^(iqn|eui|naa)\./i.test(name);
}

/** Characters allowed in a target name (what follows the basename and a colon). */
export const TARGET_NAME_CHARS = /^[a-z0-9][a-z0-9.:-]*$/;

/** The name initiators see (one rule, shared with the data plane). */
export { servedTargetName } from './served-name.js';

/**
 * The iSCSI name a target is served under: names that are already iSCSI names (iqn., eui.,
 * naa.) are used as they are, others get the global basename prepended, as FreeNAS does.
 */
export function servedTargetName(basename: string, name: string): string {
  return /^(iqn|eui|naa)\./i.test(name) ? name : `${basename}:${name}`;
}

/**
 * The iSCSI name a target is served under: names that are already iSCSI names (iqn., eui.,
 * naa.) are used as they are; others get the global basename prepended, as FreeNAS does.
 * Another tenant than the default one (id 1) also puts its id before the name
 * ("<basename>:t2:disk0"), so that tenants may each have a target "disk0": served names
 * are one namespace on the wire, and the domain keeps them unique across tenants.
 */
import { DEFAULT_TENANT_ID } from './tenants.js';

export function servedTargetName(basename: string, target: { name: string; tenantId: number }): string {
  if (/^(iqn|eui|naa)\./i.test(target.name)) return target.name;
  return target.tenantId === DEFAULT_TENANT_ID ? `${basename}:${target.name}` : `${basename}:t${target.tenantId}:${target.name}`;
}

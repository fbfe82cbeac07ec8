/**
 * The TargetCatalog the iSCSI transport reads at every login, rebuilt whole on each
 * reconcile and swapped in one assignment, so a login never sees half a change.
 */
import type {
  AuthPolicy,
  PortalAddress,
  TargetCatalog,
  TargetGlobals,
  TargetNode,
} from '../iscsi/catalog.js';
import type { LogicalUnit } from '../scsi/types.js';
import type { GlobalSettings } from '../domain/entities.js';
import { addressInNetworks, initiatorNameMatches, parseNetworks } from '../domain/network-match.js';
import { planKey, type DesiredState, type TargetPlan } from './desired-state.js';
import { splitListenAddress } from './portal-address.js';

export class LiveCatalog implements TargetCatalog {
  /** By plan key: lower-cased name and portal group tag. */
  private readonly byName = new Map<string, TargetNode>();
  private readonly byTag = new Map<number, TargetNode[]>();
  private readonly addresses = new Map<number, PortalAddress[]>();
  private readonly settings: TargetGlobals;

  /** `lunsOf` holds each plan's LUNs, resolved to open LUs, by plan key. */
  constructor(globals: GlobalSettings, state: DesiredState, lunsOf: ReadonlyMap<string, ReadonlyMap<number, LogicalUnit>>) {
    this.settings = { ...targetGlobals(globals, state.discoveryAuth), serviceAvailable: state.enabled };
    for (const [tag, list] of state.portalsByTag) this.addresses.set(tag, list.map(splitListenAddress));
    for (const plan of state.targets) {
      const node = targetNode(plan, lunsOf.get(plan.key) ?? new Map());
      this.byName.set(plan.key, node);
      const inGroup = this.byTag.get(node.portalGroupTag) ?? [];
      inGroup.push(node);
      this.byTag.set(node.portalGroupTag, inGroup);
    }
  }

  globals(): TargetGlobals {
    return this.settings;
  }

  target(name: string, portalGroupTag: number): TargetNode | undefined {
    return this.byName.get(planKey(name, portalGroupTag));
  }

  targetsInGroup(portalGroupTag: number): readonly TargetNode[] {
    return this.byTag.get(portalGroupTag) ?? [];
  }

  portalAddresses(portalGroupTag: number): readonly PortalAddress[] {
    return this.addresses.get(portalGroupTag) ?? [];
  }
}

function targetGlobals(g: GlobalSettings, discoveryAuth: AuthPolicy): TargetGlobals {
  return {
    maxRecvDataSegmentLength: g.maxRecvDataSegmentLength,
    firstBurstLength: g.firstBurstLength,
    maxBurstLength: g.maxBurstLength,
    maxOutstandingR2T: g.maxOutstandingR2T,
    maxConnections: g.maxConnections,
    maxSessions: g.maxSessions,
    defaultTime2Wait: g.defaultTime2Wait,
    defaultTime2Retain: g.defaultTime2Retain,
    nopInInterval: g.nopInIntervalSec,
    ioTimeout: g.ioTimeoutSec,
    discoveryAuth,
  };
}

function targetNode(plan: TargetPlan, luns: ReadonlyMap<number, LogicalUnit>): TargetNode {
  return {
    name: plan.name,
    alias: plan.alias,
    portalGroupTag: plan.portalGroupTag,
    luns,
    auth: plan.auth,
    digest: plan.digest,
    queueDepth: plan.queueDepth,
    admits: admission(plan.admission),
  };
}

function admission(rule: TargetPlan['admission']): TargetNode['admits'] {
  if (!rule) return () => true;
  const names = rule.initiators.some((n) => n.toUpperCase() === 'ALL') ? 'ALL' : rule.initiators;
  const parsed = parseNetworks(rule.networks.join(' '));
  const networks = parsed.ok ? parsed.value : [];
  return (initiatorName, address) =>
    (names === 'ALL' || initiatorNameMatches(initiatorName, names)) &&
    (networks === 'ALL' || addressInNetworks(address, networks));
}

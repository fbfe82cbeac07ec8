/**
 * The TargetCatalog the iSCSI transport reads at every login, rebuilt whole on each
 * reconcile and swapped in one assignment, so a login never sees half a change.
 */
import type { AuthPolicy, PortalAddress, TargetCatalog, TargetGlobals, TargetNode } from '../iscsi/catalog.js';
import type { LogicalUnit } from '../scsi/types.js';
import type { GlobalSettings } from '../domain/entities.js';
import { addressInNetworks, initiatorNameMatches, parseNetworks } from '../domain/network-match.js';
import { accessFor } from '../domain/network-access.js';
import { planKey, type DesiredState, type LunView, type TargetPlan } from './desired-state.js';
import { splitListenAddress } from './portal-address.js';

export class LiveCatalog implements TargetCatalog {
  /** By plan key: lower-cased name and portal group id. */
  private readonly byName = new Map<string, TargetNode>();
  /** By portal group id. */
  private readonly byGroup = new Map<number, TargetNode[]>();
  private readonly addresses = new Map<number, PortalAddress[]>();
  private readonly settings: TargetGlobals;

  /**
   * `lunsOf` holds each plan's LUNs, resolved to open LUs, by plan key; `viewsOf` a masked
   * plan's views' LUNs, in the order of `plan.views`.
   */
  constructor(
    globals: GlobalSettings,
    state: DesiredState,
    lunsOf: ReadonlyMap<string, ReadonlyMap<number, LogicalUnit>>,
    viewsOf: ReadonlyMap<string, ReadonlyMap<number, LogicalUnit>[]> = new Map(),
  ) {
    this.settings = targetGlobals(globals, state.discoveryAuth);
    for (const [id, list] of state.portalsByGroup) this.addresses.set(id, list.map(splitListenAddress));
    for (const plan of state.targets) {
      const luns = lunsOf.get(plan.key) ?? new Map();
      const views = viewsOf.get(plan.key);
      const node = plan.views && views ? maskedNode(plan, luns, plan.views, views) : withReadOnlyViews(plan, targetNode(plan, luns));
      this.byName.set(plan.key, node);
      const inGroup = this.byGroup.get(node.portalGroup) ?? [];
      inGroup.push(node);
      this.byGroup.set(node.portalGroup, inGroup);
    }
  }

  globals(): TargetGlobals {
    return this.settings;
  }

  target(name: string, portalGroup: number): TargetNode | undefined {
    return this.byName.get(planKey(name, portalGroup));
  }

  targetsInGroup(portalGroup: number): readonly TargetNode[] {
    return this.byGroup.get(portalGroup) ?? [];
  }

  portalAddresses(portalGroup: number): readonly PortalAddress[] {
    return this.addresses.get(portalGroup) ?? [];
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
    portalGroup: plan.portalGroup,
    portalGroupTag: plan.portalGroupTag,
    luns,
    auth: plan.auth,
    digest: plan.digest,
    queueDepth: plan.queueDepth,
    admits: admission(plan.admission),
    serviceAvailable: plan.available,
  };
}

/**
 * A tenant-wide target: admitted where a view admits; each initiator (and address) gets a
 * node of its own whose LUNs are the target's plus those of every view admitting it, the
 * first view naming a number winning. Kept per initiator for this catalog's life, so a
 * command's lookup costs one map read.
 */
function maskedNode(plan: TargetPlan, own: ReadonlyMap<number, LogicalUnit>, views: LunView[], resolved: ReadonlyMap<number, LogicalUnit>[]): TargetNode {
  const rules = views.map((v) => admission({ initiators: v.initiators, networks: v.networks, rules: v.rules }));
  const base = targetNode(plan, own);
  const seen = new Map<string, TargetNode>();
  const viewFor = (initiatorName: string, address: string): TargetNode => {
    const key = `${initiatorName.toLowerCase()}|${address}`;
    let node = seen.get(key);
    if (!node) {
      const luns = new Map(own);
      rules.forEach((admits, i) => {
        if (!admits(initiatorName, address)) return;
        for (const [lun, lu] of resolved[i]!) if (!luns.has(lun)) luns.set(lun, lu);
      });
      node = { ...base, luns, viewFor: undefined };
      seen.set(key, node);
    }
    return node;
  };
  return { ...base, admits: (name, address) => rules.some((admits) => admits(name, address)), viewFor };
}

/**
 * A target whose access rules admit some addresses read-only: those initiators get a node
 * marked read-only (their session's writes are DATA PROTECT); the others the node itself.
 */
function withReadOnlyViews(plan: TargetPlan, node: TargetNode): TargetNode {
  const rules = plan.admission?.rules ?? [];
  if (!rules.some((r) => r.access === 'ro')) return node;
  const readOnly: TargetNode = { ...node, readOnly: true, viewFor: undefined };
  // Looked up at every command: the verdict is kept per address for this catalog's life.
  const seen = new Map<string, TargetNode>();
  const viewFor = (_name: string, address: string): TargetNode => {
    let view = seen.get(address);
    if (!view) {
      view = accessFor(rules, address) === 'ro' ? readOnly : node;
      seen.set(address, view);
    }
    return view;
  };
  return { ...node, viewFor };
}

function admission(rule: TargetPlan['admission']): TargetNode['admits'] {
  if (!rule) return () => true;
  if (rule.rules.length > 0) {
    const names = rule.initiators.some((n) => n.toUpperCase() === 'ALL') ? 'ALL' : rule.initiators;
    return (initiatorName, address) => (names === 'ALL' || initiatorNameMatches(initiatorName, names)) && accessFor(rule.rules, address) !== 'none';
  }
  const names = rule.initiators.some((n) => n.toUpperCase() === 'ALL') ? 'ALL' : rule.initiators;
  const parsed = parseNetworks(rule.networks.join(' '));
  const networks = parsed.ok ? parsed.value : [];
  return (initiatorName, address) =>
    (names === 'ALL' || initiatorNameMatches(initiatorName, names)) && (networks === 'ALL' || addressInNetworks(address, networks));
}

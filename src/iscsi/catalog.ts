/**
 * What the iSCSI transport needs to know about configured targets, and nothing more.
 * The data plane implements TargetCatalog from the domain; iscsi/ never imports the
 * domain, the store or an API dialect. Every lookup reads the live configuration, so a
 * change committed through the API applies to the next login.
 */
import type { LogicalUnit } from '../scsi/types.js';

export type AuthMethodSetting = 'None' | 'Auto' | 'CHAP' | 'CHAP Mutual';

/** One CHAP credential of an auth group. */
export interface ChapCredential {
  /** What the initiator proves: CHAP_N it sends and the secret it answers with. */
  readonly user: string;
  readonly secret: string;
  /** What the target proves back in mutual CHAP; empty when not set. */
  readonly peerUser: string;
  readonly peerSecret: string;
}

export interface AuthPolicy {
  readonly method: AuthMethodSetting;
  readonly credentials: readonly ChapCredential[];
}

/** Target-side negotiation limits and timers (globalconfiguration). */
export interface TargetGlobals {
  readonly maxRecvDataSegmentLength: number;
  readonly firstBurstLength: number;
  readonly maxBurstLength: number;
  readonly maxOutstandingR2T: number;
  readonly maxConnections: number;
  readonly maxSessions: number;
  readonly defaultTime2Wait: number;
  readonly defaultTime2Retain: number;
  /** Seconds between NOP-Ins on an idle connection; 0 disables. */
  readonly nopInInterval: number;
  /** Seconds a connection may leave a NOP-In unanswered before it is dropped. */
  readonly ioTimeout: number;
  readonly discoveryAuth: AuthPolicy;
  /**
   * False while the whole service is switched off: every login, discovery included, gets
   * SERVICE UNAVAILABLE (0x0301). Absent means available.
   */
  readonly serviceAvailable?: boolean;
}

export interface TargetNode {
  /** Full iSCSI name as served (basename already prepended). */
  readonly name: string;
  readonly alias: string | null;
  /** The portal group this target is reachable through, as the catalog knows it (PortalContext.portalGroup). */
  readonly portalGroup: number;
  /** That portal group's tag, as the wire says it. */
  readonly portalGroupTag: number;
  /** LUN number -> logical unit. */
  readonly luns: ReadonlyMap<number, LogicalUnit>;
  readonly auth: AuthPolicy;
  /** 'Auto' accepts None and CRC32C digests; otherwise only the named one. */
  readonly digest: 'Auto' | 'None' | 'CRC32C';
  /** Commands the target queues per session (CmdSN window). */
  readonly queueDepth: number;
  /** Initiator-group check: may this initiator, connecting from this address, log in? */
  admits(initiatorName: string, address: string): boolean;
  /**
   * LUN masking: the node as this initiator sees it (its LUNs are the ones mapped to it).
   * Absent: every admitted initiator sees `luns`.
   */
  readonly viewFor?: ((initiatorName: string, address: string) => TargetNode) | undefined;
  /** The initiator this node is the view of was admitted read-only: its writes are refused. */
  readonly readOnly?: boolean;
  /**
   * False while this target's service is switched off (its owner's switch): a login to it
   * gets SERVICE UNAVAILABLE (0x0301), and SendTargets does not report it. Absent means
   * available.
   */
  readonly serviceAvailable?: boolean;
}

/** A listener's address as reported in SendTargets. */
export interface PortalAddress {
  readonly host: string;
  readonly port: number;
}

export interface TargetCatalog {
  globals(): TargetGlobals;
  /**
   * The target `name` as served through portal group `portalGroup`: a target on several
   * portal groups has one node per group (its own TargetPortalGroupTag, initiator group
   * and authentication; the same logical units).
   */
  target(name: string, portalGroup: number): TargetNode | undefined;
  /** Targets reachable through a portal group, in a stable order. */
  targetsInGroup(portalGroup: number): readonly TargetNode[];
  /** Every address of a portal group, wildcards included (SendTargets substitutes them). */
  portalAddresses(portalGroup: number): readonly PortalAddress[];
}

/** Where a connection came in: given by the listener that accepted it. */
export interface PortalContext {
  /**
   * The catalog's key for the listener's portal group. It is not the tag: two portal
   * groups may carry one tag (each owner numbers its own), and a connection must see only
   * its own group's targets.
   */
  readonly portalGroup: number;
  /** The group's tag, sent as TargetPortalGroupTag. */
  readonly portalGroupTag: number;
  /** The listener's configured address, e.g. 0.0.0.0:3260. */
  readonly listen: PortalAddress;
}

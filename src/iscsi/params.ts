/**
 * Operational parameter negotiation (RFC 7143 13). Pure: given the initiator's offers and
 * the target's limits (TargetGlobals + the node's digest policy), produce the answers and
 * the negotiated values. Keys handled elsewhere (names, SessionType, AuthMethod, CHAP_*)
 * are not passed here; anything else unknown is answered NotUnderstood.
 */
import type { TargetGlobals } from './catalog.js';
import { parseNumber, type TextPairs } from './text.js';

export type DigestPolicy = 'Auto' | 'None' | 'CRC32C';

export interface Negotiated {
  headerDigest: boolean;
  dataDigest: boolean;
  maxConnections: number;
  initialR2T: boolean;
  immediateData: boolean;
  /** What the initiator can receive: bounds our Data-In / Text / Reject segments. */
  initiatorMaxRecvDataSegmentLength: number;
  /** What we receive: bounds the initiator's PDUs. */
  targetMaxRecvDataSegmentLength: number;
  maxBurstLength: number;
  firstBurstLength: number;
  defaultTime2Wait: number;
  defaultTime2Retain: number;
  maxOutstandingR2T: number;
  dataPDUInOrder: boolean;
  dataSequenceInOrder: boolean;
  errorRecoveryLevel: number;
}

/** RFC 7143 defaults. */
export function defaultNegotiated(targetMaxRecv = 8192): Negotiated {
  return {
    headerDigest: false,
    dataDigest: false,
    maxConnections: 1,
    initialR2T: true,
    immediateData: true,
    initiatorMaxRecvDataSegmentLength: 8192,
    targetMaxRecvDataSegmentLength: targetMaxRecv,
    maxBurstLength: 262144,
    firstBurstLength: 65536,
    defaultTime2Wait: 2,
    defaultTime2Retain: 20,
    maxOutstandingR2T: 1,
    dataPDUInOrder: true,
    dataSequenceInOrder: true,
    errorRecoveryLevel: 0,
  };
}

type Kind = 'digest' | 'and' | 'or' | 'min' | 'max' | 'declare';
interface KeyDef {
  kind: Kind;
  lo: number;
  hi: number;
  /** Leading-only: negotiated on the first connection of a session. */
  leadingOnly: boolean;
  /** Irrelevant in discovery sessions. */
  normalOnly: boolean;
}

const KEYS: Record<string, KeyDef> = {
  HeaderDigest: { kind: 'digest', lo: 0, hi: 0, leadingOnly: false, normalOnly: false },
  DataDigest: { kind: 'digest', lo: 0, hi: 0, leadingOnly: false, normalOnly: false },
  MaxConnections: { kind: 'min', lo: 1, hi: 65535, leadingOnly: true, normalOnly: true },
  InitialR2T: { kind: 'or', lo: 0, hi: 0, leadingOnly: true, normalOnly: true },
  ImmediateData: { kind: 'and', lo: 0, hi: 0, leadingOnly: true, normalOnly: true },
  MaxRecvDataSegmentLength: { kind: 'declare', lo: 512, hi: 16777215, leadingOnly: false, normalOnly: false },
  MaxBurstLength: { kind: 'min', lo: 512, hi: 16777215, leadingOnly: true, normalOnly: true },
  FirstBurstLength: { kind: 'min', lo: 512, hi: 16777215, leadingOnly: true, normalOnly: true },
  DefaultTime2Wait: { kind: 'max', lo: 0, hi: 3600, leadingOnly: true, normalOnly: false },
  DefaultTime2Retain: { kind: 'min', lo: 0, hi: 3600, leadingOnly: true, normalOnly: false },
  MaxOutstandingR2T: { kind: 'min', lo: 1, hi: 65535, leadingOnly: true, normalOnly: true },
  DataPDUInOrder: { kind: 'or', lo: 0, hi: 0, leadingOnly: true, normalOnly: true },
  DataSequenceInOrder: { kind: 'or', lo: 0, hi: 0, leadingOnly: true, normalOnly: true },
  ErrorRecoveryLevel: { kind: 'min', lo: 0, hi: 2, leadingOnly: true, normalOnly: false },
  // Obsolete markers (RFC 3720): answered so RFC 3720 initiators can proceed.
  OFMarker: { kind: 'and', lo: 0, hi: 0, leadingOnly: false, normalOnly: false },
  IFMarker: { kind: 'and', lo: 0, hi: 0, leadingOnly: false, normalOnly: false },
  // RFC 7144.
  iSCSIProtocolLevel: { kind: 'min', lo: 0, hi: 31, leadingOnly: true, normalOnly: false },
};

export interface NegotiatorOptions {
  globals: TargetGlobals;
  digest: DigestPolicy;
  discovery: boolean;
  /** First connection of the session (TSIH 0 at login). */
  leading: boolean;
  /** Session values to inherit on a non-leading connection. */
  inherit?: Negotiated;
}

export class Negotiator {
  readonly values: Negotiated;
  /** Keys the initiator has offered so far (answered). */
  private readonly offered = new Set<string>();
  /** Keys we offered and still wait an answer for. */
  private readonly pendingOffers = new Set<string>();
  private declaredOurs = false;
  private readonly opts: NegotiatorOptions;

  constructor(opts: NegotiatorOptions) {
    this.opts = opts;
    const base = opts.inherit ? { ...opts.inherit } : defaultNegotiated();
    base.targetMaxRecvDataSegmentLength = opts.globals.maxRecvDataSegmentLength;
    base.initiatorMaxRecvDataSegmentLength = 8192;
    base.headerDigest = false;
    base.dataDigest = false;
    this.values = base;
  }

  /** Whether this negotiator knows the key (so login can tell NotUnderstood apart). */
  static handles(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(KEYS, key) || key === 'OFMarkInt' || key === 'IFMarkInt' || key === 'TaskReporting';
  }

  /** Answer the initiator's operational keys. */
  respond(pairs: TextPairs): TextPairs {
    const out: TextPairs = [];
    for (const [key, value] of pairs) {
      const ans = this.answer(key, value);
      if (ans !== null) out.push([key, ans]);
    }
    return out;
  }

  /** Keys we must offer ourselves because the RFC default would exceed our limits. */
  targetOffers(answered: TextPairs = []): TextPairs {
    const out: TextPairs = [];
    // A key goes out once per PDU: when MaxRecvDataSegmentLength was just answered
    // (Reject, for an initiator's bad value), ours is declared in the next response.
    if (!this.declaredOurs && !answered.some(([k]) => k === 'MaxRecvDataSegmentLength')) {
      this.declaredOurs = true;
      out.push(['MaxRecvDataSegmentLength', String(this.opts.globals.maxRecvDataSegmentLength)]);
    }
    if (this.opts.discovery || !this.opts.leading) return out;
    const g = this.opts.globals;
    const d = defaultNegotiated();
    const need: Array<[string, number, number]> = [
      ['MaxBurstLength', g.maxBurstLength, d.maxBurstLength],
      ['FirstBurstLength', Math.min(g.firstBurstLength, g.maxBurstLength), d.firstBurstLength],
    ];
    for (const [key, ours, dflt] of need) {
      if (!this.offered.has(key) && !this.pendingOffers.has(key) && ours < dflt) {
        this.pendingOffers.add(key);
        out.push([key, String(ours)]);
        if (key === 'MaxBurstLength') this.values.maxBurstLength = ours;
        else this.values.firstBurstLength = ours;
      }
    }
    return out;
  }

  /** True while we wait for the initiator to answer a key we offered. */
  get awaitingAnswers(): boolean {
    return this.pendingOffers.size > 0;
  }

  /** Enforce cross-key rules once negotiation ends. */
  finish(): Negotiated {
    const v = this.values;
    if (v.firstBurstLength > v.maxBurstLength) v.firstBurstLength = v.maxBurstLength;
    return v;
  }

  /** Negotiated values as text, for status. */
  describe(): Record<string, string> {
    const v = this.values;
    const yn = (b: boolean) => (b ? 'Yes' : 'No');
    const r: Record<string, string> = {
      HeaderDigest: v.headerDigest ? 'CRC32C' : 'None',
      DataDigest: v.dataDigest ? 'CRC32C' : 'None',
      MaxRecvDataSegmentLength: String(v.initiatorMaxRecvDataSegmentLength),
      TargetMaxRecvDataSegmentLength: String(v.targetMaxRecvDataSegmentLength),
      DefaultTime2Wait: String(v.defaultTime2Wait),
      DefaultTime2Retain: String(v.defaultTime2Retain),
      ErrorRecoveryLevel: String(v.errorRecoveryLevel),
    };
    if (!this.opts.discovery) {
      Object.assign(r, {
        MaxConnections: String(v.maxConnections),
        InitialR2T: yn(v.initialR2T),
        ImmediateData: yn(v.immediateData),
        MaxBurstLength: String(v.maxBurstLength),
        FirstBurstLength: String(v.firstBurstLength),
        MaxOutstandingR2T: String(v.maxOutstandingR2T),
        DataPDUInOrder: yn(v.dataPDUInOrder),
        DataSequenceInOrder: yn(v.dataSequenceInOrder),
      });
    }
    return r;
  }

  private answer(key: string, value: string): string | null {
    if (key === 'OFMarkInt' || key === 'IFMarkInt') return 'Irrelevant';
    if (key === 'TaskReporting') return 'RFC3720';
    const def = KEYS[key];
    if (!def) return 'NotUnderstood';
    const g = this.opts.globals;
    const v = this.values;
    if (this.pendingOffers.has(key)) {
      // The initiator answers our offer: accept its (lower or equal) value.
      this.pendingOffers.delete(key);
      this.offered.add(key);
      const n = parseNumber(value);
      if (Number.isFinite(n) && n >= def.lo && n <= def.hi) this.setNumber(key, Math.min(n, key === 'MaxBurstLength' ? g.maxBurstLength : g.firstBurstLength));
      return null;
    }
    this.offered.add(key);
    if (def.normalOnly && this.opts.discovery) return 'Irrelevant';
    if (def.leadingOnly && !this.opts.leading) return 'Irrelevant';

    switch (def.kind) {
      case 'digest': {
        const accept = (d: string) => (d === 'None' ? this.opts.digest !== 'CRC32C' : d === 'CRC32C' ? this.opts.digest !== 'None' : false);
        for (const choice of value.split(',')) {
          if (accept(choice)) {
            if (key === 'HeaderDigest') v.headerDigest = choice === 'CRC32C';
            else v.dataDigest = choice === 'CRC32C';
            return choice;
          }
        }
        return 'Reject';
      }
      case 'and':
      case 'or': {
        if (value !== 'Yes' && value !== 'No') return 'Reject';
        const theirs = value === 'Yes';
        if (key === 'OFMarker' || key === 'IFMarker') return 'No';
        let ours: boolean;
        switch (key) {
          case 'ImmediateData':
            ours = true;
            break;
          case 'InitialR2T':
            ours = false;
            break;
          default:
            ours = true;
            break; // DataPDUInOrder, DataSequenceInOrder: we keep order
        }
        const result = def.kind === 'and' ? theirs && ours : theirs || ours;
        if (key === 'ImmediateData') v.immediateData = result;
        else if (key === 'InitialR2T') v.initialR2T = result;
        else if (key === 'DataPDUInOrder') v.dataPDUInOrder = result;
        else if (key === 'DataSequenceInOrder') v.dataSequenceInOrder = result;
        return result ? 'Yes' : 'No';
      }
      case 'declare': {
        const n = parseNumber(value);
        if (!Number.isFinite(n) || n < def.lo || n > def.hi) return 'Reject';
        v.initiatorMaxRecvDataSegmentLength = n;
        return null; // declarative; ours goes out with targetOffers()
      }
      case 'min':
      case 'max': {
        const n = parseNumber(value);
        if (!Number.isFinite(n) || n < def.lo || n > def.hi) return 'Reject';
        const ours = this.ours(key);
        const result = def.kind === 'min' ? Math.min(n, ours) : Math.max(n, ours);
        this.setNumber(key, result);
        return String(result);
      }
    }
  }

  private ours(key: string): number {
    const g = this.opts.globals;
    switch (key) {
      case 'MaxConnections':
        return g.maxConnections;
      case 'MaxBurstLength':
        return g.maxBurstLength;
      case 'FirstBurstLength':
        return g.firstBurstLength;
      case 'DefaultTime2Wait':
        return g.defaultTime2Wait;
      case 'DefaultTime2Retain':
        return g.defaultTime2Retain;
      case 'MaxOutstandingR2T':
        return g.maxOutstandingR2T;
      case 'ErrorRecoveryLevel':
        return 0;
      case 'iSCSIProtocolLevel':
        return 1;
      default:
        return 0;
    }
  }

  private setNumber(key: string, n: number): void {
    const v = this.values;
    switch (key) {
      case 'MaxConnections':
        v.maxConnections = n;
        break;
      case 'MaxBurstLength':
        v.maxBurstLength = n;
        break;
      case 'FirstBurstLength':
        v.firstBurstLength = n;
        break;
      case 'DefaultTime2Wait':
        v.defaultTime2Wait = n;
        break;
      case 'DefaultTime2Retain':
        v.defaultTime2Retain = n;
        break;
      case 'MaxOutstandingR2T':
        v.maxOutstandingR2T = n;
        break;
      case 'ErrorRecoveryLevel':
        v.errorRecoveryLevel = n;
        break;
    }
  }
}

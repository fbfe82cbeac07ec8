/**
 * Reservations: SPC-2 RESERVE/RELEASE and SPC-4 persistent reservations, per logical unit.
 * The command table names each command's access class; `check` decides the conflict in
 * one place (SPC-4 5.13.1 table 63, simplified to the classes below).
 */
import type { ItNexus } from './types.js';
import { ReservationConflictError } from './sense.js';

/**
 * none:  never conflicts (INQUIRY, REQUEST SENSE, REPORT LUNS, RELEASE, ...).
 * meta:  conflicts only with an SPC-2 reservation (TEST UNIT READY, READ CAPACITY, PR IN/OUT, ...).
 * read:  reads the medium: conflicts with SPC-2 and with the exclusive-access PR types.
 * write: changes the medium or its state: conflicts with SPC-2 and with every PR type.
 */
export type Access = 'none' | 'meta' | 'read' | 'write';

export const enum PrType {
  WriteExclusive = 1,
  ExclusiveAccess = 3,
  WriteExclusiveRegistrantsOnly = 5,
  ExclusiveAccessRegistrantsOnly = 6,
  WriteExclusiveAllRegistrants = 7,
  ExclusiveAccessAllRegistrants = 8,
}

export const VALID_PR_TYPES: ReadonlySet<number> = new Set([1, 3, 5, 6, 7, 8]);

export function isAllRegistrants(type: number): boolean {
  return type === PrType.WriteExclusiveAllRegistrants || type === PrType.ExclusiveAccessAllRegistrants;
}

export function isRegistrantsType(type: number): boolean {
  return type >= 5 && type <= 8;
}

function isExclusiveAccess(type: number): boolean {
  return type === PrType.ExclusiveAccess || type === PrType.ExclusiveAccessRegistrantsOnly || type === PrType.ExclusiveAccessAllRegistrants;
}

/** One registration: an I_T nexus (or, with ALL_TG_PT, an initiator port on every target port). */
export interface Registration {
  /** `<iqn>,i,0x<isid>`, or the bare initiator name when `nameOnly`. */
  initiatorPort: string;
  /** Made by REGISTER AND MOVE from a TransportID without ISID: every port of the initiator. */
  nameOnly?: boolean;
  /** null: registered through every target port (ALL_TG_PT). */
  targetPort: string | null;
  relativeTargetPortId: number;
  key: bigint;
}

export interface PersistentReservation {
  /** The holder's registration (for all-registrants types: the one that reserved). */
  holder: Registration;
  type: number;
  scope: number;
}

/** Does this registration cover the I_T nexus? */
export function registrationMatches(r: Registration, n: ItNexus): boolean {
  const port = r.nameOnly ? r.initiatorPort === n.initiatorName : r.initiatorPort === n.initiatorPort;
  return port && (r.targetPort === null || r.targetPort === n.targetPort);
}

export class Reservations {
  /** SPC-2 RESERVE holder, by nexus key. */
  legacyHolder: string | null = null;
  registrations: Registration[] = [];
  reservation: PersistentReservation | null = null;
  generation = 0;
  aptpl = false;

  registrationOf(nexus: ItNexus): Registration | undefined {
    for (const r of this.registrations) if (registrationMatches(r, nexus)) return r;
    return undefined;
  }

  /** Does this nexus hold the persistent reservation? */
  isHolder(nexus: ItNexus): boolean {
    const res = this.reservation;
    if (!res) return false;
    const reg = this.registrationOf(nexus);
    if (!reg) return false;
    return isAllRegistrants(res.type) || reg === res.holder;
  }

  /** Throws ReservationConflictError when the nexus may not run a command of this class. */
  check(nexus: ItNexus, access: Access): void {
    if (access === 'none') return;
    if (this.legacyHolder !== null) {
      if (this.legacyHolder !== nexus.key) throw new ReservationConflictError();
      return;
    }
    const res = this.reservation;
    if (!res || access === 'meta') return;
    if (this.isHolder(nexus)) return;
    if (isRegistrantsType(res.type) && this.registrationOf(nexus)) return;
    if (access === 'write' || isExclusiveAccess(res.type)) throw new ReservationConflictError();
  }
}

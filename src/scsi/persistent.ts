/**
 * PERSISTENT RESERVE IN / OUT (SPC-4 6.15, 6.16, 5.13): registrations per I_T nexus (or per
 * initiator port with ALL_TG_PT), the six reservation types, PREEMPT (AND ABORT), CLEAR,
 * REGISTER AND MOVE, unit attentions to the registrants that lose out, and APTPL
 * persistence in a JSON file (`LogicalUnitSpec.persistPath`).
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { ItNexus, ScsiCommand, ScsiResult } from './types.js';
import { ScsiStatus } from './types.js';
import type { BlockLogicalUnit } from './logical-unit.js';
import {
  ReservationConflictError,
  UnitAttention,
  invalidFieldInCdb,
  invalidFieldInParameterList,
  invalidReleaseOfPersistentReservation,
  parameterListLengthError,
} from './sense.js';
import { Reservations, VALID_PR_TYPES, isAllRegistrants, isRegistrantsType, registrationMatches } from './reservations.js';
import type { Registration } from './reservations.js';

export const enum PrIn {
  ReadKeys = 0,
  ReadReservation = 1,
  ReportCapabilities = 2,
  ReadFullStatus = 3,
}

export const enum PrOut {
  Register = 0,
  Reserve = 1,
  Release = 2,
  Clear = 3,
  Preempt = 4,
  PreemptAndAbort = 5,
  RegisterAndIgnoreExistingKey = 6,
  RegisterAndMove = 7,
}

function keyOf(b: Buffer, at: number): bigint {
  return b.readBigUInt64BE(at);
}

const matches = registrationMatches;

/**
 * iSCSI TransportID (SPC-4 7.6.4.6): format 01b, the initiator port name with ISID, or
 * format 00b, the initiator name alone.
 */
export function iscsiTransportId(initiatorPort: string, nameOnly = false): Buffer {
  const name = Buffer.from(initiatorPort, 'utf8');
  const len = (name.length + 1 + 3) & ~3;
  const b = Buffer.alloc(4 + len);
  b[0] = (nameOnly ? 0x00 : 0x40) | 0x05;
  b.writeUInt16BE(len, 2);
  name.copy(b, 4);
  return b;
}

/** Parse an iSCSI TransportID to the initiator port name (`iqn,i,0x<isid>`) or name alone. */
export function parseIscsiTransportId(b: Buffer): { name: string; withIsid: boolean } | null {
  if (b.length < 4 || (b[0]! & 0x0f) !== 0x05) return null;
  const len = b.readUInt16BE(2);
  if (4 + len > b.length) return null;
  const raw = b.subarray(4, 4 + len);
  const nul = raw.indexOf(0);
  const text = raw.subarray(0, nul < 0 ? raw.length : nul).toString('utf8');
  const withIsid = b[0]! >> 6 === 1;
  if (!withIsid) return { name: text, withIsid };
  // Format 01b: "<name>,i,0x<ISID>"; the ISID is hex, compared in lower case.
  const m = /^(.*),i,0x([0-9a-f]+)$/i.exec(text);
  if (!m) return null;
  return { name: `${m[1]},i,0x${m[2]!.toLowerCase()}`, withIsid };
}

// ---- PERSISTENT RESERVE IN ----------------------------------------------------------

export function persistentReserveIn(lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const cdb = cmd.cdb;
  const sa = cdb[1]! & 0x1f;
  const alloc = cdb.readUInt16BE(7);
  const r = lu.reservations;
  let b: Buffer;
  switch (sa) {
    case PrIn.ReadKeys: {
      b = Buffer.alloc(8 + 8 * r.registrations.length);
      b.writeUInt32BE(r.generation, 0);
      b.writeUInt32BE(8 * r.registrations.length, 4);
      for (let i = 0; i < r.registrations.length; i++) b.writeBigUInt64BE(r.registrations[i]!.key, 8 + i * 8);
      break;
    }
    case PrIn.ReadReservation: {
      const res = r.reservation;
      b = Buffer.alloc(res ? 24 : 8);
      b.writeUInt32BE(r.generation, 0);
      if (res) {
        b.writeUInt32BE(16, 4);
        b.writeBigUInt64BE(isAllRegistrants(res.type) ? 0n : res.holder.key, 8);
        b[21] = (res.scope << 4) | res.type;
      }
      break;
    }
    case PrIn.ReportCapabilities: {
      b = Buffer.alloc(8);
      b.writeUInt16BE(8, 0);
      b[2] = 0x10 | 0x04 | 0x01; // CRH, ATP_C, PTPL_C
      b[3] = 0x80 | (r.aptpl ? 0x01 : 0); // TMV, PTPL_A
      b[4] = 0x80 | 0x40 | 0x20 | 0x08 | 0x02; // WR_EX_AR, EX_AC_RO, WR_EX_RO, EX_AC, WR_EX
      b[5] = 0x01; // EX_AC_AR
      break;
    }
    case PrIn.ReadFullStatus: {
      const descs = r.registrations.map((reg) => {
        const tid = iscsiTransportId(reg.initiatorPort, reg.nameOnly);
        const d = Buffer.alloc(24 + tid.length);
        d.writeBigUInt64BE(reg.key, 0);
        const res = r.reservation;
        const holder = res !== null && (isAllRegistrants(res.type) || res.holder === reg);
        d[12] = (reg.targetPort === null ? 0x02 : 0) | (holder ? 0x01 : 0);
        if (holder && res) d[13] = (res.scope << 4) | res.type;
        d.writeUInt16BE(reg.relativeTargetPortId & 0xffff, 18);
        d.writeUInt32BE(tid.length, 20);
        tid.copy(d, 24);
        return d;
      });
      const body = Buffer.concat(descs);
      b = Buffer.alloc(8 + body.length);
      b.writeUInt32BE(r.generation, 0);
      b.writeUInt32BE(body.length, 4);
      body.copy(b, 8);
      break;
    }
    default:
      throw invalidFieldInCdb(1, 4);
  }
  return { status: ScsiStatus.Good, data: b.length > alloc ? b.subarray(0, alloc) : b };
}

// ---- PERSISTENT RESERVE OUT ---------------------------------------------------------

export function persistentReserveOut(lu: BlockLogicalUnit, cmd: ScsiCommand): ScsiResult {
  const cdb = cmd.cdb;
  const sa = cdb[1]! & 0x1f;
  const scope = cdb[2]! >> 4;
  const type = cdb[2]! & 0x0f;
  const listLength = cdb.readUInt32BE(5);
  const data = cmd.dataOut ?? Buffer.alloc(0);
  if (data.length < listLength) throw parameterListLengthError();
  if (sa === PrOut.RegisterAndMove) {
    if (listLength < 24) throw parameterListLengthError();
  } else if (listLength !== 24) {
    throw parameterListLengthError();
  }
  const p = data.subarray(0, listLength);
  const key = keyOf(p, 0);
  const saKey = keyOf(p, 8);
  const nexus = cmd.nexus;
  const r = lu.reservations;
  const mine = r.registrationOf(nexus);
  const needsType =
    sa === PrOut.Reserve ||
    sa === PrOut.Release ||
    ((sa === PrOut.Preempt || sa === PrOut.PreemptAndAbort) && r.reservation !== null) ||
    sa === PrOut.RegisterAndMove;
  if (needsType) {
    if (scope !== 0) throw invalidFieldInCdb(2, 7);
    if (!VALID_PR_TYPES.has(type) && (sa !== PrOut.Release || r.reservation !== null)) throw invalidFieldInCdb(2, 3);
  }
  if (sa !== PrOut.RegisterAndMove) {
    const flags = p[20]!;
    if (flags & 0x08) throw invalidFieldInParameterList(20, 3); // SPEC_I_PT not supported
    if (sa === PrOut.Register || sa === PrOut.RegisterAndIgnoreExistingKey) {
      register(lu, nexus, mine, key, saKey, sa === PrOut.RegisterAndIgnoreExistingKey, (flags & 0x04) !== 0, (flags & 0x01) !== 0);
      persist(lu);
      return { status: ScsiStatus.Good };
    }
    if ((flags & 0x04) !== 0) throw invalidFieldInParameterList(20, 2); // ALL_TG_PT only with REGISTER
  }
  if (!mine || mine.key !== key) throw new ReservationConflictError();
  switch (sa) {
    case PrOut.Reserve: {
      const res = r.reservation;
      if (res) {
        if (!r.isHolder(nexus) || res.type !== type || res.scope !== scope) throw new ReservationConflictError();
        return { status: ScsiStatus.Good };
      }
      r.reservation = { holder: mine, type, scope };
      break;
    }
    case PrOut.Release: {
      const res = r.reservation;
      if (!res || !r.isHolder(nexus)) return { status: ScsiStatus.Good };
      if (res.type !== type || res.scope !== scope) throw invalidReleaseOfPersistentReservation();
      r.reservation = null;
      if (isRegistrantsType(res.type)) uaToRegistrants(lu, UnitAttention.ReservationsReleased, nexus);
      break;
    }
    case PrOut.Clear: {
      const lost = r.registrations.filter((reg) => reg !== mine);
      r.registrations = [];
      r.reservation = null;
      r.generation++;
      uaTo(lu, lost, UnitAttention.ReservationsPreempted, nexus);
      break;
    }
    case PrOut.Preempt:
    case PrOut.PreemptAndAbort:
      preempt(lu, nexus, mine, saKey, type, scope, sa === PrOut.PreemptAndAbort);
      break;
    case PrOut.RegisterAndMove:
      registerAndMove(lu, nexus, mine, saKey, type, p);
      break;
    default:
      throw invalidFieldInCdb(1, 4);
  }
  persist(lu);
  return { status: ScsiStatus.Good };
}

function register(
  lu: BlockLogicalUnit,
  nexus: ItNexus,
  mine: Registration | undefined,
  key: bigint,
  saKey: bigint,
  ignoreKey: boolean,
  allTgPt: boolean,
  aptpl: boolean,
): void {
  const r = lu.reservations;
  if (!mine) {
    if (!ignoreKey && key !== 0n) throw new ReservationConflictError();
    if (saKey === 0n) return;
    r.registrations.push({
      initiatorPort: nexus.initiatorPort,
      targetPort: allTgPt ? null : nexus.targetPort,
      relativeTargetPortId: nexus.relativeTargetPortId,
      key: saKey,
    });
    r.generation++;
    r.aptpl = aptpl;
    return;
  }
  if (!ignoreKey && key !== mine.key) throw new ReservationConflictError();
  if (saKey !== 0n) {
    mine.key = saKey;
    r.generation++;
    r.aptpl = aptpl;
    return;
  }
  unregister(lu, nexus, mine);
  r.generation++;
  r.aptpl = aptpl;
}

function unregister(lu: BlockLogicalUnit, nexus: ItNexus, mine: Registration): void {
  const r = lu.reservations;
  r.registrations = r.registrations.filter((reg) => reg !== mine);
  const res = r.reservation;
  if (!res) return;
  if (isAllRegistrants(res.type)) {
    if (r.registrations.length === 0) r.reservation = null;
    else if (res.holder === mine) res.holder = r.registrations[0]!;
    return;
  }
  if (res.holder === mine) {
    r.reservation = null;
    if (isRegistrantsType(res.type)) uaToRegistrants(lu, UnitAttention.ReservationsReleased, nexus);
  }
}

function preempt(lu: BlockLogicalUnit, nexus: ItNexus, mine: Registration, saKey: bigint, type: number, scope: number, abort: boolean): void {
  const r = lu.reservations;
  const res = r.reservation;
  let removed: Registration[];
  if (!res) {
    if (saKey === 0n) throw invalidFieldInParameterList(8);
    removed = r.registrations.filter((reg) => reg.key === saKey && reg !== mine);
    if (removed.length === 0 && !r.registrations.some((reg) => reg.key === saKey)) throw new ReservationConflictError();
  } else if (isAllRegistrants(res.type)) {
    if (saKey === 0n) {
      removed = r.registrations.filter((reg) => reg !== mine);
      r.reservation = { holder: mine, type, scope };
    } else {
      removed = r.registrations.filter((reg) => reg.key === saKey && reg !== mine);
      if (removed.length === 0 && !r.registrations.some((reg) => reg.key === saKey)) throw new ReservationConflictError();
    }
  } else if (saKey === res.holder.key) {
    removed = r.registrations.filter((reg) => reg.key === saKey && reg !== mine);
    const oldType = res.type;
    r.reservation = { holder: mine, type, scope };
    if (oldType !== type || res.scope !== scope) {
      // Registrants that stay registered learn the reservation changed under them.
      uaTo(
        lu,
        r.registrations.filter((reg) => reg !== mine && !removed.includes(reg)),
        UnitAttention.ReservationsReleased,
        nexus,
      );
    }
  } else {
    if (saKey === 0n) throw invalidFieldInParameterList(8);
    removed = r.registrations.filter((reg) => reg.key === saKey && reg !== mine);
    if (removed.length === 0 && !r.registrations.some((reg) => reg.key === saKey)) throw new ReservationConflictError();
  }
  r.registrations = r.registrations.filter((reg) => !removed.includes(reg));
  r.generation++;
  uaTo(lu, removed, UnitAttention.RegistrationsPreempted, nexus);
  if (abort) {
    for (const t of lu.tasks) {
      if (t.nexus.key === nexus.key) continue;
      if (removed.some((reg) => matches(reg, t.nexus))) t.aborted = true;
    }
  }
}

function registerAndMove(lu: BlockLogicalUnit, nexus: ItNexus, mine: Registration, saKey: bigint, type: number, p: Buffer): void {
  const r = lu.reservations;
  const res = r.reservation;
  if (!res || res.holder !== mine || isAllRegistrants(res.type)) throw new ReservationConflictError();
  if (saKey === 0n) throw invalidFieldInParameterList(8);
  const unreg = (p[17]! & 0x02) !== 0;
  const aptpl = (p[17]! & 0x01) !== 0;
  const relPort = p.readUInt16BE(18);
  const tidLength = p.readUInt32BE(20);
  if (24 + tidLength > p.length) throw parameterListLengthError();
  const tid = parseIscsiTransportId(p.subarray(24, 24 + tidLength));
  if (!tid) throw invalidFieldInParameterList(24);
  const targetPort = relPort === nexus.relativeTargetPortId ? nexus.targetPort : null;
  if (targetPort === null) throw invalidFieldInParameterList(18);
  const destName = tid.name;
  if (destName === nexus.initiatorPort || (!tid.withIsid && destName === nexus.initiatorName)) throw invalidFieldInParameterList(24);
  const nameOnly = !tid.withIsid;
  let dest = r.registrations.find(
    (reg) => reg.initiatorPort === destName && (reg.nameOnly ?? false) === nameOnly && (reg.targetPort === null || reg.targetPort === targetPort),
  );
  if (dest) dest.key = saKey;
  else {
    dest = { initiatorPort: destName, targetPort, relativeTargetPortId: relPort, key: saKey };
    if (nameOnly) dest.nameOnly = true;
    r.registrations.push(dest);
  }
  r.reservation = { holder: dest, type, scope: 0 };
  if (unreg) r.registrations = r.registrations.filter((reg) => reg !== mine);
  r.generation++;
  r.aptpl = aptpl;
}

function uaTo(lu: BlockLogicalUnit, regs: readonly Registration[], code: number, except: ItNexus): void {
  if (regs.length === 0) return;
  lu.queueUaFor((n) => n.key !== except.key && regs.some((reg) => matches(reg, n)), code);
}

function uaToRegistrants(lu: BlockLogicalUnit, code: number, except: ItNexus): void {
  uaTo(lu, lu.reservations.registrations, code, except);
}

// ---- APTPL persistence --------------------------------------------------------------

interface SavedState {
  generation: number;
  registrations: Array<{ initiatorPort: string; nameOnly?: boolean; targetPort: string | null; relativeTargetPortId: number; key: string }>;
  reservation: { holderIndex: number; type: number; scope: number } | null;
}

function persist(lu: BlockLogicalUnit): void {
  const path = lu.spec.persistPath;
  if (!path) return;
  const r = lu.reservations;
  if (!r.aptpl) {
    rmSync(path, { force: true });
    return;
  }
  const state: SavedState = {
    generation: r.generation,
    registrations: r.registrations.map((reg) => ({ ...reg, key: reg.key.toString(16) })),
    reservation: r.reservation ? { holderIndex: r.registrations.indexOf(r.reservation.holder), type: r.reservation.type, scope: r.reservation.scope } : null,
  };
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, path);
}

/** Restore APTPL state at LU creation; a missing or unreadable file means no registrations. */
export function loadAptpl(r: Reservations, path: string): void {
  let state: SavedState;
  try {
    state = JSON.parse(readFileSync(path, 'utf8')) as SavedState;
  } catch {
    return;
  }
  r.registrations = state.registrations.map((reg) => ({ ...reg, key: BigInt('0x' + reg.key) }));
  r.generation = state.generation;
  r.aptpl = true;
  if (state.reservation && r.registrations[state.reservation.holderIndex]) {
    r.reservation = { holder: r.registrations[state.reservation.holderIndex]!, type: state.reservation.type, scope: state.reservation.scope };
  }
}

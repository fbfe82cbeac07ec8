/**
 * The commands a soak session sends beyond READ/WRITE (src/initiator/cdbs.ts has those and
 * UNMAP): persistent reservations, and one wrapper that retries what SAM says to retry.
 */
import type { IscsiInitiator, ScsiReply } from '../src/initiator/client.js';
import { describeSense, parseSense } from '../src/initiator/cdbs.js';

export const GOOD = 0x00;
export const CHECK_CONDITION = 0x02;
export const BUSY = 0x08;
export const RESERVATION_CONFLICT = 0x18;
export const TASK_SET_FULL = 0x28;

const UNIT_ATTENTION = 0x6;

/** Write Exclusive – Registrants Only: every registered session may still write. */
export const PR_TYPE_WE_RO = 5;

const enum PrOutAction {
  Reserve = 1,
  Release = 2,
  RegisterAndIgnoreExistingKey = 6,
}

function prOut(action: PrOutAction, key: bigint, serviceKey: bigint, type: number): { cdb: Buffer; data: Buffer } {
  const data = Buffer.alloc(24);
  data.writeBigUInt64BE(key, 0);
  data.writeBigUInt64BE(serviceKey, 8);
  const cdb = Buffer.alloc(10);
  cdb[0] = 0x5f;
  cdb[1] = action;
  cdb[2] = type & 0x0f; // scope 0: the whole LU
  cdb.writeUInt32BE(data.length, 5);
  return { cdb, data };
}

/** REGISTER AND IGNORE EXISTING KEY: works whether or not this nexus was registered before. */
export function prRegister(key: bigint): { cdb: Buffer; data: Buffer } {
  return prOut(PrOutAction.RegisterAndIgnoreExistingKey, 0n, key, 0);
}

export function prReserve(key: bigint, type: number): { cdb: Buffer; data: Buffer } {
  return prOut(PrOutAction.Reserve, key, 0n, type);
}

export function prRelease(key: bigint, type: number): { cdb: Buffer; data: Buffer } {
  return prOut(PrOutAction.Release, key, 0n, type);
}

export const PR_IN_LENGTH = 64;

/** PERSISTENT RESERVE IN, READ RESERVATION. */
export const READ_RESERVATION = (() => {
  const cdb = Buffer.alloc(10);
  cdb[0] = 0x5e;
  cdb[1] = 0x01;
  cdb.writeUInt16BE(PR_IN_LENGTH, 7);
  return cdb;
})();

/** The holder's key and type from READ RESERVATION's answer; null when nothing is reserved. */
export function parseReservation(data: Buffer): { key: bigint; type: number } | null {
  if (data.length < 8 || data.readUInt32BE(4) < 16 || data.length < 24) return null;
  return { key: data.readBigUInt64BE(8), type: data[21]! & 0x0f };
}

export class ScsiError extends Error {
  constructor(
    readonly what: string,
    readonly reply: ScsiReply,
  ) {
    super(`${what}: status 0x${reply.status.toString(16)}${reply.sense ? `, ${describeSense(parseSense(reply.sense))}` : ''}`);
    this.name = 'ScsiError';
  }
}

export interface RetryCounts {
  unitAttentions: number;
  busy: number;
}

/**
 * Send a command until it gets an answer that is not a unit attention (the command was not
 * run: another session's reservation change, a capacity change, our own reconnect) or
 * BUSY / TASK SET FULL. Any other answer is the caller's to judge.
 */
export async function command(
  conn: IscsiInitiator,
  lun: number,
  cdb: Buffer,
  o: { dataOut?: Buffer; readLength?: number },
  retries: RetryCounts,
): Promise<ScsiReply> {
  for (let attempt = 0; ; attempt++) {
    const r = await conn.scsi(lun, cdb, o);
    const ua = r.status === CHECK_CONDITION && parseSense(r.sense)?.key === UNIT_ATTENTION;
    const busy = r.status === BUSY || r.status === TASK_SET_FULL;
    if ((!ua && !busy) || attempt >= 20) return r;
    if (ua) retries.unitAttentions++;
    else {
      retries.busy++;
      await new Promise((resolve) => setTimeout(resolve, 5 * (attempt + 1)));
    }
  }
}

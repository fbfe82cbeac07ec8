/**
 * What the network-fault tests ask of a session: logins with a chosen initiator port, the
 * reservation commands (SPC-2 RESERVE/RELEASE, SPC-4 PERSISTENT RESERVE IN/OUT), sense as
 * text, and waits on sanbox's view of its sessions.
 */
import assert from 'node:assert/strict';
import { IscsiInitiator } from '../../../src/initiator/client.js';
import { parseSense } from '../../../src/scsi/sense.js';
import type { TestSanbox } from '../../support/sanbox.js';

export const NO_DIGESTS = { headerDigest: 'None', dataDigest: 'None' } as const;

/** ISID bytes for initiator port `n` (each test's nexus apart from the others). */
export function isid(n: number): Buffer {
  return Buffer.from([0x80, 0x5a, 0x00, 0x00, (n >> 8) & 0xff, n & 0xff]);
}

/** Connects to `port` and logs in to `iqn` as initiator port (`name`, isid(n)). */
export async function loginAs(port: number, iqn: string, name: string, n: number, keys?: Record<string, string>): Promise<IscsiInitiator> {
  const ini = await IscsiInitiator.connect('127.0.0.1', port);
  ini.requestTimeoutMs = 10_000;
  try {
    await ini.login({ initiatorName: name, targetName: iqn, isid: isid(n), ...NO_DIGESTS, ...(keys ? { keys } : {}) });
  } catch (e) {
    ini.socket.destroy();
    throw e;
  }
  return ini;
}

/** "key/asc/ascq" in hex of a CHECK CONDITION, "good" for GOOD, "conflict" for RESERVATION CONFLICT. */
export function outcome(r: { status: number; sense: Buffer | null }): string {
  if (r.status === 0) return 'good';
  if (r.status === 0x18) return 'conflict';
  assert.equal(r.status, 2, `status 0x${r.status.toString(16)}`);
  const s = parseSense(r.sense!);
  return [s.key, s.asc, s.ascq].map((v) => v.toString(16).padStart(2, '0')).join('/');
}

export const TUR = Buffer.alloc(6);
export const RESERVE6 = Buffer.from([0x16, 0, 0, 0, 0, 0]);
export const RELEASE6 = Buffer.from([0x17, 0, 0, 0, 0, 0]);

/** PERSISTENT RESERVE OUT: its CDB and 24-byte parameter list. */
export function prOut(serviceAction: number, key: bigint, saKey: bigint, type = 0): { cdb: Buffer; data: Buffer } {
  const cdb = Buffer.alloc(10);
  cdb[0] = 0x5f;
  cdb[1] = serviceAction;
  cdb[2] = type;
  cdb.writeUInt32BE(24, 5);
  const data = Buffer.alloc(24);
  data.writeBigUInt64BE(key, 0);
  data.writeBigUInt64BE(saKey, 8);
  return { cdb, data };
}

export const PR_REGISTER = 0;
export const PR_RESERVE = 1;
export const PR_WRITE_EXCLUSIVE = 1;

export async function persistentOut(ini: IscsiInitiator, serviceAction: number, key: bigint, saKey: bigint, type = 0): Promise<string> {
  const { cdb, data } = prOut(serviceAction, key, saKey, type);
  return outcome(await ini.scsi(0, cdb, { dataOut: data }));
}

/** PERSISTENT RESERVE IN READ KEYS: the registered keys, in order. */
export async function readKeys(ini: IscsiInitiator): Promise<bigint[]> {
  const cdb = Buffer.from([0x5e, 0, 0, 0, 0, 0, 0, 0x10, 0, 0]);
  const r = await ini.scsi(0, cdb, { readLength: 4096 });
  assert.equal(outcome(r), 'good');
  const n = r.data.readUInt32BE(4) / 8;
  return Array.from({ length: n }, (_, i) => r.data.readBigUInt64BE(8 + i * 8));
}

/** PERSISTENT RESERVE IN READ RESERVATION: the holder's key and type, or null. */
export async function readReservation(ini: IscsiInitiator): Promise<{ key: bigint; type: number } | null> {
  const cdb = Buffer.from([0x5e, 1, 0, 0, 0, 0, 0, 0x10, 0, 0]);
  const r = await ini.scsi(0, cdb, { readLength: 4096 });
  assert.equal(outcome(r), 'good');
  if (r.data.readUInt32BE(4) === 0) return null;
  return { key: r.data.readBigUInt64BE(8), type: r.data[21]! & 0x0f };
}

/** WRITE(10) of one 512-byte block at `lba` filled with `byte`. */
export async function writeBlock(ini: IscsiInitiator, lba: number, byte: number): Promise<string> {
  return outcome(await ini.write10(0, lba, Buffer.alloc(512, byte)));
}

/** Sends TEST UNIT READY until it is GOOD; returns the unit attentions met before. */
export async function drainAttentions(ini: IscsiInitiator): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < 8; i++) {
    const o = outcome(await ini.scsi(0, TUR));
    if (o === 'good') return seen;
    seen.push(o);
  }
  throw new Error(`TEST UNIT READY never GOOD: ${seen.join(', ')}`);
}

interface LiveSession {
  tsih: number;
  initiatorName: string;
  isid: string;
  type: string;
}

export async function sessions(sb: TestSanbox): Promise<LiveSession[]> {
  const r = await sb.api('GET', '/api/sessions');
  assert.equal(r.status, 200, r.text);
  return r.body as LiveSession[];
}

/**
 * Waits until GET /api/sessions lists no session of `initiatorName` and /api/status shows
 * no login under way; returns how long that took. Fails after `withinMs`.
 */
export async function sessionsGone(sb: TestSanbox, initiatorName: string, withinMs: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const live = (await sessions(sb)).filter((s) => s.initiatorName === initiatorName);
    const status = await sb.api('GET', '/api/status');
    if (live.length === 0 && status.body.load.loggingIn === 0) return Date.now() - t0;
    if (Date.now() - t0 > withinMs) {
      assert.fail(`after ${withinMs} ms still listed: ${JSON.stringify(live)}; logging in: ${status.body.load.loggingIn}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

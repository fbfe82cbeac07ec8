/**
 * One login to a remote array's LUN, and what the LUN says about itself: ready (past the
 * unit attentions a restarted array queues), its capacity and block size, how much one
 * command may move, whether UNMAP deallocates to zeros. RemoteLun calls it at open and
 * after every lost connection.
 */
import type { ChapAlgorithmId } from '../iscsi/chap.js';
import { IscsiInitiator, LoginFailedError, type ScsiReply } from './client.js';
import {
  BLOCK_LIMITS_PAGE,
  PROVISIONING_PAGE,
  READ_CAPACITY_10,
  READ_CAPACITY_16,
  RC16_LENGTH,
  TEST_UNIT_READY,
  VPD_LENGTH,
  describeSense,
  inquiryVpdCdb,
  parseBlockLimits,
  parseCapacity10,
  parseCapacity16,
  parseSense,
  parseUnmapSupported,
  type Capacity,
} from './cdbs.js';
import { RemoteLoginError, loginError } from './remote-errors.js';

export interface RemoteLunAddress {
  readonly address: string;
  readonly port: number;
  readonly targetName: string;
  readonly lun: number;
  /** CHAP the array asks of us (one-way). */
  readonly chap?: { readonly user: string; readonly secret: string };
}

export interface SessionSettings extends RemoteLunAddress {
  readonly initiatorName: string;
  /** The same on every reconnect: the array sees the same I_T nexus, and reinstates it. */
  readonly isid: Buffer;
  readonly connectTimeoutMs: number;
  readonly answerTimeoutMs: number;
  /** CHAP algorithms to offer; default strongest first. */
  readonly chapOffer?: readonly ChapAlgorithmId[];
}

export interface Session {
  readonly initiator: IscsiInitiator;
  readonly capacity: Capacity;
  /** Largest READ/WRITE sent as one command, in bytes. */
  readonly maxIoBytes: number;
  /** UNMAP is there and deallocated blocks read as zeros; else a discard writes zeros. */
  readonly unmapsToZeros: boolean;
  /** Largest UNMAP as one command, in blocks. */
  readonly maxUnmapBlocks: number;
  /** The CHAP algorithms that worked, when only MD5 did (see login()). */
  readonly chapOffer?: readonly ChapAlgorithmId[];
}

export const CHECK_CONDITION = 0x02;
export const UNIT_ATTENTION = 0x6;
const ILLEGAL_REQUEST = 0x5;
/** A restarted array queues a few (power on, reset, parameters changed); more is a loop. */
export const MAX_UNIT_ATTENTIONS = 8;
/** Keeps a single command's buffers and the array's per-command work moderate. */
const MAX_IO_BYTES = 1024 * 1024;

/** What we ask for; the array answers with what it takes (tgt: 256 KiB bursts, InitialR2T=Yes). */
const KEYS = { MaxBurstLength: String(MAX_IO_BYTES), FirstBurstLength: '262144', InitialR2T: 'No', ImmediateData: 'Yes' };

export function describe(a: RemoteLunAddress): string {
  return `iSCSI ${a.targetName} LUN ${a.lun} at ${a.address}:${a.port}`;
}

const MD5_ONLY: readonly ChapAlgorithmId[] = [5];

export async function openSession(o: SessionSettings): Promise<Session> {
  try {
    return await establish(o);
  } catch (err) {
    // tgt 1.0.85 picks SHA-256 when it is offered, then cannot decode the 32-byte answer
    // and fails the login as an initiator error (0x0200): offer MD5 alone once more.
    const chose = err instanceof RemoteLoginError && err.cause instanceof LoginFailedError ? err.cause.targetKeys.CHAP_A : undefined;
    if (!o.chap || o.chapOffer || (err as RemoteLoginError).status !== 0x0200 || chose === undefined || chose === '5') throw err;
    return { ...(await establish({ ...o, chapOffer: MD5_ONLY })), chapOffer: MD5_ONLY };
  }
}

async function establish(o: SessionSettings): Promise<Session> {
  const where = describe(o);
  let initiator: IscsiInitiator;
  try {
    initiator = await IscsiInitiator.connect(o.address, o.port, o.connectTimeoutMs);
  } catch (err) {
    throw loginError(where, err);
  }
  try {
    initiator.requestTimeoutMs = o.answerTimeoutMs;
    await initiator.login({
      initiatorName: o.initiatorName,
      targetName: o.targetName,
      isid: o.isid,
      ...(o.chap ? { chap: { user: o.chap.user, secret: o.chap.secret, ...(o.chapOffer ? { offer: o.chapOffer } : {}) } } : {}),
      keys: KEYS,
    });
    const ready = await command(initiator, o.lun, TEST_UNIT_READY, 0);
    if (ready.status !== 0) throw notUsable(where, ready);
    const capacity = await readCapacity((cdb, n) => command(initiator, o.lun, cdb, n), where);
    const bs = capacity.blockSize;
    const limits = parseBlockLimits(await vpd(initiator, o.lun, BLOCK_LIMITS_PAGE));
    let maxIo = Math.min(MAX_IO_BYTES, initiator.neg.maxBurstLength);
    if (limits.maxTransferBlocks > 0) maxIo = Math.min(maxIo, limits.maxTransferBlocks * bs);
    maxIo = Math.max(bs, maxIo - (maxIo % bs));
    const unmapsToZeros =
      capacity.thin && capacity.zeroesUnmapped && limits.maxUnmapBlocks > 0 && parseUnmapSupported(await vpd(initiator, o.lun, PROVISIONING_PAGE));
    return { initiator, capacity, maxIoBytes: maxIo, unmapsToZeros, maxUnmapBlocks: limits.maxUnmapBlocks };
  } catch (err) {
    initiator.close();
    throw loginError(where, err);
  }
}

/** One command, sent again while the LUN answers UNIT ATTENTION. */
export async function command(s: IscsiInitiator, lun: number, cdb: Buffer, readLength: number): Promise<ScsiReply> {
  let reply = await s.scsi(lun, cdb, { readLength });
  for (let i = 0; i < MAX_UNIT_ATTENTIONS && isUnitAttention(reply); i++) reply = await s.scsi(lun, cdb, { readLength });
  return reply;
}

export function isUnitAttention(r: ScsiReply): boolean {
  return r.status === CHECK_CONDITION && parseSense(r.sense)?.key === UNIT_ATTENTION;
}

export function isIllegalRequest(r: ScsiReply): boolean {
  return r.status === CHECK_CONDITION && parseSense(r.sense)?.key === ILLEGAL_REQUEST;
}

/** Runs one command to its final answer (past unit attentions). */
export type Run = (cdb: Buffer, readLength: number) => Promise<ScsiReply>;

/** READ CAPACITY(16), or (10) from an array that does not know the 16-byte form. */
export async function readCapacity(run: Run, where: string): Promise<Capacity> {
  const r16 = await run(READ_CAPACITY_16, RC16_LENGTH);
  if (r16.status === 0) return checked(parseCapacity16(r16.data), where);
  if (!isIllegalRequest(r16)) throw notUsable(where, r16);
  const r10 = await run(READ_CAPACITY_10, 8);
  if (r10.status !== 0) throw notUsable(where, r10);
  const c = parseCapacity10(r10.data);
  if (!c) throw new RemoteLoginError(`${where}: READ CAPACITY(10) says the LUN is too large for it, and READ CAPACITY(16) is refused`, 'EIO');
  return checked(c, where);
}

function checked(c: Capacity, where: string): Capacity {
  if (c.blockSize < 512 || c.blockSize > 65536 || (c.blockSize & (c.blockSize - 1)) !== 0 || c.blocks <= 0) {
    throw new RemoteLoginError(`${where}: unusable capacity (${c.blocks} blocks of ${c.blockSize} bytes)`, 'EIO');
  }
  return c;
}

/** A VPD page, or nothing when the array does not have it (its defaults then apply). */
async function vpd(s: IscsiInitiator, lun: number, page: number): Promise<Buffer> {
  const r = await command(s, lun, inquiryVpdCdb(page), VPD_LENGTH);
  return r.status === 0 ? r.data : Buffer.alloc(0);
}

function notUsable(where: string, r: ScsiReply): RemoteLoginError {
  const s = parseSense(r.sense);
  // LOGICAL UNIT NOT SUPPORTED: the target has no such LUN.
  const code = s?.asc === 0x25 ? 'ENOENT' : 'EIO';
  return new RemoteLoginError(`${where}: the LUN is not usable: status 0x${r.status.toString(16)}, ${describeSense(s)}`, code);
}

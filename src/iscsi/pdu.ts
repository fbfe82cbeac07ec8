/**
 * iSCSI PDU codec: pure framing plus one parse/serialize function per opcode. No sockets.
 *
 * A PDU is its 48-byte Basic Header Segment, optional Additional Header Segments and a
 * data segment. `PduParser` is the receive state machine (header → header digest → data →
 * data digest): it keeps the unfinished remainder of the byte stream and hands out whole
 * PDUs. Data segments lying inside one received chunk are handed out as views; a segment
 * spanning chunks is assembled into one buffer (the single copy).
 */
import { crc32c, crc32cPadded } from './crc32c.js';
import { IscsiProtocolError, RejectReason } from './errors.js';

export const BHS_LENGTH = 48;
export const RESERVED_TAG = 0xffffffff;

export const enum Opcode {
  // initiator → target
  NopOut = 0x00,
  ScsiCommand = 0x01,
  TaskMgmtRequest = 0x02,
  LoginRequest = 0x03,
  TextRequest = 0x04,
  DataOut = 0x05,
  LogoutRequest = 0x06,
  Snack = 0x10,
  // target → initiator
  NopIn = 0x20,
  ScsiResponse = 0x21,
  TaskMgmtResponse = 0x22,
  LoginResponse = 0x23,
  TextResponse = 0x24,
  DataIn = 0x25,
  LogoutResponse = 0x26,
  R2T = 0x31,
  AsyncMessage = 0x32,
  Reject = 0x3f,
}

export interface Pdu {
  /** The 48-byte BHS. */
  readonly bhs: Buffer;
  /** Additional header segments, or null. */
  readonly ahs: Buffer | null;
  /** The data segment without padding (possibly empty). */
  readonly data: Buffer;
}

const EMPTY = Buffer.alloc(0);

export function opcodeOf(bhs: Buffer): number {
  return bhs[0]! & 0x3f;
}
export function isImmediate(bhs: Buffer): boolean {
  return (bhs[0]! & 0x40) !== 0;
}
export function isFinal(bhs: Buffer): boolean {
  return (bhs[1]! & 0x80) !== 0;
}
export function dataSegmentLength(bhs: Buffer): number {
  return (bhs[5]! << 16) | (bhs[6]! << 8) | bhs[7]!;
}
export function setDataSegmentLength(bhs: Buffer, len: number): void {
  bhs[5] = (len >>> 16) & 0xff;
  bhs[6] = (len >>> 8) & 0xff;
  bhs[7] = len & 0xff;
}
export function padLength(len: number): number {
  return (4 - (len & 3)) & 3;
}

/* ------------------------------------------------------------------ LUN field */

/**
 * Decode the 8-byte LUN field (SAM: peripheral or flat addressing); -1 if unsupported.
 * Peripheral addressing with a non-zero bus byte is read like flat addressing, as
 * libiscsi and Linux put LUNs >= 256 on the wire as plain 16-bit numbers.
 */
export function decodeLun(bhs: Buffer, off = 8): number {
  const b0 = bhs[off]!;
  const method = b0 >>> 6;
  if (method === 0 || method === 1) return ((b0 & 0x3f) << 8) | bhs[off + 1]!;
  return -1;
}

/** Encode a LUN number as the 8-byte field: <256 peripheral (00 lun), else flat (0x40|hi). */
export function encodeLun(lun: number, buf: Buffer, off = 8): void {
  buf.fill(0, off, off + 8);
  if (lun < 256) {
    buf[off + 1] = lun;
  } else {
    buf[off] = 0x40 | ((lun >>> 8) & 0x3f);
    buf[off + 1] = lun & 0xff;
  }
}

/* ------------------------------------------------------------------ parser */

export const enum RecvState {
  AwaitHeader = 0,
  AwaitData = 1,
}

export interface ParserLimits {
  /** Largest data segment accepted (our MaxRecvDataSegmentLength, or the login limit). */
  maxDataSegmentLength: number;
  headerDigest: boolean;
  dataDigest: boolean;
}

/**
 * Receive state machine. `feed()` consumes a chunk and calls `onPdu` for every whole PDU.
 * Framing errors (digest mismatch, oversized segment) are thrown as IscsiProtocolError;
 * the parser is then unusable (the connection must close). A data digest error is
 * reported through `onDataDigestError` instead, since the framing stays intact.
 */
export class PduParser {
  limits: ParserLimits;
  state: RecvState = RecvState.AwaitHeader;
  /** Header bytes collected so far (BHS + AHS + header digest). */
  private hdr = Buffer.allocUnsafe(BHS_LENGTH + 4);
  private hdrHave = 0;
  private hdrNeed = BHS_LENGTH;
  private bhs: Buffer | null = null;
  private ahs: Buffer | null = null;
  private dsl = 0;
  /** Padded data + data digest assembled across chunks. */
  private dataBuf: Buffer | null = null;
  /** Where a spanning data segment is being placed directly, and its pad + digest bytes. */
  private dest: Buffer | null = null;
  private tail: Buffer | null = null;
  /** The tail of a placed segment (at most 3 pad bytes + a 4-byte digest): one per parser, not one per PDU. */
  private readonly tailScratch = Buffer.allocUnsafe(8);
  /**
   * Optional: given a header whose data segment spans chunks, return a buffer of exactly
   * `length` bytes to receive the data (or null for a fresh one). The PDU is then emitted
   * with `data` being that buffer.
   */
  placeData: ((bhs: Buffer, length: number) => Buffer | null) | null = null;
  private dataHave = 0;
  private dataNeed = 0;

  constructor(limits: ParserLimits) {
    this.limits = limits;
  }

  /** True when no partial PDU is buffered. */
  get idle(): boolean {
    return this.state === RecvState.AwaitHeader && this.hdrHave === 0;
  }

  feed(chunk: Buffer, onPdu: (pdu: Pdu, digestOk: boolean) => void): void {
    let pos = 0;
    const len = chunk.length;
    while (pos < len) {
      if (this.state === RecvState.AwaitHeader) {
        const take = Math.min(this.hdrNeed - this.hdrHave, len - pos);
        chunk.copy(this.hdr, this.hdrHave, pos, pos + take);
        this.hdrHave += take;
        pos += take;
        if (this.hdrHave < this.hdrNeed) return;
        if (this.hdrNeed === BHS_LENGTH) {
          // BHS complete: does an AHS or a header digest follow?
          const ahsLen = this.hdr[4]! * 4;
          const need = BHS_LENGTH + ahsLen + (this.limits.headerDigest ? 4 : 0);
          if (need > BHS_LENGTH) {
            if (this.hdr.length < need) {
              const bigger = Buffer.allocUnsafe(need);
              this.hdr.copy(bigger, 0, 0, BHS_LENGTH);
              this.hdr = bigger;
            }
            this.hdrNeed = need;
            continue;
          }
        }
        this.headerDone();
        if (this.dataNeed === 0) {
          this.emit(EMPTY, true, onPdu);
          continue;
        }
        const avail = len - pos;
        if (avail >= this.dataNeed) {
          // Whole segment in this chunk: hand out a view, no copy.
          const seg = chunk.subarray(pos, pos + this.dataNeed);
          pos += this.dataNeed;
          this.finishData(seg, onPdu);
          continue;
        }
        // The segment spans chunks: assemble it, straight into its final place when the
        // owner of the PDU has one (a write task's buffer), so it is copied only once.
        const dest = this.placeData ? this.placeData(this.bhs!, this.dsl) : null;
        if (dest && dest.length === this.dsl) {
          this.dest = dest;
          this.tail = this.dataNeed > this.dsl ? this.tailScratch : null;
        } else {
          this.dataBuf = Buffer.allocUnsafe(this.dataNeed);
        }
        this.dataHave = 0;
        this.state = RecvState.AwaitData;
      } else {
        const take = Math.min(this.dataNeed - this.dataHave, len - pos);
        if (this.dest) {
          // Data bytes go to the destination, pad and digest to the tail.
          const toDest = Math.max(0, Math.min(take, this.dsl - this.dataHave));
          if (toDest) chunk.copy(this.dest, this.dataHave, pos, pos + toDest);
          if (take > toDest) chunk.copy(this.tail!, this.dataHave + toDest - this.dsl, pos + toDest, pos + take);
        } else {
          chunk.copy(this.dataBuf!, this.dataHave, pos, pos + take);
        }
        this.dataHave += take;
        pos += take;
        if (this.dataHave < this.dataNeed) return;
        if (this.dest) {
          const dest = this.dest;
          const tail = this.tail;
          this.dest = null;
          this.tail = null;
          this.finishPlaced(dest, tail, onPdu);
        } else {
          const seg = this.dataBuf!;
          this.dataBuf = null;
          this.finishData(seg, onPdu);
        }
      }
    }
  }

  private headerDone(): void {
    const ahsLen = this.hdr[4]! * 4;
    const hdrLen = BHS_LENGTH + ahsLen;
    if (this.limits.headerDigest) {
      const got = this.hdr.readUInt32LE(hdrLen);
      const want = crc32c(this.hdr, 0, 0, hdrLen);
      if (got !== want) {
        throw new IscsiProtocolError('ERR_HEADER_DIGEST', 'header digest mismatch', { fatal: true });
      }
    }
    // Copy out the header: the scratch buffer is reused for the next PDU.
    const bhs = Buffer.allocUnsafe(BHS_LENGTH);
    this.hdr.copy(bhs, 0, 0, BHS_LENGTH);
    this.bhs = bhs;
    this.ahs = ahsLen ? Buffer.from(this.hdr.subarray(BHS_LENGTH, hdrLen)) : null;
    const dsl = dataSegmentLength(bhs);
    if (dsl > this.limits.maxDataSegmentLength) {
      throw new IscsiProtocolError('ERR_DATA_SEGMENT_TOO_LONG', `data segment of ${dsl} bytes exceeds ${this.limits.maxDataSegmentLength}`, {
        reject: RejectReason.ProtocolError,
        fatal: true,
      });
    }
    this.dsl = dsl;
    this.dataNeed = dsl ? dsl + padLength(dsl) + (this.limits.dataDigest ? 4 : 0) : 0;
    this.hdrHave = 0;
    this.hdrNeed = BHS_LENGTH;
  }

  private finishData(seg: Buffer, onPdu: (pdu: Pdu, digestOk: boolean) => void): void {
    this.state = RecvState.AwaitHeader;
    let ok = true;
    if (this.limits.dataDigest) {
      const padded = this.dsl + padLength(this.dsl);
      ok = seg.readUInt32LE(padded) === crc32c(seg, 0, 0, padded);
    }
    this.emit(seg.subarray(0, this.dsl), ok, onPdu);
  }

  private finishPlaced(dest: Buffer, tail: Buffer | null, onPdu: (pdu: Pdu, digestOk: boolean) => void): void {
    this.state = RecvState.AwaitHeader;
    let ok = true;
    if (this.limits.dataDigest) {
      const pad = padLength(this.dsl);
      let c = crc32c(dest);
      if (pad) c = crc32c(tail!, c, 0, pad);
      ok = tail!.readUInt32LE(pad) === c;
    }
    this.emit(dest, ok, onPdu);
  }

  private emit(data: Buffer, ok: boolean, onPdu: (pdu: Pdu, digestOk: boolean) => void): void {
    const pdu: Pdu = { bhs: this.bhs!, ahs: this.ahs, data };
    this.bhs = null;
    this.ahs = null;
    this.dataNeed = 0;
    onPdu(pdu, ok);
  }
}

/**
 * The wire pieces of one PDU: header (BHS [+AHS]) with its digest, the data segment, pad
 * and data digest. `connection.ts` writes them with cork/uncork; the data is never copied.
 */
export function framePdu(bhs: Buffer, data: Buffer | null, headerDigest: boolean, dataDigest: boolean, out: Buffer[]): number {
  const dlen = data ? data.length : 0;
  setDataSegmentLength(bhs, dlen);
  let total = bhs.length;
  if (headerDigest) {
    // header and its digest as one piece: a 48-byte copy costs less than one more
    // socket.write (and writev entry) per PDU
    const h = Buffer.allocUnsafe(bhs.length + 4);
    bhs.copy(h, 0);
    h.writeUInt32LE(crc32c(bhs), bhs.length);
    out.push(h);
    total += 4;
  } else {
    out.push(bhs);
  }
  if (dlen) {
    out.push(data!);
    const pad = padLength(dlen);
    if (dataDigest) {
      const tail = Buffer.allocUnsafe(pad + 4);
      if (pad) tail.fill(0, 0, pad);
      tail.writeUInt32LE(crc32cPadded(data!), pad);
      out.push(tail);
      total += pad + 4;
    } else if (pad) {
      out.push(PADS[pad]!);
      total += pad;
    }
    total += dlen;
  }
  return total;
}
const PADS = [EMPTY, Buffer.alloc(1), Buffer.alloc(2), Buffer.alloc(3)];

/** Serialize a whole PDU into one buffer (tests, the initiator's small PDUs). */
export function encodePdu(bhs: Buffer, data: Buffer | null, headerDigest = false, dataDigest = false): Buffer {
  const parts: Buffer[] = [];
  framePdu(bhs, data, headerDigest, dataDigest, parts);
  return Buffer.concat(parts);
}

function newBhs(opcode: number, flags: number): Buffer {
  const b = Buffer.alloc(BHS_LENGTH);
  b[0] = opcode;
  b[1] = flags;
  return b;
}

/* ------------------------------------------------------------------ initiator → target */

export interface ScsiCommandPdu {
  immediate: boolean;
  final: boolean;
  read: boolean;
  write: boolean;
  attribute: number;
  lun: number;
  itt: number;
  expectedLength: number;
  cmdSN: number;
  expStatSN: number;
  cdb: Buffer;
}

export function parseScsiCommand(pdu: Pdu): ScsiCommandPdu {
  const b = pdu.bhs;
  let cdb = b.subarray(32, 48);
  if (pdu.ahs) {
    // Extended CDB AHS (type 1): length(2) type(1) reserved(1) then CDB bytes 16..
    const ahsLen = pdu.ahs.readUInt16BE(0);
    if (pdu.ahs[2] === 1 && ahsLen >= 1 && ahsLen - 1 + 4 <= pdu.ahs.length) {
      cdb = Buffer.concat([cdb, pdu.ahs.subarray(4, 4 + ahsLen - 1)]);
    }
  }
  return {
    immediate: isImmediate(b),
    final: (b[1]! & 0x80) !== 0,
    read: (b[1]! & 0x40) !== 0,
    write: (b[1]! & 0x20) !== 0,
    attribute: b[1]! & 0x07,
    lun: decodeLun(b),
    itt: b.readUInt32BE(16),
    expectedLength: b.readUInt32BE(20),
    cmdSN: b.readUInt32BE(24),
    expStatSN: b.readUInt32BE(28),
    cdb,
  };
}

export function serializeScsiCommand(c: Omit<ScsiCommandPdu, 'cdb'> & { cdb: Buffer }): Buffer {
  const b = newBhs(Opcode.ScsiCommand | (c.immediate ? 0x40 : 0), (c.final ? 0x80 : 0) | (c.read ? 0x40 : 0) | (c.write ? 0x20 : 0) | (c.attribute & 7));
  encodeLun(c.lun, b);
  b.writeUInt32BE(c.itt >>> 0, 16);
  b.writeUInt32BE(c.expectedLength >>> 0, 20);
  b.writeUInt32BE(c.cmdSN >>> 0, 24);
  b.writeUInt32BE(c.expStatSN >>> 0, 28);
  c.cdb.copy(b, 32, 0, Math.min(16, c.cdb.length));
  return b;
}

export interface DataOutPdu {
  final: boolean;
  lun: number;
  itt: number;
  ttt: number;
  expStatSN: number;
  dataSN: number;
  bufferOffset: number;
}

export function parseDataOut(pdu: Pdu): DataOutPdu {
  const b = pdu.bhs;
  return {
    final: isFinal(b),
    lun: decodeLun(b),
    itt: b.readUInt32BE(16),
    ttt: b.readUInt32BE(20),
    expStatSN: b.readUInt32BE(28),
    dataSN: b.readUInt32BE(36),
    bufferOffset: b.readUInt32BE(40),
  };
}

export function serializeDataOut(d: DataOutPdu): Buffer {
  const b = newBhs(Opcode.DataOut, d.final ? 0x80 : 0);
  encodeLun(d.lun, b);
  b.writeUInt32BE(d.itt >>> 0, 16);
  b.writeUInt32BE(d.ttt >>> 0, 20);
  b.writeUInt32BE(d.expStatSN >>> 0, 28);
  b.writeUInt32BE(d.dataSN >>> 0, 36);
  b.writeUInt32BE(d.bufferOffset >>> 0, 40);
  return b;
}

export interface NopOutPdu {
  immediate: boolean;
  lun: number;
  itt: number;
  ttt: number;
  cmdSN: number;
  expStatSN: number;
}

export function parseNopOut(pdu: Pdu): NopOutPdu {
  const b = pdu.bhs;
  return {
    immediate: isImmediate(b),
    lun: decodeLun(b),
    itt: b.readUInt32BE(16),
    ttt: b.readUInt32BE(20),
    cmdSN: b.readUInt32BE(24),
    expStatSN: b.readUInt32BE(28),
  };
}

export function serializeNopOut(n: NopOutPdu): Buffer {
  const b = newBhs(Opcode.NopOut | (n.immediate ? 0x40 : 0), 0x80);
  encodeLun(n.lun, b);
  b.writeUInt32BE(n.itt >>> 0, 16);
  b.writeUInt32BE(n.ttt >>> 0, 20);
  b.writeUInt32BE(n.cmdSN >>> 0, 24);
  b.writeUInt32BE(n.expStatSN >>> 0, 28);
  return b;
}

export const enum TmfFunction {
  AbortTask = 1,
  AbortTaskSet = 2,
  ClearAca = 3,
  ClearTaskSet = 4,
  LogicalUnitReset = 5,
  TargetWarmReset = 6,
  TargetColdReset = 7,
  TaskReassign = 8,
}

export const enum TmfResponse {
  FunctionComplete = 0,
  TaskDoesNotExist = 1,
  LunDoesNotExist = 2,
  TaskStillAllegiant = 3,
  ReassignmentNotSupported = 4,
  FunctionNotSupported = 5,
  AuthorizationFailed = 6,
  FunctionRejected = 255,
}

export interface TaskMgmtRequestPdu {
  immediate: boolean;
  function: number;
  lun: number;
  itt: number;
  referencedTaskTag: number;
  cmdSN: number;
  expStatSN: number;
  refCmdSN: number;
  expDataSN: number;
}

export function parseTaskMgmtRequest(pdu: Pdu): TaskMgmtRequestPdu {
  const b = pdu.bhs;
  return {
    immediate: isImmediate(b),
    function: b[1]! & 0x7f,
    lun: decodeLun(b),
    itt: b.readUInt32BE(16),
    referencedTaskTag: b.readUInt32BE(20),
    cmdSN: b.readUInt32BE(24),
    expStatSN: b.readUInt32BE(28),
    refCmdSN: b.readUInt32BE(32),
    expDataSN: b.readUInt32BE(36),
  };
}

export function serializeTaskMgmtRequest(t: TaskMgmtRequestPdu): Buffer {
  const b = newBhs(Opcode.TaskMgmtRequest | (t.immediate ? 0x40 : 0), 0x80 | (t.function & 0x7f));
  encodeLun(t.lun, b);
  b.writeUInt32BE(t.itt >>> 0, 16);
  b.writeUInt32BE(t.referencedTaskTag >>> 0, 20);
  b.writeUInt32BE(t.cmdSN >>> 0, 24);
  b.writeUInt32BE(t.expStatSN >>> 0, 28);
  b.writeUInt32BE(t.refCmdSN >>> 0, 32);
  b.writeUInt32BE(t.expDataSN >>> 0, 36);
  return b;
}

export const enum Stage {
  Security = 0,
  Operational = 1,
  FullFeature = 3,
}

export interface LoginRequestPdu {
  transit: boolean;
  cont: boolean;
  csg: number;
  nsg: number;
  versionMax: number;
  versionMin: number;
  isid: Buffer;
  tsih: number;
  itt: number;
  cid: number;
  cmdSN: number;
  expStatSN: number;
}

export function parseLoginRequest(pdu: Pdu): LoginRequestPdu {
  const b = pdu.bhs;
  return {
    transit: (b[1]! & 0x80) !== 0,
    cont: (b[1]! & 0x40) !== 0,
    csg: (b[1]! >>> 2) & 3,
    nsg: b[1]! & 3,
    versionMax: b[2]!,
    versionMin: b[3]!,
    isid: Buffer.from(b.subarray(8, 14)),
    tsih: b.readUInt16BE(14),
    itt: b.readUInt32BE(16),
    cid: b.readUInt16BE(20),
    cmdSN: b.readUInt32BE(24),
    expStatSN: b.readUInt32BE(28),
  };
}

export function serializeLoginRequest(l: LoginRequestPdu): Buffer {
  const b = newBhs(Opcode.LoginRequest | 0x40, (l.transit ? 0x80 : 0) | (l.cont ? 0x40 : 0) | ((l.csg & 3) << 2) | (l.transit ? l.nsg & 3 : 0));
  b[2] = l.versionMax;
  b[3] = l.versionMin;
  l.isid.copy(b, 8, 0, 6);
  b.writeUInt16BE(l.tsih, 14);
  b.writeUInt32BE(l.itt >>> 0, 16);
  b.writeUInt16BE(l.cid, 20);
  b.writeUInt32BE(l.cmdSN >>> 0, 24);
  b.writeUInt32BE(l.expStatSN >>> 0, 28);
  return b;
}

export interface TextRequestPdu {
  immediate: boolean;
  final: boolean;
  cont: boolean;
  lun: number;
  itt: number;
  ttt: number;
  cmdSN: number;
  expStatSN: number;
}

export function parseTextRequest(pdu: Pdu): TextRequestPdu {
  const b = pdu.bhs;
  return {
    immediate: isImmediate(b),
    final: (b[1]! & 0x80) !== 0,
    cont: (b[1]! & 0x40) !== 0,
    lun: decodeLun(b),
    itt: b.readUInt32BE(16),
    ttt: b.readUInt32BE(20),
    cmdSN: b.readUInt32BE(24),
    expStatSN: b.readUInt32BE(28),
  };
}

export function serializeTextRequest(t: TextRequestPdu): Buffer {
  const b = newBhs(Opcode.TextRequest | (t.immediate ? 0x40 : 0), (t.final ? 0x80 : 0) | (t.cont ? 0x40 : 0));
  encodeLun(t.lun, b);
  b.writeUInt32BE(t.itt >>> 0, 16);
  b.writeUInt32BE(t.ttt >>> 0, 20);
  b.writeUInt32BE(t.cmdSN >>> 0, 24);
  b.writeUInt32BE(t.expStatSN >>> 0, 28);
  return b;
}

export const enum LogoutReason {
  CloseSession = 0,
  CloseConnection = 1,
  RemoveConnectionForRecovery = 2,
}

export interface LogoutRequestPdu {
  immediate: boolean;
  reason: number;
  itt: number;
  cid: number;
  cmdSN: number;
  expStatSN: number;
}

export function parseLogoutRequest(pdu: Pdu): LogoutRequestPdu {
  const b = pdu.bhs;
  return {
    immediate: isImmediate(b),
    reason: b[1]! & 0x7f,
    itt: b.readUInt32BE(16),
    cid: b.readUInt16BE(20),
    cmdSN: b.readUInt32BE(24),
    expStatSN: b.readUInt32BE(28),
  };
}

export function serializeLogoutRequest(l: LogoutRequestPdu): Buffer {
  const b = newBhs(Opcode.LogoutRequest | (l.immediate ? 0x40 : 0), 0x80 | (l.reason & 0x7f));
  b.writeUInt32BE(l.itt >>> 0, 16);
  b.writeUInt16BE(l.cid, 20);
  b.writeUInt32BE(l.cmdSN >>> 0, 24);
  b.writeUInt32BE(l.expStatSN >>> 0, 28);
  return b;
}

/* ------------------------------------------------------------------ target → initiator */

/** Fields every target PDU carrying sequence numbers has. */
export interface SeqNumbers {
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
}

function writeSeq(b: Buffer, s: SeqNumbers): void {
  b.writeUInt32BE(s.statSN >>> 0, 24);
  b.writeUInt32BE(s.expCmdSN >>> 0, 28);
  b.writeUInt32BE(s.maxCmdSN >>> 0, 32);
}
function readSeq(b: Buffer): SeqNumbers {
  return { statSN: b.readUInt32BE(24), expCmdSN: b.readUInt32BE(28), maxCmdSN: b.readUInt32BE(32) };
}

export interface ScsiResponsePdu extends SeqNumbers {
  overflow: boolean;
  underflow: boolean;
  response: number;
  status: number;
  itt: number;
  expDataSN: number;
  residualCount: number;
}

export function serializeScsiResponse(r: ScsiResponsePdu): Buffer {
  const b = newBhs(Opcode.ScsiResponse, 0x80 | (r.overflow ? 0x04 : 0) | (r.underflow ? 0x02 : 0));
  b[2] = r.response;
  b[3] = r.status;
  b.writeUInt32BE(r.itt >>> 0, 16);
  writeSeq(b, r);
  b.writeUInt32BE(r.expDataSN >>> 0, 36);
  b.writeUInt32BE(r.residualCount >>> 0, 44);
  return b;
}

export function parseScsiResponse(pdu: Pdu): ScsiResponsePdu & { sense: Buffer | null } {
  const b = pdu.bhs;
  let sense: Buffer | null = null;
  if (pdu.data.length >= 2) {
    const sl = pdu.data.readUInt16BE(0);
    sense = pdu.data.subarray(2, 2 + sl);
  }
  return {
    overflow: (b[1]! & 0x04) !== 0,
    underflow: (b[1]! & 0x02) !== 0,
    response: b[2]!,
    status: b[3]!,
    itt: b.readUInt32BE(16),
    ...readSeq(b),
    expDataSN: b.readUInt32BE(36),
    residualCount: b.readUInt32BE(44),
    sense,
  };
}

export interface DataInPdu extends SeqNumbers {
  final: boolean;
  /** S bit: status in this PDU. */
  hasStatus: boolean;
  overflow: boolean;
  underflow: boolean;
  status: number;
  lun: number;
  itt: number;
  dataSN: number;
  bufferOffset: number;
  residualCount: number;
}

/** Write a Data-In header into a 48-byte buffer (reusable by the caller). */
export function serializeDataIn(d: DataInPdu, b: Buffer = Buffer.allocUnsafe(BHS_LENGTH)): Buffer {
  b.fill(0);
  b[0] = Opcode.DataIn;
  b[1] = (d.final ? 0x80 : 0) | (d.hasStatus ? 0x01 | (d.overflow ? 0x04 : 0) | (d.underflow ? 0x02 : 0) : 0);
  if (d.hasStatus) b[3] = d.status;
  encodeLun(d.lun, b);
  b.writeUInt32BE(d.itt >>> 0, 16);
  b.writeUInt32BE(RESERVED_TAG, 20);
  b.writeUInt32BE(d.hasStatus ? d.statSN >>> 0 : 0, 24);
  b.writeUInt32BE(d.expCmdSN >>> 0, 28);
  b.writeUInt32BE(d.maxCmdSN >>> 0, 32);
  b.writeUInt32BE(d.dataSN >>> 0, 36);
  b.writeUInt32BE(d.bufferOffset >>> 0, 40);
  b.writeUInt32BE(d.hasStatus ? d.residualCount >>> 0 : 0, 44);
  return b;
}

export function parseDataIn(pdu: Pdu): DataInPdu {
  const b = pdu.bhs;
  return {
    final: (b[1]! & 0x80) !== 0,
    hasStatus: (b[1]! & 0x01) !== 0,
    overflow: (b[1]! & 0x04) !== 0,
    underflow: (b[1]! & 0x02) !== 0,
    status: b[3]!,
    lun: decodeLun(b),
    itt: b.readUInt32BE(16),
    ...readSeq(b),
    dataSN: b.readUInt32BE(36),
    bufferOffset: b.readUInt32BE(40),
    residualCount: b.readUInt32BE(44),
  };
}

export interface R2TPdu extends SeqNumbers {
  lun: number;
  itt: number;
  ttt: number;
  r2tSN: number;
  bufferOffset: number;
  desiredLength: number;
}

export function serializeR2T(r: R2TPdu): Buffer {
  const b = newBhs(Opcode.R2T, 0x80);
  encodeLun(r.lun, b);
  b.writeUInt32BE(r.itt >>> 0, 16);
  b.writeUInt32BE(r.ttt >>> 0, 20);
  writeSeq(b, r);
  b.writeUInt32BE(r.r2tSN >>> 0, 36);
  b.writeUInt32BE(r.bufferOffset >>> 0, 40);
  b.writeUInt32BE(r.desiredLength >>> 0, 44);
  return b;
}

export function parseR2T(pdu: Pdu): R2TPdu {
  const b = pdu.bhs;
  return {
    lun: decodeLun(b),
    itt: b.readUInt32BE(16),
    ttt: b.readUInt32BE(20),
    ...readSeq(b),
    r2tSN: b.readUInt32BE(36),
    bufferOffset: b.readUInt32BE(40),
    desiredLength: b.readUInt32BE(44),
  };
}

export interface NopInPdu extends SeqNumbers {
  lun: number;
  itt: number;
  ttt: number;
}

export function serializeNopIn(n: NopInPdu): Buffer {
  const b = newBhs(Opcode.NopIn, 0x80);
  encodeLun(n.lun, b);
  b.writeUInt32BE(n.itt >>> 0, 16);
  b.writeUInt32BE(n.ttt >>> 0, 20);
  writeSeq(b, n);
  return b;
}

export function parseNopIn(pdu: Pdu): NopInPdu {
  const b = pdu.bhs;
  return { lun: decodeLun(b), itt: b.readUInt32BE(16), ttt: b.readUInt32BE(20), ...readSeq(b) };
}

export interface TaskMgmtResponsePdu extends SeqNumbers {
  response: number;
  itt: number;
}

export function serializeTaskMgmtResponse(t: TaskMgmtResponsePdu): Buffer {
  const b = newBhs(Opcode.TaskMgmtResponse, 0x80);
  b[2] = t.response;
  b.writeUInt32BE(t.itt >>> 0, 16);
  writeSeq(b, t);
  return b;
}

export function parseTaskMgmtResponse(pdu: Pdu): TaskMgmtResponsePdu {
  const b = pdu.bhs;
  return { response: b[2]!, itt: b.readUInt32BE(16), ...readSeq(b) };
}

export interface LoginResponsePdu extends SeqNumbers {
  transit: boolean;
  cont: boolean;
  csg: number;
  nsg: number;
  versionMax: number;
  versionActive: number;
  isid: Buffer;
  tsih: number;
  itt: number;
  statusClass: number;
  statusDetail: number;
}

export function serializeLoginResponse(l: LoginResponsePdu): Buffer {
  const b = newBhs(Opcode.LoginResponse, (l.transit ? 0x80 : 0) | (l.cont ? 0x40 : 0) | ((l.csg & 3) << 2) | (l.transit ? l.nsg & 3 : 0));
  b[2] = l.versionMax;
  b[3] = l.versionActive;
  l.isid.copy(b, 8, 0, 6);
  b.writeUInt16BE(l.tsih, 14);
  b.writeUInt32BE(l.itt >>> 0, 16);
  writeSeq(b, l);
  b[36] = l.statusClass;
  b[37] = l.statusDetail;
  return b;
}

export function parseLoginResponse(pdu: Pdu): LoginResponsePdu {
  const b = pdu.bhs;
  return {
    transit: (b[1]! & 0x80) !== 0,
    cont: (b[1]! & 0x40) !== 0,
    csg: (b[1]! >>> 2) & 3,
    nsg: b[1]! & 3,
    versionMax: b[2]!,
    versionActive: b[3]!,
    isid: Buffer.from(b.subarray(8, 14)),
    tsih: b.readUInt16BE(14),
    itt: b.readUInt32BE(16),
    ...readSeq(b),
    statusClass: b[36]!,
    statusDetail: b[37]!,
  };
}

export interface TextResponsePdu extends SeqNumbers {
  final: boolean;
  cont: boolean;
  lun: number;
  itt: number;
  ttt: number;
}

export function serializeTextResponse(t: TextResponsePdu): Buffer {
  const b = newBhs(Opcode.TextResponse, (t.final ? 0x80 : 0) | (t.cont ? 0x40 : 0));
  encodeLun(t.lun, b);
  b.writeUInt32BE(t.itt >>> 0, 16);
  b.writeUInt32BE(t.ttt >>> 0, 20);
  writeSeq(b, t);
  return b;
}

export function parseTextResponse(pdu: Pdu): TextResponsePdu {
  const b = pdu.bhs;
  return {
    final: (b[1]! & 0x80) !== 0,
    cont: (b[1]! & 0x40) !== 0,
    lun: decodeLun(b),
    itt: b.readUInt32BE(16),
    ttt: b.readUInt32BE(20),
    ...readSeq(b),
  };
}

export interface LogoutResponsePdu extends SeqNumbers {
  response: number;
  itt: number;
  time2Wait: number;
  time2Retain: number;
}

export function serializeLogoutResponse(l: LogoutResponsePdu): Buffer {
  const b = newBhs(Opcode.LogoutResponse, 0x80);
  b[2] = l.response;
  b.writeUInt32BE(l.itt >>> 0, 16);
  writeSeq(b, l);
  b.writeUInt16BE(l.time2Wait, 40);
  b.writeUInt16BE(l.time2Retain, 42);
  return b;
}

export function parseLogoutResponse(pdu: Pdu): LogoutResponsePdu {
  const b = pdu.bhs;
  return {
    response: b[2]!,
    itt: b.readUInt32BE(16),
    ...readSeq(b),
    time2Wait: b.readUInt16BE(40),
    time2Retain: b.readUInt16BE(42),
  };
}

export interface RejectPdu extends SeqNumbers {
  reason: number;
  dataSN: number;
}

/** Reject header; its data segment is the rejected PDU's BHS. */
export function serializeReject(r: RejectPdu): Buffer {
  const b = newBhs(Opcode.Reject, 0x80);
  b[2] = r.reason;
  b.writeUInt32BE(RESERVED_TAG, 16);
  writeSeq(b, r);
  b.writeUInt32BE(r.dataSN >>> 0, 36);
  return b;
}

export function parseReject(pdu: Pdu): RejectPdu & { rejectedBhs: Buffer } {
  const b = pdu.bhs;
  return { reason: b[2]!, ...readSeq(b), dataSN: b.readUInt32BE(36), rejectedBhs: pdu.data };
}

/**
 * sanbox's own iSCSI initiator: a small promise-based client over the same PDU codec.
 * connect → login (Discovery or Normal, optional CHAP, optional digests) → SendTargets,
 * SCSI commands (immediate data, unsolicited Data-Out, R2T), NOP, TMF → logout.
 * Used by tests, the CLI and remote pools; not tuned for throughput.
 */
import net from 'node:net';
import { ChapInitiator, type ChapInitiatorOptions } from '../iscsi/chap.js';
import { Opcode, RESERVED_TAG, opcodeOf, type Pdu } from '../iscsi/pdu/bhs.js';
import { PduParser, framePdu } from '../iscsi/pdu/framer.js';
import { parseLoginResponse, serializeLoginRequest } from '../iscsi/pdu/login.js';
import { parseLogoutResponse, serializeLogoutRequest } from '../iscsi/pdu/logout.js';
import { parseNopIn, serializeNopOut } from '../iscsi/pdu/nop.js';
import { parseReject } from '../iscsi/pdu/reject.js';
import { parseDataIn, parseR2T, parseScsiResponse, serializeDataOut, serializeScsiCommand } from '../iscsi/pdu/scsi.js';
import { parseTaskMgmtResponse, serializeTaskMgmtRequest } from '../iscsi/pdu/task-mgmt.js';
import { parseTextResponse, serializeTextRequest } from '../iscsi/pdu/text.js';
import { parseNumber, parseText, serializeText, type TextPairs } from '../iscsi/text.js';

export interface LoginOptions {
  initiatorName: string;
  /** Omit for a Discovery session. */
  targetName?: string;
  isid?: Buffer;
  /** Join an existing session (MC/S). */
  tsih?: number;
  cid?: number;
  headerDigest?: 'None' | 'CRC32C' | 'CRC32C,None' | 'None,CRC32C';
  dataDigest?: 'None' | 'CRC32C' | 'CRC32C,None' | 'None,CRC32C';
  chap?: ChapInitiatorOptions;
  /** Extra / overriding operational keys, e.g. { InitialR2T: 'No', MaxBurstLength: '16384' }. */
  keys?: Record<string, string>;
  /** Skip the security stage (start in operational). */
  skipSecurity?: boolean;
}

export interface LoginResult {
  tsih: number;
  statusClass: number;
  statusDetail: number;
  /** Every key the target sent, last value wins. */
  targetKeys: Record<string, string>;
}

export class LoginFailedError extends Error {
  constructor(
    readonly statusClass: number,
    readonly statusDetail: number,
    readonly targetKeys: Record<string, string>,
  ) {
    super(`login failed: status 0x${((statusClass << 8) | statusDetail).toString(16).padStart(4, '0')}`);
    this.name = 'LoginFailedError';
  }
  get status(): number {
    return (this.statusClass << 8) | this.statusDetail;
  }
}

export class RejectedError extends Error {
  constructor(
    readonly reason: number,
    readonly rejectedBhs: Buffer,
  ) {
    super(`PDU rejected, reason 0x${reason.toString(16)}`);
    this.name = 'RejectedError';
  }
}

export interface ScsiOptions {
  /** Data to write (Data-Out). */
  dataOut?: Buffer;
  /** Expected Data-In length. */
  readLength?: number;
  /**
   * Where Data-In lands (at least readLength bytes): each PDU's payload is copied once,
   * straight into it. Without it a buffer of readLength is allocated per command.
   */
  into?: Buffer;
  /** Override the Expected Data Transfer Length (residual tests). */
  expectedLength?: number;
  attribute?: number;
  immediate?: boolean;
}

export interface ScsiReply {
  status: number;
  data: Buffer;
  sense: Buffer | null;
  residual: number;
  overflow: boolean;
  underflow: boolean;
  dataInPdus: number;
}

interface Waiter {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

interface ScsiPending extends Waiter {
  itt: number;
  lun: number;
  out: Buffer | null;
  inBuf: Buffer | null;
  inLen: number;
  dataInPdus: number;
  sentUnsolicited: number;
}

export interface NegotiatedView {
  maxRecvDataSegmentLength: number; // the target's: bounds what we send
  maxBurstLength: number;
  firstBurstLength: number;
  initialR2T: boolean;
  immediateData: boolean;
  headerDigest: boolean;
  dataDigest: boolean;
}

export class IscsiInitiator {
  readonly socket: net.Socket;
  private readonly parser: PduParser;
  private itt = 1;
  cmdSN = 1;
  expStatSN = 0;
  maxCmdSN = 1;
  expCmdSN = 1;
  private readonly waiting = new Map<number, Waiter>();
  private readonly scsiPending = new Map<number, ScsiPending>();
  private readonly windowWaiters: Array<() => void> = [];
  private closedErr: Error | null = null;
  readonly neg: NegotiatedView = {
    maxRecvDataSegmentLength: 8192,
    maxBurstLength: 262144,
    firstBurstLength: 65536,
    initialR2T: true,
    immediateData: true,
    headerDigest: false,
    dataDigest: false,
  };
  /** Our MaxRecvDataSegmentLength, declared at login. */
  myMaxRecv = 262144;
  isid: Buffer = Buffer.from([0x80, 0x12, 0x34, 0x56, 0x00, 0x00]);
  cid = 0;
  tsih = 0;
  readonly rejects: Array<{ reason: number; bhs: Buffer }> = [];
  readonly asyncEvents: Pdu[] = [];
  /** NOP-Ins from the target that we answered. */
  pingsAnswered = 0;
  /** When false, target pings go unanswered (timeout tests). */
  answerPings = true;
  private readonly closed: Promise<void>;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.parser = new PduParser({ maxDataSegmentLength: 16777215, headerDigest: false, dataDigest: false });
    socket.setNoDelay(true);
    this.parser.placeData = (bhs, length) => this.placeDataIn(bhs, length);
    socket.on('data', (chunk) => {
      try {
        this.parser.feed(chunk, (pdu, ok) => this.onPdu(pdu, ok));
      } catch (e) {
        this.fail(e as Error);
        socket.destroy();
      }
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('close', () => this.fail(new Error('connection closed')));
    socket.on('error', (e) => this.fail(e));
  }

  /** `localAddress` picks the source address (e.g. 127.0.0.2 to test network rules). */
  static connect(host: string, port: number, timeoutMs = 5000, localAddress?: string): Promise<IscsiInitiator> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port, localAddress });
      const t = setTimeout(() => {
        s.destroy();
        reject(Object.assign(new Error(`connect to ${host}:${port} timed out`), { code: 'ETIMEDOUT' }));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(t);
        resolve(new IscsiInitiator(s));
      });
      s.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
  }

  get isClosed(): boolean {
    return this.closedErr !== null;
  }
  /** Why the connection ended (socket error, digest error, 'connection closed'); null while open. */
  get closeError(): Error | null {
    return this.closedErr;
  }
  whenClosed(): Promise<void> {
    return this.closed;
  }

  private fail(e: Error): void {
    if (this.closedErr) return;
    this.closedErr = e;
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
    for (const w of this.scsiPending.values()) w.reject(e);
    this.scsiPending.clear();
    for (const w of this.windowWaiters.splice(0)) w();
  }

  private nextItt(): number {
    const t = this.itt;
    this.itt = (this.itt + 1) >>> 0;
    if (this.itt === RESERVED_TAG) this.itt = 1;
    return t;
  }

  /** Write raw bytes (malformed-input tests). */
  writeRaw(buf: Buffer): void {
    this.socket.write(buf);
  }

  /** The payload goes to the socket as it is (writev under cork), not copied into one buffer. */
  private sendPdu(bhs: Buffer, data: Buffer | null): void {
    if (this.closedErr) throw this.closedErr;
    const parts: Buffer[] = [];
    framePdu(bhs, data, this.neg.headerDigest, this.neg.dataDigest, parts);
    if (parts.length === 1) {
      this.socket.write(parts[0]!);
      return;
    }
    this.socket.cork();
    for (const p of parts) this.socket.write(p);
    this.socket.uncork();
  }

  /** Login Response PDUs that carried the last login answer (more than 1: continued with the C bit). */
  loginResponsePieces = 0;
  /** The longest data segment of any Login Response received. */
  largestLoginResponse = 0;

  /** Milliseconds a request waits for its answer before it fails (0: forever). */
  requestTimeoutMs = 30000;

  private expect<T>(itt: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closedErr) return reject(this.closedErr);
      let timer: NodeJS.Timeout | null = null;
      if (this.requestTimeoutMs > 0) {
        timer = setTimeout(() => {
          if (this.waiting.get(itt)?.reject === rej) this.waiting.delete(itt);
          reject(new Error(`no answer to ITT 0x${itt.toString(16)} within ${this.requestTimeoutMs} ms`));
        }, this.requestTimeoutMs);
        timer.unref();
      }
      const rej = (e: Error) => {
        if (timer) clearTimeout(timer);
        reject(e);
      };
      this.waiting.set(itt, {
        resolve: (v) => {
          if (timer) clearTimeout(timer);
          resolve(v as T);
        },
        reject: rej,
      });
    });
  }

  private updateSeq(bhs: Buffer, hasStatSN: boolean): void {
    if (hasStatSN) {
      const statSN = bhs.readUInt32BE(24);
      this.expStatSN = (statSN + 1) >>> 0;
    }
    const exp = bhs.readUInt32BE(28);
    const max = bhs.readUInt32BE(32);
    if (((max - exp + 1) | 0) >= 0) {
      if (((exp - this.expCmdSN) | 0) > 0) this.expCmdSN = exp;
      if (((max - this.maxCmdSN) | 0) > 0) {
        this.maxCmdSN = max;
        for (const w of this.windowWaiters.splice(0)) w();
      }
    }
  }

  private async windowOpen(): Promise<void> {
    while (((this.cmdSN - this.maxCmdSN) | 0) > 0 && !this.closedErr) {
      await new Promise<void>((r) => this.windowWaiters.push(r));
    }
    if (this.closedErr) throw this.closedErr;
  }

  private onPdu(pdu: Pdu, digestOk: boolean): void {
    if (!digestOk) {
      this.fail(new Error('data digest error from target'));
      this.socket.destroy();
      return;
    }
    const b = pdu.bhs;
    const op = opcodeOf(b);
    switch (op) {
      case Opcode.LoginResponse:
      case Opcode.TextResponse:
      case Opcode.LogoutResponse:
      case Opcode.TaskMgmtResponse: {
        this.updateSeq(b, true);
        const itt = b.readUInt32BE(16);
        const w = this.waiting.get(itt);
        if (w) {
          this.waiting.delete(itt);
          w.resolve(pdu);
        }
        return;
      }
      case Opcode.NopIn: {
        const n = parseNopIn(pdu);
        if (n.itt === RESERVED_TAG) {
          this.updateSeq(b, false);
          if (n.ttt !== RESERVED_TAG && this.answerPings) {
            this.pingsAnswered++;
            const out = serializeNopOut({ immediate: true, lun: n.lun, itt: RESERVED_TAG, ttt: n.ttt, cmdSN: this.cmdSN, expStatSN: this.expStatSN });
            this.sendPdu(out, null);
          }
          return;
        }
        this.updateSeq(b, true);
        const w = this.waiting.get(n.itt);
        if (w) {
          this.waiting.delete(n.itt);
          w.resolve(pdu);
        }
        return;
      }
      case Opcode.DataIn: {
        const d = parseDataIn(pdu);
        this.updateSeq(b, d.hasStatus);
        const p = this.scsiPending.get(d.itt);
        if (!p) return;
        p.dataInPdus++;
        if (pdu.data.length) {
          const end = d.bufferOffset + pdu.data.length;
          if (!p.inBuf || end > p.inBuf.length) {
            const nb = Buffer.alloc(Math.max(end, p.inBuf ? p.inBuf.length : 0));
            if (p.inBuf) p.inBuf.copy(nb);
            p.inBuf = nb;
          }
          const placed = pdu.data.buffer === p.inBuf.buffer && pdu.data.byteOffset === p.inBuf.byteOffset + d.bufferOffset;
          if (!placed) pdu.data.copy(p.inBuf, d.bufferOffset);
          p.inLen = Math.max(p.inLen, end);
        }
        if (d.hasStatus) {
          this.scsiPending.delete(d.itt);
          p.resolve({
            status: d.status,
            data: p.inBuf ? p.inBuf.subarray(0, p.inLen) : Buffer.alloc(0),
            sense: null,
            residual: d.residualCount,
            overflow: d.overflow,
            underflow: d.underflow,
            dataInPdus: p.dataInPdus,
          } satisfies ScsiReply);
        }
        return;
      }
      case Opcode.ScsiResponse: {
        const r = parseScsiResponse(pdu);
        this.updateSeq(b, true);
        const p = this.scsiPending.get(r.itt);
        if (!p) return;
        this.scsiPending.delete(r.itt);
        p.resolve({
          status: r.status,
          data: p.inBuf ? p.inBuf.subarray(0, p.inLen) : Buffer.alloc(0),
          sense: r.sense && r.sense.length ? Buffer.from(r.sense) : null,
          residual: r.residualCount,
          overflow: r.overflow,
          underflow: r.underflow,
          dataInPdus: p.dataInPdus,
        } satisfies ScsiReply);
        return;
      }
      case Opcode.R2T: {
        const r = parseR2T(pdu);
        this.updateSeq(b, false);
        const p = this.scsiPending.get(r.itt);
        if (!p || !p.out) return;
        this.sendDataOut(p, r.ttt, r.bufferOffset, r.desiredLength);
        return;
      }
      case Opcode.Reject: {
        const r = parseReject(pdu);
        this.updateSeq(b, true);
        this.rejects.push({ reason: r.reason, bhs: Buffer.from(r.rejectedBhs) });
        if (r.rejectedBhs.length >= 48) {
          const itt = r.rejectedBhs.readUInt32BE(16);
          const err = new RejectedError(r.reason, Buffer.from(r.rejectedBhs));
          const w = this.waiting.get(itt);
          if (w) {
            this.waiting.delete(itt);
            w.reject(err);
          }
          const p = this.scsiPending.get(itt);
          if (p && opcodeOf(r.rejectedBhs) === Opcode.ScsiCommand) {
            this.scsiPending.delete(itt);
            p.reject(err);
          }
        }
        return;
      }
      case Opcode.AsyncMessage:
        this.updateSeq(b, true);
        this.asyncEvents.push(pdu);
        return;
      default:
        return;
    }
  }

  /**
   * A Data-In segment that spans socket chunks is assembled by the parser straight into
   * the command's buffer at its offset, instead of into a fresh buffer copied again.
   */
  private placeDataIn(bhs: Buffer, length: number): Buffer | null {
    if (opcodeOf(bhs) !== Opcode.DataIn) return null;
    const p = this.scsiPending.get(bhs.readUInt32BE(16));
    const offset = bhs.readUInt32BE(40);
    if (!p?.inBuf || offset + length > p.inBuf.length) return null;
    return p.inBuf.subarray(offset, offset + length);
  }

  /** One burst under one cork: the socket gets a single writev, not one per PDU. */
  private sendDataOut(p: ScsiPending, ttt: number, offset: number, length: number): void {
    const out = p.out!;
    const end = Math.min(offset + length, out.length);
    const seg = this.neg.maxRecvDataSegmentLength;
    let dataSN = 0;
    this.socket.cork();
    try {
      for (let off = offset; off < end; off += seg) {
        const n = Math.min(seg, end - off);
        const bhs = serializeDataOut({
          final: off + n >= end,
          lun: p.lun,
          itt: p.itt,
          ttt,
          expStatSN: this.expStatSN,
          dataSN: dataSN++,
          bufferOffset: off,
        });
        this.sendPdu(bhs, out.subarray(off, off + n));
      }
    } finally {
      this.socket.uncork();
    }
  }

  /* ------------------------------------------------------------ login */

  async login(o: LoginOptions): Promise<LoginResult> {
    if (o.isid) this.isid = o.isid;
    this.cid = o.cid ?? 0;
    const tsih = o.tsih ?? 0;
    const itt = this.nextItt();
    const targetKeys: Record<string, string> = {};
    const leading = tsih === 0;
    const first: TextPairs = [
      ['InitiatorName', o.initiatorName],
      ['SessionType', o.targetName ? 'Normal' : 'Discovery'],
    ];
    if (o.targetName) first.push(['TargetName', o.targetName]);
    const ops: TextPairs = [
      ['HeaderDigest', o.headerDigest ?? 'None'],
      ['DataDigest', o.dataDigest ?? 'None'],
      ['MaxRecvDataSegmentLength', String(this.myMaxRecv)],
      ['DefaultTime2Wait', '2'],
      ['DefaultTime2Retain', '0'],
      ['ErrorRecoveryLevel', '0'],
    ];
    if (o.targetName && leading) {
      ops.push(
        ['InitialR2T', 'Yes'],
        ['ImmediateData', 'Yes'],
        ['MaxBurstLength', '262144'],
        ['FirstBurstLength', '65536'],
        ['MaxConnections', '4'],
        ['MaxOutstandingR2T', '1'],
        ['DataPDUInOrder', 'Yes'],
        ['DataSequenceInOrder', 'Yes'],
      );
    }
    if (!leading) {
      for (const k of ['DefaultTime2Wait', 'DefaultTime2Retain', 'ErrorRecoveryLevel']) {
        const i = ops.findIndex(([x]) => x === k);
        if (i >= 0) ops.splice(i, 1);
      }
    }
    for (const [k, v] of Object.entries(o.keys ?? {})) {
      const i = ops.findIndex(([x]) => x === k);
      if (i >= 0) ops[i] = [k, v];
      else ops.push([k, v]);
    }

    const request = (csg: number, nsg: number, transit: boolean) =>
      serializeLoginRequest({
        transit,
        cont: false,
        csg,
        nsg,
        versionMax: 0,
        versionMin: 0,
        isid: this.isid,
        tsih,
        itt,
        cid: this.cid,
        cmdSN: this.cmdSN,
        expStatSN: this.expStatSN,
      });
    const exchange = async (csg: number, nsg: number, transit: boolean, pairs: TextPairs) => {
      let wait = this.expect<Pdu>(itt);
      this.sendPdu(request(csg, nsg, transit), serializeText(pairs));
      let pdu = await wait;
      let r = parseLoginResponse(pdu);
      // A continued response (C bit): ask for the rest with empty requests, then parse it whole.
      const pieces: Buffer[] = [];
      while (r.cont && r.statusClass === 0) {
        pieces.push(Buffer.from(pdu.data));
        wait = this.expect<Pdu>(itt);
        this.sendPdu(request(csg, 0, false), null);
        pdu = await wait;
        r = parseLoginResponse(pdu);
      }
      this.loginResponsePieces = pieces.length + 1;
      this.largestLoginResponse = Math.max(this.largestLoginResponse, pdu.data.length, ...pieces.map((p) => p.length));
      const keys = parseText(pieces.length ? Buffer.concat([...pieces, pdu.data]) : pdu.data);
      for (const [k, v] of keys) targetKeys[k] = v;
      if (r.statusClass !== 0) throw new LoginFailedError(r.statusClass, r.statusDetail, targetKeys);
      this.maxCmdSN = r.maxCmdSN;
      this.expCmdSN = r.expCmdSN;
      return { r, keys: new Map(keys) };
    };

    let stage = 0;
    let resp: Awaited<ReturnType<typeof exchange>> | null = null;
    if (!o.skipSecurity) {
      if (o.chap) {
        const chap = new ChapInitiator(o.chap);
        resp = await exchange(0, 1, false, [...first, ['AuthMethod', 'CHAP,None']]);
        if (resp.keys.get('AuthMethod') !== 'CHAP') throw new Error(`target chose AuthMethod=${resp.keys.get('AuthMethod')}`);
        resp = await exchange(0, 1, false, Object.entries(chap.offer()));
        const answer = chap.respond(resp.keys);
        if (!answer.ok) throw new Error(`CHAP: ${answer.detail}`);
        resp = await exchange(0, 1, true, Object.entries(answer.keys));
        if (chap.mutual) {
          const v = chap.verifyTarget(resp.keys);
          if (!v.ok) throw new Error(`target failed mutual CHAP: ${v.detail}`);
        }
      } else {
        resp = await exchange(0, 1, true, [...first, ['AuthMethod', 'None']]);
      }
      // Allow a target that wants another round in the security stage.
      while (!resp.r.transit) resp = await exchange(0, 1, true, []);
      stage = resp.r.nsg;
    }
    if (stage !== 3) {
      let pairs: TextPairs = o.skipSecurity ? [...first, ...ops] : ops;
      for (let round = 0; round < 8; round++) {
        resp = await exchange(1, 3, true, pairs);
        this.applyTargetKeys(targetKeys, o);
        if (resp.r.transit && resp.r.nsg === 3) break;
        // Answer keys the target offered.
        pairs = [];
        for (const [k, v] of resp.keys) {
          if (!ops.some(([x]) => x === k) && (k === 'MaxBurstLength' || k === 'FirstBurstLength' || k === 'MaxOutstandingR2T')) pairs.push([k, v]);
        }
      }
    }
    this.applyTargetKeys(targetKeys, o);
    this.tsih = resp!.r.tsih;
    // Login requests are immediate: the first full-feature CmdSN is the login's.
    this.parser.limits = { maxDataSegmentLength: this.myMaxRecv, headerDigest: this.neg.headerDigest, dataDigest: this.neg.dataDigest };
    return { tsih: this.tsih, statusClass: 0, statusDetail: 0, targetKeys };
  }

  private applyTargetKeys(k: Record<string, string>, o: LoginOptions): void {
    const num = (key: string, dflt: number) => (k[key] !== undefined && Number.isFinite(parseNumber(k[key]!)) ? parseNumber(k[key]!) : dflt);
    this.neg.maxRecvDataSegmentLength = num('MaxRecvDataSegmentLength', 8192);
    this.neg.maxBurstLength = num('MaxBurstLength', 262144);
    this.neg.firstBurstLength = num('FirstBurstLength', 65536);
    this.neg.initialR2T = k.InitialR2T !== undefined ? k.InitialR2T === 'Yes' : (o.keys?.InitialR2T ?? 'Yes') === 'Yes';
    this.neg.immediateData = k.ImmediateData !== undefined ? k.ImmediateData === 'Yes' : (o.keys?.ImmediateData ?? 'Yes') === 'Yes';
    this.neg.headerDigest = k.HeaderDigest === 'CRC32C';
    this.neg.dataDigest = k.DataDigest === 'CRC32C';
  }

  /* ------------------------------------------------------------ full feature */

  async sendTargets(value = 'All'): Promise<Array<{ name: string; addresses: string[] }>> {
    const itt = this.nextItt();
    let body = Buffer.alloc(0);
    let ttt = RESERVED_TAG;
    for (;;) {
      // Every non-immediate Text Request, continuations included, takes a CmdSN.
      await this.windowOpen();
      const bhs = serializeTextRequest({ immediate: false, final: true, cont: false, lun: 0, itt, ttt, cmdSN: this.cmdSN, expStatSN: this.expStatSN });
      this.cmdSN = (this.cmdSN + 1) >>> 0;
      const wait = this.expect<Pdu>(itt);
      this.sendPdu(bhs, ttt === RESERVED_TAG ? serializeText([['SendTargets', value]]) : null);
      const pdu = await wait;
      const r = parseTextResponse(pdu);
      body = Buffer.concat([body, pdu.data]);
      if (!r.cont) break;
      ttt = r.ttt;
    }
    const out: Array<{ name: string; addresses: string[] }> = [];
    for (const [k, v] of parseTextMulti(body)) {
      if (k === 'TargetName') out.push({ name: v, addresses: [] });
      else if (k === 'TargetAddress' && out.length) out[out.length - 1]!.addresses.push(v);
    }
    return out;
  }

  /** Send a text request with arbitrary keys; returns the answer pairs. */
  async text(pairs: TextPairs): Promise<TextPairs> {
    const itt = this.nextItt();
    const bhs = serializeTextRequest({
      immediate: false,
      final: true,
      cont: false,
      lun: 0,
      itt,
      ttt: RESERVED_TAG,
      cmdSN: this.cmdSN,
      expStatSN: this.expStatSN,
    });
    this.cmdSN = (this.cmdSN + 1) >>> 0;
    const wait = this.expect<Pdu>(itt);
    this.sendPdu(bhs, serializeText(pairs));
    return parseTextMulti((await wait).data);
  }

  async scsi(lun: number, cdb: Buffer, o: ScsiOptions = {}): Promise<ScsiReply> {
    if (!o.immediate) await this.windowOpen();
    const itt = this.nextItt();
    const out = o.dataOut ?? null;
    const edtl = o.expectedLength ?? (out ? out.length : (o.readLength ?? 0));
    let imm = 0;
    if (out && this.neg.immediateData) {
      imm = Math.min(out.length, this.neg.firstBurstLength, this.neg.maxRecvDataSegmentLength, edtl);
    }
    const unsolicitedEnd = out && !this.neg.initialR2T ? Math.min(this.neg.firstBurstLength, edtl, out.length) : imm;
    const bhs = serializeScsiCommand({
      immediate: o.immediate ?? false,
      final: unsolicitedEnd <= imm,
      read: !out && (o.readLength ?? 0) > 0,
      write: !!out,
      attribute: o.attribute ?? 1,
      lun,
      itt,
      expectedLength: edtl,
      cmdSN: this.cmdSN,
      expStatSN: this.expStatSN,
      cdb,
    });
    if (!o.immediate) this.cmdSN = (this.cmdSN + 1) >>> 0;
    const p = new Promise<ScsiReply>((resolve, reject) => {
      let timer: NodeJS.Timeout | null = null;
      if (this.requestTimeoutMs > 0) {
        timer = setTimeout(() => {
          this.scsiPending.delete(itt);
          reject(new Error(`SCSI command ITT 0x${itt.toString(16)} not answered within ${this.requestTimeoutMs} ms`));
        }, this.requestTimeoutMs);
        timer.unref();
      }
      this.scsiPending.set(itt, {
        resolve: (v) => {
          if (timer) clearTimeout(timer);
          resolve(v as ScsiReply);
        },
        reject: (e) => {
          if (timer) clearTimeout(timer);
          reject(e);
        },
        itt,
        lun,
        out,
        // Sized up front: growing the buffer per Data-In PDU copied a large read over and over.
        inBuf: o.into ?? (o.readLength ? Buffer.alloc(o.readLength) : null),
        inLen: 0,
        dataInPdus: 0,
        sentUnsolicited: imm,
      });
    });
    this.socket.cork();
    this.sendPdu(bhs, imm ? out!.subarray(0, imm) : null);
    if (unsolicitedEnd > imm) this.sendDataOut(this.scsiPending.get(itt)!, RESERVED_TAG, imm, unsolicitedEnd - imm);
    this.socket.uncork();
    return p;
  }

  async read10(lun: number, lba: number, blocks: number, blockSize = 512): Promise<ScsiReply> {
    const cdb = Buffer.alloc(10);
    cdb[0] = 0x28;
    cdb.writeUInt32BE(lba, 2);
    cdb.writeUInt16BE(blocks, 7);
    return this.scsi(lun, cdb, { readLength: blocks * blockSize });
  }

  async write10(lun: number, lba: number, data: Buffer, blockSize = 512): Promise<ScsiReply> {
    const cdb = Buffer.alloc(10);
    cdb[0] = 0x2a;
    cdb.writeUInt32BE(lba, 2);
    cdb.writeUInt16BE(data.length / blockSize, 7);
    return this.scsi(lun, cdb, { dataOut: data });
  }

  async inquiry(lun: number, alloc = 96): Promise<ScsiReply> {
    const cdb = Buffer.from([0x12, 0, 0, 0, alloc, 0]);
    return this.scsi(lun, cdb, { readLength: alloc });
  }

  async reportLuns(alloc = 4096): Promise<number[]> {
    const cdb = Buffer.alloc(12);
    cdb[0] = 0xa0;
    cdb.writeUInt32BE(alloc, 6);
    const r = await this.scsi(0, cdb, { readLength: alloc });
    if (r.status !== 0) throw new Error(`REPORT LUNS status ${r.status}`);
    const n = r.data.readUInt32BE(0) / 8;
    const luns: number[] = [];
    for (let i = 0; i < n && 8 + i * 8 + 2 <= r.data.length; i++) {
      const b0 = r.data[8 + i * 8]!;
      const b1 = r.data[9 + i * 8]!;
      luns.push(b0 >> 6 === 1 ? ((b0 & 0x3f) << 8) | b1 : b1);
    }
    return luns;
  }

  async readCapacity10(lun: number): Promise<{ lastLba: number; blockSize: number }> {
    const r = await this.scsi(lun, Buffer.from([0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0]), { readLength: 8 });
    if (r.status !== 0) throw new Error(`READ CAPACITY status ${r.status}`);
    return { lastLba: r.data.readUInt32BE(0), blockSize: r.data.readUInt32BE(4) };
  }

  async nop(data: Buffer | null = null, immediate = false): Promise<Buffer> {
    const itt = this.nextItt();
    const bhs = serializeNopOut({ immediate, lun: 0, itt, ttt: RESERVED_TAG, cmdSN: this.cmdSN, expStatSN: this.expStatSN });
    if (!immediate) this.cmdSN = (this.cmdSN + 1) >>> 0;
    const wait = this.expect<Pdu>(itt);
    this.sendPdu(bhs, data);
    return Buffer.from((await wait).data);
  }

  async tmf(fn: number, lun: number, referencedTaskTag = RESERVED_TAG, refCmdSN = 0): Promise<number> {
    const itt = this.nextItt();
    const bhs = serializeTaskMgmtRequest({
      immediate: true,
      function: fn,
      lun,
      itt,
      referencedTaskTag,
      cmdSN: this.cmdSN,
      expStatSN: this.expStatSN,
      refCmdSN,
      expDataSN: 0,
    });
    const wait = this.expect<Pdu>(itt);
    this.sendPdu(bhs, null);
    return parseTaskMgmtResponse(await wait).response;
  }

  /** The ITT the next command will use (ABORT TASK tests). */
  peekItt(): number {
    return this.itt;
  }

  async logout(reason = 0, cid = this.cid): Promise<number> {
    const itt = this.nextItt();
    const bhs = serializeLogoutRequest({ immediate: true, reason, itt, cid, cmdSN: this.cmdSN, expStatSN: this.expStatSN });
    const wait = this.expect<Pdu>(itt);
    this.sendPdu(bhs, null);
    const r = parseLogoutResponse(await wait);
    if (reason === 0 || cid === this.cid) await Promise.race([this.closed, new Promise((r2) => setTimeout(r2, 2000))]);
    return r.response;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Text pairs allowing repeated keys (SendTargets lists several TargetAddress). */
function parseTextMulti(data: Buffer): TextPairs {
  const out: TextPairs = [];
  for (const part of data.toString('utf8').split('\0')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq > 0) out.push([part.slice(0, eq), part.slice(eq + 1)]);
  }
  return out;
}

/**
 * A minimal iSCSI initiator (RFC 7143) for holding many idle sessions open: login
 * (security stage with AuthMethod=None, then operational stage to full feature), answer
 * the target's NOP-In pings, logout. No SCSI commands. Used only to measure a target's
 * memory per session; it keeps the benchmark independent of src/initiator.
 */
import { connect, type Socket } from 'node:net';

const BHS = 48;
const OP_NOP_OUT = 0x00;
const OP_LOGIN_REQ = 0x03;
const OP_LOGOUT_REQ = 0x06;
const OP_NOP_IN = 0x20;
const OP_LOGIN_RSP = 0x23;
const OP_LOGOUT_RSP = 0x26;
const IMMEDIATE = 0x40;
const F_TRANSIT = 0x80;
const RESERVED_TAG = 0xffffffff;

const OPERATIONAL_KEYS = [
  'HeaderDigest=None', 'DataDigest=None', 'MaxConnections=1', 'InitialR2T=Yes', 'ImmediateData=Yes',
  'MaxRecvDataSegmentLength=262144', 'MaxBurstLength=262144', 'FirstBurstLength=65536',
  'DefaultTime2Wait=0', 'DefaultTime2Retain=0', 'MaxOutstandingR2T=1', 'DataPDUInOrder=Yes',
  'DataSequenceInOrder=Yes', 'ErrorRecoveryLevel=0',
];

interface Pdu { bhs: Buffer; data: Buffer }

/** RFC 7143 §11.13.5 login status (class << 8 | detail). */
const LOGIN_STATUS: Record<number, string> = {
  0x0101: 'target moved temporarily', 0x0102: 'target moved permanently',
  0x0200: 'initiator error', 0x0201: 'authentication failure', 0x0202: 'authorization failure',
  0x0203: 'not found', 0x0204: 'target removed', 0x0205: 'unsupported version',
  0x0206: 'too many connections', 0x0207: 'missing parameter', 0x0208: "can't include in session",
  0x0209: 'session type not supported', 0x020a: 'session does not exist', 0x020b: 'invalid during login',
  0x0300: 'target error', 0x0301: 'service unavailable', 0x0302: 'out of resources',
};

function pad4(n: number): number { return (n + 3) & ~3; }

function encodeText(keys: string[]): Buffer {
  return Buffer.from(keys.map((k) => k + '\0').join(''), 'utf8');
}

/** One idle session; `close()` logs out (best effort) and closes the socket. */
export class IdleSession {
  private buf: Buffer = Buffer.alloc(0);
  private waiters: Array<{ resolve: (p: Pdu) => void; reject: (e: Error) => void }> = [];
  private failed: Error | null = null;
  private cmdSN = 1;
  private expStatSN = 0;
  private itt = 1;
  tsih = 0;

  private constructor(private readonly sock: Socket) {
    sock.on('data', (d: Buffer) => this.onData(d));
    sock.on('error', (e) => this.fail(e));
    sock.on('close', () => this.fail(new Error('connection closed by target')));
  }

  static async open(host: string, port: number, initiatorName: string, targetName: string, isid: Buffer, timeoutMs = 10000): Promise<IdleSession> {
    const sock = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host, port });
      s.setNoDelay(true);
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
    const session = new IdleSession(sock);
    const timer = setTimeout(() => session.fail(new Error('login timed out')), timeoutMs);
    try {
      await session.login(initiatorName, targetName, isid);
      return session;
    } catch (e) {
      sock.destroy();
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  private async login(initiatorName: string, targetName: string, isid: Buffer): Promise<void> {
    const itt = this.itt++;
    // stage 0 (security) -> 1 (operational), then 1 -> 3 (full feature)
    let csg = 0;
    let keys = [`InitiatorName=${initiatorName}`, `TargetName=${targetName}`, 'SessionType=Normal', 'AuthMethod=None'];
    for (let step = 0; step < 8; step++) {
      const nsg = csg === 0 ? 1 : 3;
      const bhs = Buffer.alloc(BHS);
      const data = encodeText(keys);
      bhs[0] = IMMEDIATE | OP_LOGIN_REQ;
      bhs[1] = F_TRANSIT | (csg << 2) | nsg;
      bhs.writeUIntBE(data.length, 5, 3);
      isid.copy(bhs, 8, 0, 6);
      bhs.writeUInt16BE(this.tsih, 14);
      bhs.writeUInt32BE(itt, 16);
      bhs.writeUInt32BE(this.cmdSN, 24);
      bhs.writeUInt32BE(this.expStatSN, 28);
      this.send(bhs, data);
      const rsp = await this.next();
      if ((rsp.bhs[0]! & 0x3f) !== OP_LOGIN_RSP) throw new Error(`expected Login Response, got opcode 0x${rsp.bhs[0]!.toString(16)}`);
      const statusClass = rsp.bhs[36]!;
      const statusDetail = rsp.bhs[37]!;
      if (statusClass !== 0) {
        const name = LOGIN_STATUS[(statusClass << 8) | statusDetail] ?? 'unknown';
        throw new Error(`login rejected: status 0x${((statusClass << 8) | statusDetail).toString(16).padStart(4, '0')} (${name})`);
      }
      this.expStatSN = rsp.bhs.readUInt32BE(24) + 1;
      this.tsih = rsp.bhs.readUInt16BE(14);
      const transit = (rsp.bhs[1]! & F_TRANSIT) !== 0;
      const rspNsg = rsp.bhs[1]! & 0x03;
      if (transit && rspNsg === 3) return;
      if (transit) csg = rspNsg; // moved on to operational negotiation
      keys = csg === 1 && step < 2 ? OPERATIONAL_KEYS : [];
    }
    throw new Error('login did not reach full feature phase');
  }

  private send(bhs: Buffer, data: Buffer = Buffer.alloc(0)): void {
    const padded = pad4(data.length);
    this.sock.write(padded === data.length ? Buffer.concat([bhs, data]) : Buffer.concat([bhs, data, Buffer.alloc(padded - data.length)]));
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    while (this.buf.length >= BHS) {
      const ahs = this.buf[4]! * 4;
      const dlen = this.buf.readUIntBE(5, 3);
      const total = BHS + ahs + pad4(dlen);
      if (this.buf.length < total) return;
      const pdu = { bhs: this.buf.subarray(0, BHS), data: this.buf.subarray(BHS + ahs, BHS + ahs + dlen) };
      this.buf = this.buf.subarray(total);
      this.onPdu(pdu);
    }
  }

  private onPdu(p: Pdu): void {
    const op = p.bhs[0]! & 0x3f;
    if (op === OP_NOP_IN && p.bhs.readUInt32BE(16) === RESERVED_TAG) {
      const ttt = p.bhs.readUInt32BE(20);
      this.expStatSN = p.bhs.readUInt32BE(24);
      if (ttt !== RESERVED_TAG) {
        // a ping from the target: answer with a NOP-Out carrying its TTT and LUN
        const out = Buffer.alloc(BHS);
        out[0] = IMMEDIATE | OP_NOP_OUT;
        out[1] = 0x80;
        p.bhs.copy(out, 8, 8, 16);
        out.writeUInt32BE(RESERVED_TAG, 16);
        out.writeUInt32BE(ttt, 20);
        out.writeUInt32BE(this.cmdSN, 24);
        out.writeUInt32BE(this.expStatSN, 28);
        this.send(out);
      }
      return;
    }
    this.waiters.shift()?.resolve(p);
  }

  private next(): Promise<Pdu> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private fail(e: Error): void {
    if (this.failed) return;
    this.failed = e;
    for (const w of this.waiters.splice(0)) w.reject(e);
  }

  get alive(): boolean { return this.failed === null; }

  /** Logout (close the session), wait up to 2 s for the response, then close the socket. */
  async close(): Promise<void> {
    if (this.alive) {
      const bhs = Buffer.alloc(BHS);
      bhs[0] = IMMEDIATE | OP_LOGOUT_REQ;
      bhs[1] = 0x80; // reason 0: close the session
      bhs.writeUInt32BE(this.itt++, 16);
      bhs.writeUInt32BE(this.cmdSN, 24);
      bhs.writeUInt32BE(this.expStatSN, 28);
      this.send(bhs);
      const timeout = new Promise<null>((r) => setTimeout(() => r(null), 2000));
      const rsp = await Promise.race([this.next().catch(() => null), timeout]);
      if (rsp && (rsp.bhs[0]! & 0x3f) !== OP_LOGOUT_RSP) { /* ignore: closing anyway */ }
    }
    this.sock.destroy();
  }
}

/** A distinct ISID per session: type 0x80 (random), then the index. */
export function isidFor(i: number): Buffer {
  const b = Buffer.alloc(6);
  b[0] = 0x80;
  b[1] = 0x5a;
  b.writeUInt32BE(i, 2);
  return b;
}

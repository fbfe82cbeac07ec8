/**
 * iSCSI framing: pure, no sockets. `PduParser` is the receive state machine (header →
 * header digest → data → data digest): it keeps the unfinished remainder of the byte
 * stream and hands out whole PDUs. Data segments lying inside one received chunk are
 * handed out as views; a segment spanning chunks is assembled into one buffer (the single
 * copy). `framePdu` is the way out: header, data, pad and digests as wire pieces.
 */
import { crc32c, crc32cPadded } from '../crc32c.js';
import { IscsiProtocolError, RejectReason } from '../errors.js';
import { BHS_LENGTH, dataSegmentLength, padLength, setDataSegmentLength, type Pdu } from './bhs.js';

const EMPTY = Buffer.alloc(0);

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

  /**
   * Where the next socket read should land so no copy follows: the rest of a data segment
   * being placed in its final buffer, or null when any buffer will do (then `feed()`).
   */
  readTarget(): Buffer | null {
    if (this.state !== RecvState.AwaitData || this.dest === null || this.dataHave >= this.dsl) return null;
    return this.dest.subarray(this.dataHave, this.dsl);
  }

  /** `n` bytes were read straight into the view `readTarget()` returned. */
  placed(n: number, onPdu: (pdu: Pdu, digestOk: boolean) => void): void {
    this.dataHave += n;
    if (this.dataHave < this.dataNeed) return; // pad or digest still to come, through feed()
    const dest = this.dest!;
    this.dest = null;
    this.tail = null;
    this.finishPlaced(dest, null, onPdu);
  }

  /**
   * `transient`: the chunk's memory is reused once feed() returns (a reading buffer of the
   * connection's), so no PDU may keep a view of it: every data segment is copied out,
   * into its final place when the owner has one.
   */
  feed(chunk: Buffer, onPdu: (pdu: Pdu, digestOk: boolean) => void, transient = false): void {
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
        if (avail >= this.dataNeed && !transient) {
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

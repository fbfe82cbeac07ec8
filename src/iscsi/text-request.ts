/**
 * Text Request in full feature phase (RFC 7143 11.10, 11.11): SendTargets (discovery.ts)
 * and MaxRecvDataSegmentLength; anything else NotUnderstood. A request continued with the
 * C bit is collected (at most MAX_TEXT_REQUEST bytes); an answer longer than the
 * initiator's MaxRecvDataSegmentLength goes out in pieces, each asked for with our TTT.
 */
import type { PortalContext, TargetCatalog } from './catalog.js';
import { sendTargets } from './discovery.js';
import { RejectReason } from './errors.js';
import type { HandlerContext } from './handler-context.js';
import { RESERVED_TAG, type Pdu } from './pdu/bhs.js';
import { parseTextRequest, serializeTextResponse } from './pdu/text.js';
import { parseText, serializeText, splitText, type TextPairs } from './text.js';

/** A text request (all its continuation PDUs together) is at most this long. */
const MAX_TEXT_REQUEST = 65536;

/** What a text exchange needs beyond the other handlers: where SendTargets looks. */
export interface TextRequestContext extends HandlerContext {
  readonly catalog: TargetCatalog;
  readonly portal: PortalContext;
  readonly localAddress: string;
  readonly initiatorAddress: string;
}

/** One connection's text exchange: the request being collected and the answer being delivered. */
export class TextRequests {
  /** Text response still to deliver in pieces (C bit), keyed by our TTT. */
  private textRest: { ttt: number; itt: number; pieces: Buffer[] } | null = null;
  private textPending: Buffer[] = [];
  private textPendingBytes = 0;

  handle(conn: TextRequestContext, pdu: Pdu): void {
    const req = parseTextRequest(pdu);
    const s = conn.session!;
    if (req.ttt !== RESERVED_TAG) {
      // Continue a long response, or abandon it.
      const rest = this.textRest;
      if (!rest || rest.ttt !== req.ttt) return conn.reject(pdu.bhs, RejectReason.InvalidPduField);
      this.sendTextPiece(conn, req.itt);
      return;
    }
    this.textRest = null;
    if (req.cont) {
      // Bound what is kept before keeping it, and keep nothing of a rejected request.
      if (this.textPendingBytes + pdu.data.length > MAX_TEXT_REQUEST) {
        this.textPending = [];
        this.textPendingBytes = 0;
        return conn.reject(pdu.bhs, RejectReason.ProtocolError);
      }
      this.textPending.push(Buffer.from(pdu.data));
      this.textPendingBytes += pdu.data.length;
      const bhs = serializeTextResponse({ final: false, cont: false, lun: 0, itt: req.itt, ttt: conn.nextTtt(), statSN: 0, expCmdSN: 0, maxCmdSN: 0 });
      conn.send(bhs, null, 2);
      return;
    }
    let body = pdu.data;
    if (this.textPending.length) {
      const tooLong = this.textPendingBytes + body.length > MAX_TEXT_REQUEST;
      if (!tooLong) body = Buffer.concat([...this.textPending, body]);
      this.textPending = [];
      this.textPendingBytes = 0;
      if (tooLong) return conn.reject(pdu.bhs, RejectReason.ProtocolError);
    }
    let pairs: TextPairs;
    try {
      pairs = parseText(body);
    } catch {
      return conn.reject(pdu.bhs, RejectReason.ProtocolError);
    }
    const out: TextPairs = [];
    for (const [k, v] of pairs) {
      if (k === 'SendTargets') {
        out.push(
          ...sendTargets(
            {
              catalog: conn.catalog,
              portalGroup: conn.portal.portalGroup,
              localAddress: conn.localAddress,
              initiatorName: s.initiatorName,
              initiatorAddress: conn.initiatorAddress,
              sessionTarget: s.type === 'Normal' ? s.target : null,
            },
            v,
          ),
        );
      } else if (k === 'MaxRecvDataSegmentLength') {
        const n = Number(v);
        if (Number.isInteger(n) && n >= 512 && n <= 16777215) conn.params.initiatorMaxRecvDataSegmentLength = n;
        else out.push([k, 'Reject']);
      } else if (k.startsWith('X-') || k.startsWith('X#')) {
        out.push([k, 'NotUnderstood']);
      } else {
        out.push([k, 'NotUnderstood']);
      }
    }
    const text = serializeText(out);
    const pieces = splitText(text, conn.params.initiatorMaxRecvDataSegmentLength);
    this.textRest = { ttt: RESERVED_TAG, itt: req.itt, pieces };
    this.sendTextPiece(conn, req.itt);
  }

  private sendTextPiece(conn: HandlerContext, itt: number): void {
    const rest = this.textRest!;
    const piece = rest.pieces.shift() ?? Buffer.alloc(0);
    const more = rest.pieces.length > 0;
    const ttt = more ? conn.nextTtt() : RESERVED_TAG;
    rest.ttt = ttt;
    if (!more) this.textRest = null;
    const bhs = serializeTextResponse({ final: !more, cont: more, lun: 0, itt, ttt, statSN: 0, expCmdSN: 0, maxCmdSN: 0 });
    conn.send(bhs, piece.length ? piece : null, 2);
  }
}

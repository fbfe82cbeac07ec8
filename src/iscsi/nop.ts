/**
 * NOP-Out / NOP-In (RFC 7143 11.18, 11.19): answer pings, and keep idle connections
 * honest with target pings every `nopInInterval` seconds; a connection that leaves one
 * unanswered for `ioTimeout` seconds is dropped.
 */
import type { HandlerContext } from './handler-context.js';
import { RESERVED_TAG, type Pdu } from './pdu/bhs.js';
import { parseNopOut, serializeNopIn } from './pdu/nop.js';

export function onNopOut(conn: HandlerContext, pdu: Pdu): void {
  const n = parseNopOut(pdu);
  if (n.itt === RESERVED_TAG) {
    // An answer to our NOP-In (or a ping that wants no answer).
    if (n.ttt !== RESERVED_TAG && n.ttt === conn.nop.pendingTtt) conn.nop.pendingTtt = null;
    return;
  }
  const bhs = serializeNopIn({ lun: n.lun < 0 ? 0 : n.lun, itt: n.itt, ttt: RESERVED_TAG, statSN: 0, expCmdSN: 0, maxCmdSN: 0 });
  conn.send(bhs, pdu.data.length ? pdu.data : null, 2);
}

/** One tick of the keepalive timer. Returns false when the connection must be dropped. */
export function nopTick(conn: HandlerContext, now: number, interval: number, ioTimeout: number): boolean {
  const st = conn.nop;
  if (st.pendingTtt !== null) {
    return now - st.sentAt < ioTimeout * 1000;
  }
  if (interval > 0 && now - conn.lastReceived >= interval * 1000) {
    const ttt = conn.nextTtt();
    st.pendingTtt = ttt;
    st.sentAt = now;
    const bhs = serializeNopIn({ lun: 0, itt: RESERVED_TAG, ttt, statSN: 0, expCmdSN: 0, maxCmdSN: 0 });
    conn.send(bhs, null, 1);
  }
  return true;
}

/**
 * A NOP-In that asks for nothing (ITT and TTT reserved): it only carries the current
 * ExpCmdSN/MaxCmdSN, for an initiator whose window reopened while no response was due.
 */
export function announceWindow(conn: HandlerContext): void {
  const bhs = serializeNopIn({ lun: 0, itt: RESERVED_TAG, ttt: RESERVED_TAG, statSN: 0, expCmdSN: 0, maxCmdSN: 0 });
  conn.send(bhs, null, 1);
}

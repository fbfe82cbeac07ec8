/**
 * Logout Request (RFC 7143 11.14, 11.15): close the session, close this or another
 * connection of it; connection recovery is not supported at ErrorRecoveryLevel 0.
 */
import { RejectReason } from './errors.js';
import type { HandlerContext } from './handler-context.js';
import type { Pdu } from './pdu/bhs.js';
import { LogoutReason, parseLogoutRequest, serializeLogoutResponse } from './pdu/logout.js';
import type { SessionConnection } from './session.js';

/** What a logout needs beyond the other handlers: it is one of the session's connections, and can leave it. */
export interface LogoutContext extends HandlerContext, SessionConnection {
  /** Take a connection (this one or another of the session) out of its session now. */
  detach(conn: SessionConnection): void;
  /** This connection logged out: leave the session and end the socket once the response is out. */
  loggedOut(): void;
}

export function onLogout(conn: LogoutContext, pdu: Pdu): void {
  const req = parseLogoutRequest(pdu);
  const s = conn.session!;
  let response = 0;
  let closeSelf = false;
  if (req.reason === LogoutReason.CloseSession) {
    closeSelf = true;
  } else if (req.reason === LogoutReason.CloseConnection) {
    if (req.cid === conn.cid) closeSelf = true;
    else {
      const other = s.connections.get(req.cid);
      if (other) {
        conn.detach(other);
        other.close('logged out by another connection');
      } else response = 1;
    }
  } else if (req.reason === LogoutReason.RemoveConnectionForRecovery) {
    response = 2; // recovery not supported at ErrorRecoveryLevel 0
  } else {
    return conn.reject(pdu.bhs, RejectReason.InvalidPduField);
  }
  const bhs = serializeLogoutResponse({
    response,
    itt: req.itt,
    statSN: 0,
    expCmdSN: 0,
    maxCmdSN: 0,
    time2Wait: 0,
    time2Retain: 0,
  });
  conn.send(bhs, null, 2);
  if (req.reason === LogoutReason.CloseSession) {
    for (const c of [...s.connections.values()]) {
      if (c === conn) continue;
      conn.detach(c);
      c.close('session logged out');
    }
  }
  if (closeSelf) {
    conn.logger.info({ reason: req.reason }, 'logout');
    conn.loggedOut();
  }
}

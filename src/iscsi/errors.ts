/**
 * Protocol errors of the iSCSI transport. Each carries a machine-readable `code` and the
 * wire-level answer: a Reject reason (full feature phase), a login status class+detail
 * (login phase), or neither when the only answer is closing the connection.
 */

/** Reject reasons (RFC 7143 11.17.1). */
export const enum RejectReason {
  DataDigestError = 0x02,
  SnackReject = 0x03,
  ProtocolError = 0x04,
  CommandNotSupported = 0x05,
  ImmediateCommandReject = 0x06,
  TaskInProgress = 0x07,
  InvalidDataAck = 0x08,
  InvalidPduField = 0x09,
  LongOperationReject = 0x0a,
  WaitingForLogout = 0x0c,
}

/** Login status, class in the high byte and detail in the low byte (RFC 7143 11.13.5). */
export const enum LoginStatus {
  Success = 0x0000,
  TargetMovedTemporarily = 0x0101,
  TargetMovedPermanently = 0x0102,
  InitiatorError = 0x0200,
  AuthenticationFailure = 0x0201,
  AuthorizationFailure = 0x0202,
  NotFound = 0x0203,
  TargetRemoved = 0x0204,
  UnsupportedVersion = 0x0205,
  TooManyConnections = 0x0206,
  MissingParameter = 0x0207,
  CantIncludeInSession = 0x0208,
  SessionTypeNotSupported = 0x0209,
  SessionDoesNotExist = 0x020a,
  InvalidDuringLogin = 0x020b,
  TargetError = 0x0300,
  ServiceUnavailable = 0x0301,
  OutOfResources = 0x0302,
}

export type IscsiErrorCode =
  | 'ERR_HEADER_DIGEST'
  | 'ERR_DATA_DIGEST'
  | 'ERR_DATA_SEGMENT_TOO_LONG'
  | 'ERR_BAD_OPCODE'
  | 'ERR_INVALID_FIELD'
  | 'ERR_PROTOCOL'
  | 'ERR_TEXT_FORMAT'
  | 'ERR_LOGIN';

export interface IscsiErrorWire {
  /** Answer with a Reject PDU carrying this reason. */
  readonly reject?: RejectReason;
  /** Answer with a Login Response carrying this status. */
  readonly loginStatus?: LoginStatus;
  /** After answering (if at all), close the connection. */
  readonly fatal?: boolean;
}

export class IscsiProtocolError extends Error {
  readonly code: IscsiErrorCode;
  readonly reject: RejectReason | undefined;
  readonly loginStatus: LoginStatus | undefined;
  readonly fatal: boolean;

  constructor(code: IscsiErrorCode, message: string, wire: IscsiErrorWire = {}) {
    super(message);
    this.name = 'IscsiProtocolError';
    this.code = code;
    this.reject = wire.reject;
    this.loginStatus = wire.loginStatus;
    this.fatal = wire.fatal ?? false;
  }
}

export function loginError(status: LoginStatus, message: string): IscsiProtocolError {
  return new IscsiProtocolError('ERR_LOGIN', message, { loginStatus: status, fatal: true });
}

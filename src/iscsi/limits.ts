/**
 * Process-wide limits of the iSCSI target that no initiator negotiates: they protect the
 * process (memory, descriptors) from initiators that are broken or hostile. Settable
 * through the environment (config.ts, README "Reliability"); these are the defaults.
 */
export interface IscsiLimits {
  /** Milliseconds from accept to full feature phase; a login still under way then is dropped. */
  readonly loginDeadlineMs: number;
  /** Connections accepted and not yet in full feature phase, from one source address. */
  readonly pendingLoginsPerAddress: number;
  /** Connections accepted and not yet in full feature phase, in all. */
  readonly pendingLogins: number;
  /** Connections in all (logging in or logged in); the rest of the descriptors stay for the API and the images. */
  readonly maxConnections: number;
  /**
   * Bytes of Data-Out buffered and of Data-In not yet taken by the socket, over all
   * sessions. A command that would go past it waits, holding its CmdSN window slot.
   */
  readonly ioBufferBytes: number;
  /** Unsent bytes on one connection beyond which its socket is not read and its window is held. */
  readonly connectionSendBytes: number;
}

export const DEFAULT_ISCSI_LIMITS: IscsiLimits = {
  loginDeadlineMs: 15_000,
  pendingLoginsPerAddress: 32,
  pendingLogins: 256,
  maxConnections: 4096,
  ioBufferBytes: 256 * 1024 * 1024,
  connectionSendBytes: 4 * 1024 * 1024,
};

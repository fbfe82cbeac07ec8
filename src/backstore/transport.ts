/**
 * A block device somewhere else (an external iSCSI array's LUN) as the backstore layer
 * needs it. backstore/ owns this interface so that it never imports the initiator; the
 * initiator's RemoteLun satisfies it, and tests satisfy it with a few lines over memory.
 */

/**
 * connected: I/O goes to the medium. reconnecting: the connection was lost; I/O waits for
 * it to come back. unreachable: it stayed away longer than the transport's bound; I/O
 * fails with EIO at once until it is back.
 */
export type TransportState = 'connected' | 'reconnecting' | 'unreachable';

export interface TransportHealth {
  readonly state: TransportState;
  /** Date.now() when the state was entered. */
  readonly since: number;
  /** Why the last connection or attempt failed; null when none has. */
  readonly lastError: string | null;
}

export interface BlockTransport {
  /** Bytes per block on the medium; every offset and length is a multiple of it. */
  readonly blockSize: number;
  /** The medium's size in bytes, as last read. */
  readonly sizeBytes: number;
  read(buf: Buffer, offset: number): Promise<void>;
  write(buf: Buffer, offset: number, fua: boolean): Promise<void>;
  flush(): Promise<void>;
  /**
   * Deallocate the range. Resolves true when it now reads back as zeros, false when the
   * medium cannot promise that (then the caller writes zeros). Absent: never can.
   */
  discard?(offset: number, length: number): Promise<boolean>;
  health(): TransportHealth;
}

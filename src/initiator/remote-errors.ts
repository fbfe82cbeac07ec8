/**
 * How a remote LUN fails, with an errno-style `code` as the backstore contract asks
 * (backstore/backstore.ts): the SCSI layer turns any E-code into a medium error sense.
 */
import { LoginFailedError } from './client.js';

/** I/O that the array refused or that waited longer than the bound for a connection. */
export class RemoteIoError extends Error {
  readonly code = 'EIO';
  constructor(message: string) {
    super(message);
    this.name = 'RemoteIoError';
  }
}

/**
 * The session could not be set up: no connection, login refused, or the LUN not usable.
 * `status` is the iSCSI login status (0x0201 authentication failure) when the target
 * answered one. The message names the portal and target, never a secret.
 */
export class RemoteLoginError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = 'RemoteLoginError';
  }
}

const LOGIN_STATUS = new Map<number, { code: string; why: string }>([
  [0x0201, { code: 'EACCES', why: 'authentication failed (wrong CHAP user or secret, or the target wants CHAP)' }],
  [0x0202, { code: 'EACCES', why: 'this initiator is not authorized for the target' }],
  [0x0203, { code: 'ENOENT', why: 'no such target' }],
  [0x0204, { code: 'ENOENT', why: 'the target was removed' }],
]);

/** Any failure while connecting and logging in, as a RemoteLoginError naming `where`. */
export function loginError(where: string, err: unknown): RemoteLoginError {
  if (err instanceof RemoteLoginError) return err;
  if (err instanceof LoginFailedError) {
    const hex = `0x${err.status.toString(16).padStart(4, '0')}`;
    const known = LOGIN_STATUS.get(err.status);
    const why = known?.why ?? (err.statusClass === 3 ? 'target error' : 'login refused');
    const e = new RemoteLoginError(`${where}: ${why} (login status ${hex})`, known?.code ?? (err.statusClass === 3 ? 'EAGAIN' : 'EIO'), err.status);
    e.cause = err;
    return e;
  }
  const e = err as NodeJS.ErrnoException;
  const message = e?.message ?? String(err);
  const code = e?.code ?? (/CHAP|AuthMethod/.test(message) ? 'EACCES' : 'EIO');
  return new RemoteLoginError(`${where}: ${message}`, code);
}

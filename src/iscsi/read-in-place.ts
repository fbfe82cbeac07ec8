/**
 * Socket reads into buffers the receiver chooses, through Node's `onread` socket option,
 * instead of a fresh 64 KiB ArrayBuffer per read. A write's Data-Out then goes from the
 * kernel straight into the task's buffer (no copy in JavaScript), and everything else into
 * one reused buffer (connection.ts shares one among all connections): no allocation, no
 * external memory for the GC to account for, no malloc churn per read.
 *
 * An accepted socket has no `onread` option (only client sockets do), so its handle is
 * moved into a new Socket made with one before anything was read. When that is not
 * possible (a Node without the internals this relies on, or bytes already read), the
 * caller keeps the socket it has and reads with 'data' events.
 */
import net from 'node:net';

export interface InPlaceReader {
  /** Where the next read lands; asked again after every read. */
  readBuffer(): Buffer;
  /** `n` bytes were read into the start of `buf` (the buffer readBuffer() gave). */
  onRead(n: number, buf: Buffer): void;
}

interface StreamHandle {
  /** Node's own note of whether the handle reads; the new Socket starts reading only when false. */
  reading: boolean;
  readStart(): number;
  readStop(): number;
  useUserBuffer(buf: Uint8Array): void;
}

/** A socket reading in place for `reader`, or null: keep `socket` and its 'data' events. */
export function readInPlace(socket: net.Socket, reader: InPlaceReader): net.Socket | null {
  const old = socket as net.Socket & { _handle?: StreamHandle | null };
  const handle = old._handle;
  if (!handle || typeof handle.useUserBuffer !== 'function' || typeof handle.readStop !== 'function') return null;
  if (socket.bytesRead !== 0 || socket.readableLength !== 0 || socket.destroyed) return null;
  handle.readStop();
  handle.reading = false;
  const options = {
    handle,
    readable: true,
    writable: true,
    onread: { buffer: () => reader.readBuffer(), callback: (n: number, buf: Buffer) => reader.onRead(n, buf) },
  };
  let adopted: net.Socket;
  try {
    adopted = new net.Socket(options as net.SocketConstructorOpts);
  } catch {
    handle.reading = true;
    handle.readStart();
    return null;
  }
  // The old wrapper lets go of the handle, so destroying it closes nothing; it still
  // tells its server the connection left that server's count (sanbox keeps its own).
  old._handle = null;
  socket.destroy();
  return adopted;
}

/**
 * An initiator that takes none of its responses, or sends none of the Data-Out it was
 * asked for, holds budget and buffers for nothing: after ioTimeout without progress it
 * is dropped. Progress on the send side is bytes the socket finished writing (written
 * minus still pending), so a busy but moving stream is never taken for a stalled one.
 * Pure bookkeeping: the connection's keepalive tick feeds it the numbers.
 */
import type { ScsiTask } from './task-state.js';

export class StallWatch {
  /** Bytes the socket had finished writing at the last tick, and when that last moved. */
  private readonly sendProgress = { done: 0, at: Date.now() };
  /** Solicited Data-Out bytes received at the last tick, and when that last moved. */
  private readonly dataProgress = { bytes: 0, at: Date.now() };

  /**
   * One tick: `pending` bytes not yet written of `bytesOut` sent, `dataOutBytes` received
   * for the `dataTasks` waiting for Data-Out. Returns why the connection must be dropped,
   * or null.
   */
  check(now: number, limit: number, pending: number, bytesOut: number, dataOutBytes: number, dataTasks: ReadonlyMap<number, ScsiTask>): string | null {
    const done = bytesOut - pending;
    if (pending === 0 || done !== this.sendProgress.done) {
      this.sendProgress.done = done;
      this.sendProgress.at = now;
    } else if (now - this.sendProgress.at > limit) {
      return 'initiator stopped reading its responses';
    }
    if (dataOutBytes !== this.dataProgress.bytes || !awaitingDataOut(dataTasks)) {
      this.dataProgress.bytes = dataOutBytes;
      this.dataProgress.at = now;
    } else if (now - this.dataProgress.at > limit) {
      return 'solicited Data-Out not received';
    }
    return null;
  }
}

function awaitingDataOut(dataTasks: ReadonlyMap<number, ScsiTask>): boolean {
  for (const t of dataTasks.values()) if (t.awaitingR2T || t.unsolOffset < t.unsolicitedEnd) return true;
  return false;
}

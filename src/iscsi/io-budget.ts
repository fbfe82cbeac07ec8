/**
 * One process-wide budget for the bytes initiators make the target hold: Data-Out
 * buffered for a write until it runs, Data-In of a read until the socket has taken it.
 * Without it the only bound was per session (queue depth x 8 MiB), and sessions are many.
 *
 * A command takes its bytes before any buffer is made; one that does not fit waits in
 * arrival order (nobody overtakes a waiting command, so a large one is not starved by
 * small ones) while it keeps its CmdSN window slot, so its session sends no more.
 * When nothing is held, any one command fits, so a command larger than the whole
 * budget still runs, alone. Bytes already on their way (unsolicited Data-Out the
 * initiator sends without being asked) are taken even past the limit: that overdraft
 * is bounded by FirstBurstLength per command.
 */
export interface BudgetWaiter {
  readonly bytes: number;
  /** Runs (in a microtask) once the bytes are taken for the waiter. */
  readonly grant: () => void;
  cancelled: boolean;
}

export class IoBudget {
  private used = 0;
  private readonly queue: BudgetWaiter[] = [];
  private waking = false;

  constructor(readonly limit: number) {}

  /** Bytes held now (may exceed the limit by the overdraft). */
  get inUse(): number {
    return this.used;
  }

  /** Commands waiting for bytes. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Take `bytes` now if they fit and nobody is waiting ahead. */
  tryTake(bytes: number): boolean {
    if (this.queue.length !== 0 || !this.fits(bytes)) return false;
    this.used += bytes;
    return true;
  }

  /** Take bytes the initiator is sending anyway (unsolicited data): past the limit if need be. */
  force(bytes: number): void {
    this.used += bytes;
  }

  /** Wait for `bytes`; `grant` runs once they are taken. Cancel with `cancel()`. */
  wait(bytes: number, grant: () => void): BudgetWaiter {
    const w: BudgetWaiter = { bytes, grant, cancelled: false };
    this.queue.push(w);
    return w;
  }

  /** A waiter that no longer wants its bytes (its command or connection went away). */
  cancel(w: BudgetWaiter): void {
    if (w.cancelled) return;
    w.cancelled = true;
    const i = this.queue.indexOf(w);
    if (i >= 0) this.queue.splice(i, 1);
    if (i === 0) this.wake();
  }

  give(bytes: number): void {
    this.used -= bytes;
    if (this.used < 0) this.used = 0;
    if (this.queue.length !== 0) this.wake();
  }

  private fits(bytes: number): boolean {
    return this.used === 0 || this.used + bytes <= this.limit;
  }

  /** Grant waiters in order while they fit; grants run after the caller's own work. */
  private wake(): void {
    if (this.waking) return;
    this.waking = true;
    try {
      while (this.queue.length !== 0 && this.fits(this.queue[0]!.bytes)) {
        const w = this.queue.shift()!;
        this.used += w.bytes;
        queueMicrotask(w.grant);
      }
    } finally {
      this.waking = false;
    }
  }
}

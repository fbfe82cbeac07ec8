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
 *
 * Each session (an account) may hold at most a share of the budget (a quarter by
 * default). A command past its session's share waits in that session's own line, not in
 * the common one, so a session that holds buffers for nothing (an initiator that stops
 * sending Data-Out, or stops reading) delays its own commands only: the others go on.
 */
export interface BudgetWaiter {
  readonly bytes: number;
  readonly account: BudgetAccount;
  /** Runs (in a microtask) once the bytes are taken for the waiter. */
  readonly grant: () => void;
  cancelled: boolean;
}

/** What one session holds of the budget, and its commands waiting past its share. */
export class BudgetAccount {
  held = 0;
  readonly waiting: BudgetWaiter[] = [];
}

export class IoBudget {
  private used = 0;
  private readonly queue: BudgetWaiter[] = [];
  private waking = false;
  /** The most one account holds before its commands wait in its own line. */
  readonly share: number;

  constructor(
    readonly limit: number,
    shareFraction = 0.25,
  ) {
    this.share = Math.max(1, Math.floor(limit * shareFraction));
  }

  /** Bytes held now (may exceed the limit by the overdraft). */
  get inUse(): number {
    return this.used;
  }

  /** Commands waiting for bytes, in the common line and in the sessions' own. */
  get waiting(): number {
    return this.queue.length + this.parkedInAccounts;
  }
  private parkedInAccounts = 0;

  /** Take `bytes` for `account` now if they fit its share and the budget, with nobody waiting ahead. */
  tryTake(bytes: number, account: BudgetAccount): boolean {
    if (account.waiting.length !== 0 || !withinShare(account, bytes, this.share)) return false;
    if (this.queue.length !== 0 || !this.fits(bytes)) return false;
    this.take(bytes, account);
    return true;
  }

  /** Take bytes the initiator is sending anyway (unsolicited data): past any limit if need be. */
  force(bytes: number, account: BudgetAccount): void {
    this.take(bytes, account);
  }

  /** Wait for `bytes`; `grant` runs once they are taken. Cancel with `cancel()`. */
  wait(bytes: number, account: BudgetAccount, grant: () => void): BudgetWaiter {
    const w: BudgetWaiter = { bytes, account, grant, cancelled: false };
    if (account.waiting.length !== 0 || !withinShare(account, bytes, this.share)) {
      account.waiting.push(w);
      this.parkedInAccounts++;
    } else {
      this.queue.push(w);
    }
    return w;
  }

  /** A waiter that no longer wants its bytes (its command or connection went away). */
  cancel(w: BudgetWaiter): void {
    if (w.cancelled) return;
    w.cancelled = true;
    const own = w.account.waiting.indexOf(w);
    if (own >= 0) {
      w.account.waiting.splice(own, 1);
      this.parkedInAccounts--;
      if (own === 0) this.advance(w.account);
      return;
    }
    const i = this.queue.indexOf(w);
    if (i >= 0) this.queue.splice(i, 1);
    if (i === 0) this.wake();
  }

  give(bytes: number, account: BudgetAccount): void {
    this.used = Math.max(0, this.used - bytes);
    account.held = Math.max(0, account.held - bytes);
    if (account.waiting.length !== 0) this.advance(account);
    else if (this.queue.length !== 0) this.wake();
  }

  /** The session's own line moves to the common one as far as its share allows. */
  private advance(account: BudgetAccount): void {
    let pending = account.held + this.queuedFor(account);
    while (account.waiting.length !== 0 && (pending === 0 || pending + account.waiting[0]!.bytes <= this.share)) {
      const w = account.waiting.shift()!;
      this.parkedInAccounts--;
      pending += w.bytes;
      this.queue.push(w);
    }
    if (this.queue.length !== 0) this.wake();
  }

  private take(bytes: number, account: BudgetAccount): void {
    this.used += bytes;
    account.held += bytes;
  }

  /** Bytes `account` already has in the common line (granted soon, so they count against its share). */
  private queuedFor(account: BudgetAccount): number {
    let n = 0;
    for (const w of this.queue) if (w.account === account) n += w.bytes;
    return n;
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
        this.take(w.bytes, w.account);
        queueMicrotask(w.grant);
      }
    } finally {
      this.waking = false;
    }
  }
}

function withinShare(account: BudgetAccount, bytes: number, share: number): boolean {
  return account.held === 0 || account.held + bytes <= share;
}

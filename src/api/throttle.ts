/**
 * Slows down repeated authentication failures from one address: after `freeFailures`
 * failures inside `windowMs`, each further request from it waits before its credentials
 * are checked, `baseDelayMs` doubling up to `maxDelayMs`. A success clears the address.
 * Memory is bounded by pruning old entries.
 */
export interface ThrottleOptions {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  windowMs: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  freeFailures: 5,
  baseDelayMs: 250,
  maxDelayMs: 8000,
  windowMs: 15 * 60 * 1000,
};

const MAX_TRACKED = 10000;

export class FailureThrottle {
  private readonly failures = new Map<string, { count: number; first: number }>();

  constructor(private readonly options: ThrottleOptions = DEFAULT_THROTTLE) {}

  /** Records a failure from `address`. */
  fail(address: string, now = Date.now()): void {
    let entry = this.failures.get(address);
    if (!entry || now - entry.first > this.options.windowMs) {
      entry = { count: 0, first: now };
      this.failures.set(address, entry);
      this.prune(now);
    }
    entry.count += 1;
  }

  /** How long the next attempt from `address` waits: 0 until `freeFailures`, then doubling. */
  delayFor(address: string, now = Date.now()): number {
    const entry = this.failures.get(address);
    if (!entry || now - entry.first > this.options.windowMs) return 0;
    const over = entry.count - this.options.freeFailures + 1;
    if (over <= 0) return 0;
    return Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** Math.min(over - 1, 20));
  }

  succeed(address: string): void {
    this.failures.delete(address);
  }

  private prune(now: number): void {
    if (this.failures.size <= MAX_TRACKED) return;
    for (const [address, entry] of this.failures) {
      if (now - entry.first > this.options.windowMs || this.failures.size > MAX_TRACKED) this.failures.delete(address);
    }
  }
}

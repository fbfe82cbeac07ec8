/**
 * Bounds how fast one source can guess the API password, whatever its concurrency.
 *
 * A password check must be admitted first. Each source may have `freeFailures` failed
 * checks (counting checks still running as failures) without delay; beyond that only one
 * check runs at a time, and after the n-th failure the next check is admitted no sooner
 * than `baseDelayMs * 2^(n - freeFailures)` later, at most `maxDelayMs`. A request that is
 * not admitted is refused at once (429 with Retry-After) rather than left waiting: waiting
 * requests were what let hundreds of guesses run in parallel. A success does not clear
 * the count (the success may be a different client behind the same address); the count is
 * forgotten `windowMs` after the source's last failure.
 *
 * Memory: at most `maxTracked` sources. When the table is full, the sources quiet longest
 * are dropped if they are past their window; live entries are never evicted (or a guesser
 * could wipe its own record by touching many fresh addresses), so new sources then share
 * one overflow entry and are throttled together.
 */
import { sourceKey } from './source-key.js';

export interface ThrottleOptions {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  windowMs: number;
  maxTracked: number;
  /**
   * How long a refusal (429, or 503 from a full checker queue) is held before it is sent,
   * so that a client keeping hundreds of requests in flight gets refusals at
   * concurrency / refusalHoldMs per second, not as fast as the event loop can write them.
   * At most the 1 s a Retry-After says at least.
   */
  refusalHoldMs: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  freeFailures: 5,
  baseDelayMs: 250,
  maxDelayMs: 8000,
  windowMs: 15 * 60 * 1000,
  maxTracked: 10_000,
  refusalHoldMs: 1000,
};

interface Entry {
  failures: number;
  /** Last failure, or creation: the table is ordered by it (oldest first). */
  touched: number;
  /** No check is admitted before this time. */
  notBefore: number;
  /** Checks admitted and not yet finished. */
  running: number;
}

/** An admitted check: report how it ended, exactly once. */
export interface CheckTicket {
  /** The password was right. */
  succeeded(): void;
  /** The password (or user) was wrong. */
  failed(now?: number): void;
  /** The check did not happen (e.g. the hasher was busy): counts as nothing. */
  abandoned(): void;
}

export type Admission = { admitted: true; ticket: CheckTicket } | { admitted: false; retryAfterMs: number };

/** What a caller may log when a failure makes a source wait. */
export interface BlockNotice {
  source: string;
  failures: number;
  delayMs: number;
}

export class FailureThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly overflow: Entry = { failures: 0, touched: 0, notBefore: 0, running: 0 };

  constructor(
    private readonly options: ThrottleOptions = DEFAULT_THROTTLE,
    private readonly onBlock: (notice: BlockNotice) => void = () => {},
  ) {}

  get refusalHoldMs(): number {
    return this.options.refusalHoldMs;
  }

  /** Sources tracked one by one (the overflow entry not counted). */
  get size(): number {
    return this.entries.size;
  }

  /** Admits one password check from `address`, or says how long to wait. */
  admit(address: string, now = Date.now()): Admission {
    const key = sourceKey(address);
    const entry = this.entryFor(key, now);
    this.forgetIfQuiet(entry, now);
    if (now < entry.notBefore) return { admitted: false, retryAfterMs: entry.notBefore - now };
    const overBudget = entry.failures + entry.running >= this.options.freeFailures;
    if (overBudget && entry.running > 0) {
      // One check at a time past the free failures: the running one decides the next delay.
      return { admitted: false, retryAfterMs: this.delayAfter(entry.failures + 1) };
    }
    entry.running += 1;
    return { admitted: true, ticket: this.ticket(key, entry) };
  }

  /** How long a source waits after its `failures`-th failure (0 within the free ones). */
  delayAfter(failures: number): number {
    const over = failures - this.options.freeFailures;
    if (over < 0) return 0;
    return Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** Math.min(over, 30));
  }

  private ticket(key: string, entry: Entry): CheckTicket {
    let done = false;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      entry.running -= 1;
      return true;
    };
    return {
      succeeded: () => {
        if (finish()) this.dropIfEmpty(key, entry);
      },
      abandoned: () => {
        if (finish()) this.dropIfEmpty(key, entry);
      },
      failed: (now = Date.now()) => {
        if (!finish()) return;
        entry.failures += 1;
        entry.touched = now;
        const delayMs = this.delayAfter(entry.failures);
        if (delayMs > 0) {
          entry.notBefore = now + delayMs;
          this.onBlock({ source: key, failures: entry.failures, delayMs });
        }
        // Keep the table ordered by last failure, so the quiet ones are at the front.
        if (entry !== this.overflow && this.entries.get(key) === entry) {
          this.entries.delete(key);
          this.entries.set(key, entry);
        }
      },
    };
  }

  private entryFor(key: string, now: number): Entry {
    const known = this.entries.get(key);
    if (known) return known;
    if (this.entries.size >= this.options.maxTracked) this.dropQuiet(now);
    if (this.entries.size >= this.options.maxTracked) return this.overflow;
    const entry: Entry = { failures: 0, touched: now, notBefore: 0, running: 0 };
    this.entries.set(key, entry);
    return entry;
  }

  private isQuiet(entry: Entry, now: number): boolean {
    return entry.running === 0 && now - entry.touched > this.options.windowMs;
  }

  private forgetIfQuiet(entry: Entry, now: number): void {
    if (!this.isQuiet(entry, now)) return;
    entry.failures = 0;
    entry.notBefore = 0;
    entry.touched = now;
  }

  /** Drops expired entries from the front (oldest last failure first); stops at a live one. */
  private dropQuiet(now: number): void {
    for (const [key, entry] of this.entries) {
      if (!this.isQuiet(entry, now)) return;
      this.entries.delete(key);
    }
  }

  /** A source with no failures and nothing running needs no memory. */
  private dropIfEmpty(key: string, entry: Entry): void {
    if (entry.failures === 0 && entry.running === 0 && this.entries.get(key) === entry) this.entries.delete(key);
  }
}

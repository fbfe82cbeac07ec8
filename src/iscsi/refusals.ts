/**
 * Connections refused at accept (limits.ts). A flood of them must not become a flood of
 * log lines: the first refusal of a burst is logged, the rest are counted and summed up
 * in one line per interval.
 */
import type { Logger } from 'pino';

const SUMMARY_MS = 10_000;

export class RefusalLog {
  private count = 0;
  private since = 0;
  private timer: NodeJS.Timeout | null = null;

  note(logger: Logger, address: string, reason: string): void {
    if (this.timer === null) {
      logger.warn({ address, reason }, 'iSCSI connection refused');
      this.since = Date.now();
      this.timer = setTimeout(() => this.flush(logger), SUMMARY_MS);
      this.timer.unref();
      return;
    }
    this.count++;
  }

  private flush(logger: Logger): void {
    this.timer = null;
    if (this.count === 0) return;
    logger.warn({ refused: this.count, seconds: Math.round((Date.now() - this.since) / 1000) }, 'more iSCSI connections refused');
    this.count = 0;
  }
}

/**
 * How every configuration change happens: one SQLite transaction, file-system side
 * effects undone if it fails, then the data plane gets the new snapshot and the caller
 * waits for it, so the change is live when the API answers.
 */
import type { ConfigRepository } from './repository.js';
import type { ConfigApplier } from './ports.js';
import type { Undo } from './extent-files.js';

/** The slice of a logger the domain uses (pino-compatible). */
export interface DomainLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export class Mutations {
  /** Applies run one after another, in commit order. */
  private applying: Promise<void> = Promise.resolve();

  constructor(
    readonly store: ConfigRepository,
    private readonly applier: ConfigApplier,
    readonly log: DomainLog,
  ) {}

  /**
   * Runs `change` in a transaction. `change` registers an undo for each file it touched;
   * on any error the transaction rolls back and the undos run, newest first.
   */
  async run<T>(change: (onRollback: (undo: Undo) => void) => T): Promise<T> {
    const undos: Undo[] = [];
    let result: T;
    try {
      result = this.store.transaction(() => change((undo) => undos.push(undo)));
    } catch (err) {
      for (const undo of undos.reverse()) {
        try {
          undo();
        } catch (undoErr) {
          this.log.error({ err: undoErr }, 'could not undo a file change after a failed transaction');
        }
      }
      throw err;
    }
    for (const undo of undos) {
      try {
        undo.committed?.();
      } catch (err) {
        this.log.warn({ err }, 'could not settle a file change after its transaction committed');
      }
    }
    await this.apply();
    return result;
  }

  /** The configuration's version (ConfigRepository.version): answers may be kept while it stands still. */
  version(): number {
    return this.store.version();
  }

  /** Hands the current configuration to the data plane (also used once at start). */
  apply(): Promise<void> {
    const next = this.applying.then(async () => {
      try {
        await this.applier.apply(this.store.snapshot());
      } catch (err) {
        // The change is committed; a data-plane failure is live state, not a reason to lie to the client.
        this.log.error({ err }, 'data plane failed to apply the configuration');
      }
    });
    this.applying = next;
    return next;
  }

  /** Resolves when every apply queued so far has finished (for shutdown). */
  drain(): Promise<void> {
    return this.applying;
  }
}

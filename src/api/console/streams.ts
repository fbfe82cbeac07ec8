/**
 * The console's open event streams. The server's close waits for every connection, and an
 * event stream never goes idle: closing the app ends them first (server.ts).
 */
export class ConsoleStreams {
  private readonly open = new Set<() => void>();

  add(stop: () => void): void {
    this.open.add(stop);
  }

  delete(stop: () => void): void {
    this.open.delete(stop);
  }

  endAll(): void {
    for (const stop of [...this.open]) stop();
  }
}

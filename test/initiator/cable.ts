/**
 * A TCP cable between an initiator and a target on 127.0.0.1 that a test can pull out
 * (every connection reset, nobody listening), plug back in on the same port, or freeze
 * (connections stay open and carry nothing: a dead network without a FIN).
 */
import net from 'node:net';

export class Cable {
  private server: net.Server | null = null;
  private readonly pairs = new Set<{ a: net.Socket; b: net.Socket }>();
  /** Connections accepted so far (a reconnect shows up here). */
  accepted = 0;

  private constructor(
    private readonly targetPort: number,
    public port: number,
  ) {}

  static async to(targetPort: number): Promise<Cable> {
    const c = new Cable(targetPort, 0);
    await c.plug();
    return c;
  }

  async plug(): Promise<void> {
    const server = net.createServer((a) => {
      this.accepted++;
      const b = net.connect({ host: '127.0.0.1', port: this.targetPort });
      const pair = { a, b };
      this.pairs.add(pair);
      a.pipe(b);
      b.pipe(a);
      const drop = () => {
        this.pairs.delete(pair);
        a.destroy();
        b.destroy();
      };
      a.on('error', drop).on('close', drop);
      b.on('error', drop).on('close', drop);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Reset every connection and stop listening: the target is gone. */
  async pull(): Promise<void> {
    const s = this.server;
    this.server = null;
    for (const { a, b } of this.pairs) {
      a.resetAndDestroy();
      b.destroy();
    }
    this.pairs.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** The open connections stop carrying bytes; new ones still work. */
  freeze(): void {
    for (const { a, b } of this.pairs) {
      a.unpipe(b);
      b.unpipe(a);
      a.pause();
      b.pause();
    }
  }

  async close(): Promise<void> {
    await this.pull();
  }
}

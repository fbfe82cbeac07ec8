/**
 * Raw HTTP clients that misbehave on purpose (idle, dripping bytes, oversized bodies), and
 * a well-behaved one that times its answers, for the API's limits under abuse.
 */
import http from 'node:http';
import net from 'node:net';

/** A raw TCP connection to the API; `closedAt` is set when the server ends it, `answer` is what it sent. */
export interface RawClient {
  socket: net.Socket;
  openedAt: number;
  closedAt: number | null;
  answer: string;
  closed: Promise<void>;
}

export function rawConnect(port: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const c: RawClient = { socket, openedAt: Date.now(), closedAt: null, answer: '', closed: Promise.resolve() };
    c.closed = new Promise((done) =>
      socket.once('close', () => {
        c.closedAt = Date.now();
        done();
      }),
    );
    socket.on('data', (d) => (c.answer += d.toString('latin1')));
    socket.on('error', () => {});
    socket.once('connect', () => {
      c.openedAt = Date.now();
      resolve(c);
    });
    socket.once('error', reject);
  });
}

/** Writes `text` one byte every `everyMs` until it is all sent or the socket is gone. */
export function drip(c: RawClient, text: string, everyMs: number): () => void {
  let i = 0;
  const timer = setInterval(() => {
    if (c.socket.destroyed || i >= text.length) return clearInterval(timer);
    c.socket.write(text[i++]!);
  }, everyMs);
  return () => clearInterval(timer);
}

/** The status code of the first answer on a raw connection, or null. */
export function statusOf(c: RawClient): number | null {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(c.answer);
  return m ? Number(m[1]) : null;
}

/**
 * A well-behaved client: GET `path` on a connection of its own every `everyMs` until
 * stopped; returns each answer's latency (ms) and status.
 */
export function healthyClient(port: number, path: string, headers: Record<string, string>, everyMs: number) {
  const latencies: number[] = [];
  const failures: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        const status = await get(port, path, headers);
        if (status !== 200) failures.push(`status ${status}`);
      } catch (e) {
        failures.push((e as Error).message);
      }
      latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    latencies,
    failures,
    async stop() {
      running = false;
      await loop;
    },
  };
}

function get(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
  });
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

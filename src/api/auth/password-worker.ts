/**
 * The body of the password-check worker (see password-checker.ts): one scrypt at a time,
 * on this thread, so a flood of checks can only ever occupy this one thread.
 */
import { parentPort } from 'node:worker_threads';
import { matchesHash } from './passwords.js';
import type { CheckReply, CheckRequest } from './password-messages.js';

const port = parentPort;
if (!port) throw new Error('password-worker.js runs as a worker thread');

port.on('message', (request: CheckRequest) => {
  let reply: CheckReply;
  try {
    const hash = { salt: Buffer.from(request.salt), expected: Buffer.from(request.expected), options: request.options };
    reply = { id: request.id, matches: matchesHash(request.password, hash) };
  } catch (err) {
    // A malformed stored hash (bad scrypt parameters) is an answer, not a dead worker.
    reply = { id: request.id, error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
});

/**
 * The crash test's libiscsi initiator (fixtures/crash-writer.c), compiled with gcc against
 * Debian's libiscsi-dev into a temp dir, and the bookkeeping of what it was told is
 * durable: for each 4 KiB block, the highest generation acknowledged.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/reliability/fixtures/crash-writer.c');

/** Compiles the writer; returns the binary's path (in a temp dir the caller may remove). */
export function buildWriter(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-crash-writer-'));
  const bin = path.join(dir, 'crash-writer');
  execFileSync('gcc', ['-O2', '-Wall', '-Werror', '-o', bin, SOURCE, '-liscsi']);
  return bin;
}

export class RunningWriter {
  /** Acknowledged writes of this run, in order: [block, generation]. */
  readonly acked: Array<[number, number]> = [];
  /** Resolves with the writer's exit code once it has stopped (the target went away). */
  readonly exited: Promise<number>;
  #first: Promise<void>;
  #stderr = '';

  constructor(readonly child: ChildProcess) {
    let buf = '';
    let onFirst: () => void = () => {};
    this.#first = new Promise((resolve) => (onFirst = resolve));
    child.stdout!.on('data', (chunk: Buffer) => {
      buf += chunk;
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const m = /^A (\d+) (\d+)$/.exec(buf.slice(0, nl));
        if (m) this.acked.push([Number(m[1]), Number(m[2])]);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
      }
      if (this.acked.length) onFirst();
    });
    child.stderr!.on('data', (c: Buffer) => (this.#stderr += c));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
    this.exited.then(onFirst);
  }

  /** Resolves at the first acknowledged write (or at exit). */
  firstAck(): Promise<void> {
    return this.#first;
  }

  get stderr(): string {
    return this.#stderr;
  }
}

export function startWriter(bin: string, portal: string, iqn: string, blocks: number, firstGeneration: number, seed: number): RunningWriter {
  const child = spawn(bin, ['write', portal, iqn, String(blocks), String(firstGeneration), String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new RunningWriter(child);
}

export interface BlockState {
  generation: number;
  ok: boolean;
}

/** Reads every block back through libiscsi. */
export function readBlocks(bin: string, portal: string, iqn: string, blocks: number): BlockState[] {
  const out = execFileSync(bin, ['verify', portal, iqn, String(blocks)], { encoding: 'utf8', timeout: 30_000 });
  const states: BlockState[] = [];
  for (const line of out.split('\n')) {
    const m = /^B (\d+) (\d+) ([01])$/.exec(line);
    if (m) states[Number(m[1])] = { generation: Number(m[2]), ok: m[3] === '1' };
  }
  if (states.length !== blocks) throw new Error(`verify printed ${states.length} of ${blocks} blocks: ${out.slice(0, 200)}`);
  return states;
}

/**
 * Every fuzz target, briefly, in every `npm test`: its committed seeds run in-process and
 * keep the contract, then it is fuzzed for a moment (SMOKE_SECONDS) and must find nothing:
 * by Jazzer.js (coverage-guided, a fresh working corpus) where its native fuzzer loads,
 * else by the in-process mutator over the seeds (mutator.ts). Long runs are
 * `npm run fuzz -- <target> --time 10m`.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { stopApp } from './app.js';
import { mutateSeeds } from './mutator.js';

const SMOKE_SECONDS = 1;
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const targetsDir = path.join(here, 'targets');
const corpusDir = path.join(root, 'test/fuzz/corpus');
const targets = fs
  .readdirSync(targetsDir)
  .filter((f) => f.endsWith('.js'))
  .map((f) => f.slice(0, -3))
  .sort();

after(stopApp);

test('every target has a seed corpus of a modest size', () => {
  assert.ok(targets.length >= 20, `${targets.length} targets`);
  for (const t of targets) {
    const files = fs.readdirSync(path.join(corpusDir, t));
    assert.ok(files.length >= 3 && files.length <= 40, `${t}: ${files.length} seeds`);
    for (const f of files) assert.ok(fs.statSync(path.join(corpusDir, t, f)).size <= 8192, `${t}/${f} is small`);
  }
});

describe('seeds keep the contract', () => {
  for (const t of targets) {
    test(t, async () => {
      const { fuzz } = (await import(path.join(targetsDir, `${t}.js`))) as { fuzz: (data: Buffer) => unknown };
      for (const f of fs.readdirSync(path.join(corpusDir, t)).sort()) {
        await fuzz(fs.readFileSync(path.join(corpusDir, t, f)));
      }
    });
  }
});

function fuzzBriefly(target: string): Promise<{ code: number | null; output: string }> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `sanbox-fuzz-${target}-`));
  const child = spawn(process.execPath, [path.join(root, 'scripts/fuzz.mjs'), target, '--time', String(SMOKE_SECONDS), '--work', work], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve) => {
    child.on('close', (code) => {
      fs.rmSync(work, { recursive: true, force: true });
      resolve({ code, output });
    });
  });
}

/** Jazzer.js's native fuzzer loads here (scripts/jazzer-addon.mjs builds it where it can). */
function jazzerLoads(): boolean {
  if (process.env.SANBOX_FUZZ_ENGINE === 'mutator') return false;
  try {
    createRequire(import.meta.url)(path.join(root, 'node_modules/@jazzer.js/fuzzer/prebuilds', `fuzzer-${process.platform}-${process.arch}.node`));
    return true;
  } catch {
    return false;
  }
}

const JAZZER = jazzerLoads();

describe(`${SMOKE_SECONDS} s of fuzzing finds nothing (${JAZZER ? 'Jazzer.js, coverage-guided' : 'in-process mutator: Jazzer.js does not load here'})`, {
  concurrency: 2,
}, () => {
  for (const t of targets) {
    test(t, async () => {
      if (JAZZER) {
        const { code, output } = await fuzzBriefly(t);
        assert.equal(code, 0, `jazzer exited ${code} for ${t}:\n${output.split('\n').slice(-40).join('\n')}`);
        assert.match(output, /stat::number_of_executed_units:\s+[1-9]/, `${t} ran inputs`);
        return;
      }
      const { fuzz } = (await import(path.join(targetsDir, `${t}.js`))) as { fuzz: (data: Buffer) => unknown };
      const seeds = fs.readdirSync(path.join(corpusDir, t)).map((f) => fs.readFileSync(path.join(corpusDir, t, f)));
      const run = await mutateSeeds(fuzz, seeds, SMOKE_SECONDS);
      assert.equal(run.finding, null, `${t}: input ${run.finding?.input.toString('hex')} broke the contract: ${String(run.finding?.error)}`);
      assert.ok(run.executions > 0, `${t} ran inputs`);
    });
  }
});

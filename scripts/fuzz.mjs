#!/usr/bin/env node
// Coverage-guided fuzzing of sanbox's parsers with Jazzer.js (libFuzzer under Node).
//
//   npm run fuzz -- --list                     the targets, with their seed corpus sizes
//   npm run fuzz -- pdu-framer --time 10m      fuzz one target for ten minutes
//   npm run fuzz -- login --time 30s -- -seed=1 -max_len=4096   (after --: libFuzzer flags)
//   npm run fuzz -- size --time 5s --work /tmp/x                 (corpus and crashes in /tmp/x)
//
// Targets are dist/test/fuzz/targets/<name>.js (built from test/fuzz/targets/). Each run
// reads the committed seeds (test/fuzz/corpus/<name>/) and grows a working corpus in
// .fuzz/<name>/corpus/, which is kept between runs and never committed; a crash is
// written to .fuzz/<name>/ and the exit status is libFuzzer's (77 for a finding). To keep
// a finding, copy it into the target's seed corpus and add its assertion to
// test/fuzz/regressions.test.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const targetsDir = join(root, 'dist/test/fuzz/targets');
const seedsDir = join(root, 'test/fuzz/corpus');

function targets() {
  if (!existsSync(targetsDir)) {
    console.error('no fuzz targets under dist/test/fuzz/targets: run `npx tsc -p tsconfig.json` first');
    process.exit(2);
  }
  return readdirSync(targetsDir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -3))
    .sort();
}

function seeds(name) {
  const dir = join(seedsDir, name);
  return existsSync(dir) ? readdirSync(dir).length : 0;
}

/** "90", "90s", "10m", "1h" -> seconds. */
function seconds(text) {
  const m = /^(\d+)([smh]?)$/.exec(text ?? '');
  if (!m) {
    console.error(`--time wants a duration like 30s, 10m or 1h, not ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600 }[m[2]];
}

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const ours = dash < 0 ? argv : argv.slice(0, dash);
const libfuzzer = dash < 0 ? [] : argv.slice(dash + 1);

if (ours.includes('--list') || ours.length === 0) {
  for (const t of targets()) console.log(`${t.padEnd(24)} ${String(seeds(t)).padStart(3)} seeds`);
  process.exit(0);
}

const name = ours[0];
if (!targets().includes(name)) {
  console.error(`no fuzz target ${JSON.stringify(name)}; npm run fuzz -- --list names them`);
  process.exit(2);
}
const at = ours.indexOf('--time');
const time = at < 0 ? 60 : seconds(ours[at + 1]);
const workAt = ours.indexOf('--work');
// --work <dir>: keep the working corpus and any crash there instead (the smoke test's temp dir).
const work = workAt < 0 ? join(root, '.fuzz', name) : resolve(ours[workAt + 1]);
const corpus = join(work, 'corpus');
mkdirSync(corpus, { recursive: true });
const file = join(targetsDir, `${name}.js`);
// Instrumenting only the code a target exercises (`export const instrument = ['src/api/']`)
// keeps start-up short: Jazzer rewrites every module it instruments as it loads.
const source = readFileSync(file, 'utf8');
const areas = /^export const instrument = \[(.*)\];$/m
  .exec(source)?.[1]
  ?.match(/'[^']+'/g)
  ?.map((q) => q.slice(1, -1)) ?? ['src/'];
const includes = areas.flatMap((a) => ['--includes', `dist/${a}`]);
// Targets that never await run in Jazzer's synchronous mode, several times faster.
const sync = /^export const sync = true;$/m.test(source);
const cli = join(root, 'node_modules/@jazzer.js/core/dist/cli.js');
const args = [
  cli,
  file,
  corpus,
  join(seedsDir, name),
  ...(sync ? ['--sync'] : []),
  ...includes,
  '--',
  `-max_total_time=${time}`,
  `-artifact_prefix=${work}/`,
  '-print_final_stats=1',
  ...libfuzzer,
];
const run = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
process.exit(run.status ?? 1);

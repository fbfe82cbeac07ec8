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
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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
if (!jazzerLoads()) process.exit(await mutatorRun());
const run = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
process.exit(run.status ?? 1);

function jazzerLoads() {
  try {
    createRequire(import.meta.url)(join(root, 'node_modules/@jazzer.js/fuzzer/prebuilds', `fuzzer-${process.platform}-${process.arch}.node`));
    return true;
  } catch {
    return false;
  }
}

/**
 * Where Jazzer.js's native fuzzer does not load (node scripts/jazzer-addon.mjs builds it,
 * from the internet or JAZZER_SRC/LIBFUZZER_SRC): the in-process mutator over the seeds,
 * not coverage-guided. A finding is written to the work dir; the status is 77, as libFuzzer's.
 */
async function mutatorRun() {
  console.log(`${name}: Jazzer.js's native fuzzer does not load here; fuzzing ${time} s with the in-process mutator (not coverage-guided)`);
  const { mutateSeeds } = await import(join(root, 'dist/test/fuzz/mutator.js'));
  const { fuzz } = await import(file);
  const dir = join(seedsDir, name);
  const seedFiles = existsSync(dir) ? readdirSync(dir).map((f) => readFileSync(join(dir, f))) : [];
  const seedArg = libfuzzer.find((a) => a.startsWith('-seed='));
  const r = await mutateSeeds(fuzz, seedFiles, time, seedArg ? Number(seedArg.slice(6)) : Date.now() & 0x7fffffff);
  console.log(`stat::number_of_executed_units: ${r.executions}`);
  if (!r.finding) return 0;
  const out = join(work, `crash-${createHash('sha1').update(r.finding.input).digest('hex')}`);
  writeFileSync(out, r.finding.input);
  console.error(`finding: ${String(r.finding.error?.stack ?? r.finding.error)}\ninput written to ${out}`);
  return 77;
}

#!/usr/bin/env node
// Makes Jazzer.js's native fuzzer load on this machine. @jazzer.js/fuzzer 4.0.0 ships a
// prebuilt addon linked against glibc 2.38 and GCC 13's libstdc++; Debian 12 has glibc
// 2.36 and GCC 12, so the prebuilt fails to load ("GLIBC_2.38 not found"), and the
// package carries no sources to rebuild from. This script builds the addon from source:
//
//   * the addon's C++ (jazzer.js v4.0.0, packages/fuzzer), and
//   * libFuzzer from LLVM's compiler-rt (rust-fuzz/libfuzzer's extract of it), with the
//     three things Jazzer.js's own libFuzzer fork adds: comparison and indirect-call hooks
//     that take an explicit PC (JS has no return address to stand for the site), a death
//     callback hook, and returning from the driver when the JS side asks libFuzzer to
//     stop (-2 from the callback: a finding it reports itself, or CTRL+C).
//
// Sources: JAZZER_SRC (a jazzer.js checkout) and LIBFUZZER_SRC (a directory holding
// Fuzzer*.cpp), else the two GitHub tarballs are downloaded. Needs g++ and Node's headers
// (Debian: g++, libnode-dev or nodejs's /usr/include/node).
//
//   node scripts/jazzer-addon.mjs           build only if the installed addon fails to load
//   node scripts/jazzer-addon.mjs --force   rebuild anyway
//   node scripts/jazzer-addon.mjs --offline build only from JAZZER_SRC and LIBFUZZER_SRC, never download
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = join(root, 'node_modules/@jazzer.js/fuzzer');
const installed = join(pkg, 'prebuilds', `fuzzer-${process.platform}-${process.arch}.node`);
const JAZZER_TARBALL = 'https://github.com/CodeIntelligenceTesting/jazzer.js/archive/refs/tags/v4.0.0.tar.gz';
const LIBFUZZER_TARBALL = 'https://github.com/rust-fuzz/libfuzzer/archive/refs/heads/main.tar.gz';

function loads() {
  try {
    createRequire(import.meta.url)(installed);
    return true;
  } catch (e) {
    console.error(`jazzer addon does not load: ${String(e.message).split('\n')[0]}`);
    return false;
  }
}

function fetchTree(url, into) {
  mkdirSync(into, { recursive: true });
  const tgz = `${into}.tar.gz`;
  execFileSync('curl', ['-fsSL', '-o', tgz, url], { stdio: 'inherit' });
  execFileSync('tar', ['xzf', tgz, '-C', into, '--strip-components=1'], { stdio: 'inherit' });
  return into;
}

/** One exact edit of a source file; a miss means the sources changed under us. */
function edit(file, from, to) {
  const s = readFileSync(file, 'utf8');
  if (!s.includes(from)) throw new Error(`${file}: cannot find the text to patch: ${from.slice(0, 60)}`);
  writeFileSync(file, s.replace(from, to));
}

const SHIM = `// Jazzer.js's libFuzzer fork adds hooks taking an explicit PC and a death callback;
// they live in FuzzerTracePC's translation unit, where HandleCmp is defined.
#include "FuzzerTracePC.cpp"

extern "C" void __jazzer_set_death_callback(void (*callback)());

extern "C" {
ATTRIBUTE_INTERFACE ATTRIBUTE_NO_SANITIZE_ALL
void __sanitizer_cov_trace_const_cmp8_with_pc(uintptr_t PC, uint64_t Arg1, uint64_t Arg2) {
  fuzzer::TPC.HandleCmp(PC, Arg1, Arg2);
}
ATTRIBUTE_INTERFACE ATTRIBUTE_NO_SANITIZE_ALL
void __sanitizer_cov_trace_pc_indir_with_pc(void *PC, uintptr_t Callee) {
  fuzzer::TPC.HandleCallerCallee(reinterpret_cast<uintptr_t>(PC), Callee);
}
ATTRIBUTE_INTERFACE
void __sanitizer_set_death_callback(void (*callback)()) {
  __jazzer_set_death_callback(callback);
}
}
`;

function patchLibFuzzer(lf) {
  edit(
    join(lf, 'FuzzerInternal.h'),
    'namespace fuzzer {',
    'namespace fuzzer {\n\n// Unwinds libFuzzer back to FuzzerDriver when Jazzer.js asks it to stop.\nstruct JazzerStop {};\n',
  );
  edit(
    join(lf, 'FuzzerLoop.cpp'),
    '    assert(CBRes == 0 || CBRes == -1);',
    '    if (CBRes == -2) {\n      RunningUserCallback = false;\n      throw JazzerStop{};\n    }\n    assert(CBRes == 0 || CBRes == -1);',
  );
  const driver = join(lf, 'FuzzerDriver.cpp');
  edit(
    driver,
    'int FuzzerDriver(int *argc, char ***argv, UserCallback Callback) {',
    'static int FuzzerDriverImpl(int *argc, char ***argv, UserCallback Callback) {',
  );
  // The driver's own exit(0)s at the end of a run stay: Jazzer.js exits 0 only when the
  // event loop drains, which a target holding a server open never lets happen.
  edit(
    driver,
    "  exit(0);  // Don't let F destroy itself.\n}",
    "  exit(0);  // Don't let F destroy itself.\n}\n\nint FuzzerDriver(int *argc, char ***argv, UserCallback Callback) {\n  try {\n    return FuzzerDriverImpl(argc, argv, Callback);\n  } catch (const JazzerStop &) {\n    return 0;\n  }\n}",
  );
  writeFileSync(join(lf, 'JazzerShim.cpp'), SHIM);
}

function build() {
  const work = mkdtempSync(join(tmpdir(), 'jazzer-addon-'));
  try {
    const jazzer = process.env.JAZZER_SRC ?? fetchTree(JAZZER_TARBALL, join(work, 'jazzer.js'));
    const lfSrc = process.env.LIBFUZZER_SRC ?? join(fetchTree(LIBFUZZER_TARBALL, join(work, 'libfuzzer-sys')), 'libfuzzer');
    // Copies: the patches must not touch the caller's checkouts.
    const lf = join(work, 'inc', 'fuzzer');
    mkdirSync(lf, { recursive: true });
    for (const f of readdirSync(lfSrc)) if (/\.(cpp|h|def)$/.test(f)) copyFileSync(join(lfSrc, f), join(lf, f));
    patchLibFuzzer(lf);
    const addon = join(jazzer, 'packages/fuzzer');
    const obj = join(work, 'obj');
    mkdirSync(obj);
    const cxx = process.env.CXX ?? 'g++';
    const common = ['-O2', '-fPIC', '-std=c++17', '-fno-omit-frame-pointer'];
    const skip = /Main|Interceptors|TracePC|Windows|Darwin|Fuchsia|Dlsym/;
    const units = [
      ...readdirSync(lf)
        .filter((f) => f.endsWith('.cpp') && !skip.test(f))
        .map((f) => join(lf, f)),
      ...readdirSync(addon)
        .filter((f) => f.endsWith('.cpp'))
        .map((f) => join(addon, f)),
      ...readdirSync(join(addon, 'shared'))
        .filter((f) => f.endsWith('.cpp'))
        .map((f) => join(addon, 'shared', f)),
    ];
    const napi = [`-I${join(root, 'node_modules/node-addon-api')}`, `-I${process.env.NODE_INCLUDE ?? '/usr/include/node'}`, `-I${join(work, 'inc')}`];
    units.forEach((src, i) => {
      const isAddon = src.startsWith(addon);
      const flags = isAddon ? [...common, '-DNAPI_VERSION=4', '-DNAPI_CPP_EXCEPTIONS', '-fexceptions', ...napi] : common;
      console.log(`compiling ${src.split('/').slice(-2).join('/')}`);
      execFileSync(cxx, [...flags, '-w', '-c', src, '-o', join(obj, `${i}.o`)], { stdio: 'inherit' });
    });
    const out = join(work, 'jazzerjs.node');
    execFileSync(cxx, ['-shared', '-o', out, ...readdirSync(obj).map((f) => join(obj, f)), '-lpthread'], { stdio: 'inherit' });
    if (existsSync(installed) && !existsSync(`${installed}.upstream`)) copyFileSync(installed, `${installed}.upstream`);
    mkdirSync(dirname(installed), { recursive: true });
    copyFileSync(out, installed);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (!existsSync(pkg)) {
  console.error('@jazzer.js/fuzzer is not installed: run npm install first');
  process.exit(1);
}
if (!process.argv.includes('--force') && loads()) process.exit(0);
// --offline (npm test): never download; without local sources the smoke test fuzzes with
// the in-process mutator instead (test/fuzz/mutator.ts), and says so.
if (process.argv.includes('--offline') && !(process.env.JAZZER_SRC && process.env.LIBFUZZER_SRC)) {
  console.log('Jazzer.js native fuzzer: not loadable and no JAZZER_SRC/LIBFUZZER_SRC to build it from; fuzzing with the in-process mutator');
  process.exit(0);
}
build();
if (!loads()) process.exit(1);
console.log(`built ${installed}`);

#!/usr/bin/env node
// Runs the whole suite against real peers. The end-to-end tests drive libiscsi, qemu-img,
// tgt, Ansible's netapp.ontap and OpenStack's clients from Debian's packages; a missing
// one is installed when we are root (CI is) and otherwise named in a failure: a test that
// silently skips checks nothing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const needs = [
  { pkg: 'libiscsi-bin', has: () => onPath('iscsi-ls') && onPath('iscsi-test-cu') && onPath('iscsi-inq') },
  // The crash tests' initiator (test/reliability/fixtures/crash-writer.c) is compiled against it.
  { pkg: 'libiscsi-dev', has: () => existsSync('/usr/include/iscsi/iscsi.h') },
  { pkg: 'qemu-utils', has: () => onPath('qemu-img') },
  { pkg: 'qemu-block-extra', has: () => qemuHasIscsi() },
  { pkg: 'tgt', has: () => onPath('tgtd') },
  // NetApp's Ansible collection, netapp.ontap, ships inside Debian's ansible package.
  { pkg: 'ansible', has: () => onPath('ansible-playbook') && existsSync('/usr/lib/python3/dist-packages/ansible_collections/netapp/ontap') },
  // OpenStack's own Ironic clients: the baremetal CLI and openstacksdk.
  { pkg: 'python3-ironicclient', has: () => onPath('baremetal') },
  { pkg: 'python3-openstacksdk', has: () => existsSync('/usr/lib/python3/dist-packages/openstack/baremetal') },
  // The web console's browser test: playwright-core drives Debian's chromium.
  { pkg: 'chromium', has: () => existsSync('/usr/bin/chromium') },
  // The rbd pool test runs a one-node Ceph cluster (scripts/ceph-cluster.mjs) and reads its
  // images with the rbd CLI; librbd-dev lets npm install build the rbd backstore.
  { pkg: 'ceph-mon', has: () => onPath('ceph-mon') },
  { pkg: 'ceph-osd', has: () => onPath('ceph-osd') },
  { pkg: 'ceph-mgr', has: () => onPath('ceph-mgr') },
  { pkg: 'ceph-common', has: () => onPath('ceph') && onPath('rbd') && onPath('ceph-authtool') && onPath('monmaptool') },
  { pkg: 'librbd-dev', has: () => existsSync('/usr/include/rbd/librbd.h') },
];

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function qemuHasIscsi() {
  const dirs = ['/usr/lib/x86_64-linux-gnu/qemu', '/usr/lib/aarch64-linux-gnu/qemu', '/usr/lib/qemu'];
  return dirs.some((d) => existsSync(join(d, 'block-iscsi.so')));
}

function ensurePackages() {
  const missing = needs.filter((n) => !n.has()).map((n) => n.pkg);
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error(`npm test needs these Debian packages: ${missing.join(' ')}`);
    console.error(`install them with: sudo apt-get install -y ${missing.join(' ')}`);
    process.exit(1);
  }
  console.log(`installing ${missing.join(' ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  const still = needs.filter((n) => !n.has()).map((n) => n.pkg);
  if (still.length) {
    console.error(`still missing after apt-get: ${still.join(' ')}`);
    process.exit(1);
  }
  // npm install built the rbd addon as a stub without librbd-dev: build it again over librbd.
  if (missing.includes('librbd-dev')) execFileSync('npm', ['run', 'install'], { stdio: 'inherit' });
}

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...testFiles(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

/**
 * The code's own checks, each as `npm run <name>` runs it alone: the linter, the
 * dependency rules of DESIGN.md (.dependency-cruiser.cjs) and the dead-code check
 * (knip.json). Any failure fails the run, before the suite starts.
 */
function runChecks() {
  const checks = [
    { name: 'lint', cmd: 'biome', args: ['lint'] },
    { name: 'deps', cmd: 'depcruise', args: ['src', '--config', '.dependency-cruiser.cjs'] },
    { name: 'deadcode', cmd: 'knip', args: [] },
  ];
  const failed = [];
  for (const c of checks) {
    const r = spawnSync(join('node_modules', '.bin', c.cmd), c.args, { stdio: 'inherit' });
    if (r.status !== 0) failed.push(`npm run ${c.name}`);
  }
  if (failed.length) {
    console.error(`checks failed: ${failed.join(', ')}`);
    process.exit(1);
  }
}

/**
 * The fuzz smoke test uses Jazzer.js's native fuzzer where it loads; its prebuilt needs
 * glibc 2.38 (Debian 12 has 2.36), and scripts/jazzer-addon.mjs builds it from local
 * sources (JAZZER_SRC, LIBFUZZER_SRC) when given: the suite downloads nothing. Without
 * it the smoke test fuzzes every target with the in-process mutator and names it.
 */
function ensureJazzer() {
  const r = spawnSync(process.execPath, ['scripts/jazzer-addon.mjs', '--offline'], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('building the Jazzer.js native fuzzer from JAZZER_SRC/LIBFUZZER_SRC failed: see scripts/jazzer-addon.mjs');
    process.exit(1);
  }
}

ensurePackages();
ensureJazzer();
const only = process.argv.slice(2);
if (only.length === 0) runChecks();
const files = only.length ? only : testFiles('dist/test');
if (files.length === 0) {
  console.error('no test files under dist/test: did the build run?');
  process.exit(1);
}
const run = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(run.status ?? 1);

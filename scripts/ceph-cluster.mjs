#!/usr/bin/env node
// A throw-away single-node Ceph cluster for trying sanbox's rbd pools and for the RBD
// tests: one monitor, one manager, one OSD (BlueStore on a sparse file), replication
// size 1, everything under one directory, listening on 127.0.0.1 only. Debian's
// packages: apt-get install ceph-mon ceph-osd ceph-mgr ceph-common.
//
//   node scripts/ceph-cluster.mjs start [dir]   make (first time) and start it; prints env
//   node scripts/ceph-cluster.mjs env [dir]     the settings a share-pool rbd pool needs
//   node scripts/ceph-cluster.mjs stop [dir]    stop every daemon (the data stays)
//   node scripts/ceph-cluster.mjs destroy [dir] stop and remove the directory
//   node scripts/ceph-cluster.mjs stop-osd|start-osd [dir]   (outage tests)
//
// dir defaults to $SANBOX_CEPH_DIR or /tmp/sanbox-ceph; the monitor's port to
// $SANBOX_CEPH_PORT or 16789. `env` prints JSON: monitor address and port, the RADOS pool
// (`rbd`), the client name and its key, and the conf/keyring for the `rbd` CLI, e.g.
//   rbd -c /tmp/sanbox-ceph/ceph.conf ls rbd
// A share-pool pool for it: {"type": 6, "ip": "127.0.0.1", "port": "16789",
//   "source": "rbd", "username": "sanbox", "password": "<key>", ...}.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const [, , command = 'start', dirArg] = process.argv;
const dir = path.resolve(dirArg ?? process.env.SANBOX_CEPH_DIR ?? '/tmp/sanbox-ceph');
const port = Number(process.env.SANBOX_CEPH_PORT ?? 16789);
const conf = path.join(dir, 'ceph.conf');
const adminKeyring = path.join(dir, 'ceph.client.admin.keyring');
const RADOS_POOL = 'rbd';
const CLIENT = 'sanbox';

function run(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, ...opts });
}

function ceph(...args) {
  return run('ceph', ['-c', conf, '--connect-timeout', '20', ...args]);
}

function confText(fsid) {
  return `[global]
fsid = ${fsid}
mon host = v2:127.0.0.1:${port}
mon initial members = a
public addr = 127.0.0.1
ms bind ipv4 = true
ms bind ipv6 = false
ms bind msgr1 = false
ms bind port min = ${port + 1}
ms bind port max = ${port + 60}
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = ${adminKeyring}
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
pid file = ${dir}/run/$name.pid
log file = ${dir}/log/$name.log
osd pool default size = 1
osd pool default min size = 1
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
mgr initial modules =
osd objectstore = bluestore
bluestore block create = true
bluestore block size = ${8 * 1024 ** 3}
bluestore block db create = false
bluestore block wal create = false
bluestore cache size = ${128 * 1024 ** 2}
osd memory target = ${768 * 1024 ** 2}
osd op num shards = 1
osd op num threads per shard = 2

[mon.a]
mon data = ${dir}/mon
keyring = ${dir}/mon/keyring
[mgr.x]
mgr data = ${dir}/mgr
keyring = ${dir}/mgr/keyring
[osd.0]
osd data = ${dir}/osd
keyring = ${dir}/osd/keyring
`;
}

function pidOf(name) {
  try {
    const pid = Number(fs.readFileSync(path.join(dir, 'run', `${name}.pid`), 'utf8').trim());
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

function startDaemon(bin, id) {
  const name = `${bin.replace('ceph-', '')}.${id}`;
  if (pidOf(name)) return;
  // The daemons fork themselves; the pid file is where we find them again.
  run(bin, ['-c', conf, '-i', id]);
}

function stopDaemon(name) {
  const pid = pidOf(name);
  if (!pid) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && pidOf(name); i++) spawnSync('sleep', ['0.1']);
  if (pidOf(name)) process.kill(pid, 'SIGKILL');
}

function waitFor(what, test, seconds) {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    try {
      if (test()) return;
    } catch {
      // not yet
    }
    if (Date.now() > until) throw new Error(`ceph cluster in ${dir}: ${what} not ready after ${seconds} s`);
    spawnSync('sleep', ['0.5']);
  }
}

function make() {
  fs.mkdirSync(path.join(dir, 'run'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'log'), { recursive: true });
  for (const d of ['mon', 'mgr', 'osd']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  const fsid = randomUUID();
  fs.writeFileSync(conf, confText(fsid));
  const monKeyring = path.join(dir, 'mon.keyring');
  run('ceph-authtool', ['--create-keyring', monKeyring, '--gen-key', '-n', 'mon.', '--cap', 'mon', 'allow *']);
  const caps = ['mon', 'osd', 'mgr', 'mds'].flatMap((daemon) => ['--cap', daemon, 'allow *']);
  run('ceph-authtool', ['--create-keyring', adminKeyring, '--gen-key', '-n', 'client.admin', ...caps]);
  run('ceph-authtool', [monKeyring, '--import-keyring', adminKeyring]);
  const monmap = path.join(dir, 'monmap');
  run('monmaptool', ['--create', '--fsid', fsid, '--addv', 'a', `[v2:127.0.0.1:${port}]`, monmap]);
  run('ceph-mon', ['-c', conf, '--mkfs', '-i', 'a', '--monmap', monmap, '--keyring', monKeyring]);
  startDaemon('ceph-mon', 'a');
  waitFor('monitor', () => ceph('mon', 'stat').includes('quorum'), 30);
  // Manager: pool and cluster usage (rados df, the pool figures) come from it.
  const mgrKey = ceph('auth', 'get-or-create', 'mgr.x', 'mon', 'allow profile mgr', 'osd', 'allow *', 'mds', 'allow *');
  fs.writeFileSync(path.join(dir, 'mgr', 'keyring'), mgrKey);
  startDaemon('ceph-mgr', 'x');
  const osdUuid = randomUUID();
  const osdKeyring = path.join(dir, 'osd', 'keyring');
  run('ceph-authtool', ['--create-keyring', osdKeyring, '--gen-key', '-n', 'osd.0']);
  ceph('auth', 'add', 'osd.0', 'osd', 'allow *', 'mon', 'allow profile osd', 'mgr', 'allow profile osd', '-i', osdKeyring);
  const id = ceph('osd', 'new', osdUuid, '0').trim();
  if (id !== '0') throw new Error(`expected osd id 0, the monitor gave ${id}`);
  run('ceph-osd', ['-c', conf, '-i', '0', '--mkfs', '--osd-uuid', osdUuid], { timeout: 120_000 });
  startDaemon('ceph-osd', '0');
  waitFor('OSD up', () => /1 up/.test(ceph('osd', 'stat')), 60);
  ceph('osd', 'pool', 'create', RADOS_POOL, '8', '8');
  ceph('osd', 'pool', 'set', RADOS_POOL, 'size', '1', '--yes-i-really-mean-it');
  ceph('osd', 'pool', 'application', 'enable', RADOS_POOL, 'rbd');
  run('rbd', ['-c', conf, 'pool', 'init', RADOS_POOL]);
  ceph('auth', 'get-or-create', `client.${CLIENT}`, 'mon', 'profile rbd', 'osd', `profile rbd pool=${RADOS_POOL}`, 'mgr', `profile rbd pool=${RADOS_POOL}`);
  fs.writeFileSync(path.join(dir, 'made'), fsid);
}

function env() {
  const key = ceph('auth', 'print-key', `client.${CLIENT}`).trim();
  return { dir, conf, keyring: adminKeyring, monitor: '127.0.0.1', port: String(port), pool: RADOS_POOL, user: CLIENT, key };
}

function start() {
  if (!fs.existsSync(path.join(dir, 'made'))) {
    fs.rmSync(dir, { recursive: true, force: true });
    make();
  } else {
    startDaemon('ceph-mon', 'a');
    startDaemon('ceph-mgr', 'x');
    startDaemon('ceph-osd', '0');
  }
  waitFor('OSD up', () => /1 up/.test(ceph('osd', 'stat')), 60);
  waitFor('placement groups active', () => !/inactive|creating|peering|unknown/.test(ceph('pg', 'stat')), 60);
}

function stopAll() {
  for (const name of ['osd.0', 'mgr.x', 'mon.a']) stopDaemon(name);
}

switch (command) {
  case 'start':
    start();
    console.log(JSON.stringify(env()));
    break;
  case 'env':
    console.log(JSON.stringify(env()));
    break;
  case 'stop':
    stopAll();
    break;
  case 'destroy':
    stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
    break;
  case 'stop-osd':
    stopDaemon('osd.0');
    break;
  case 'start-osd':
    startDaemon('ceph-osd', '0');
    waitFor('OSD up', () => /1 up/.test(ceph('osd', 'stat')), 60);
    break;
  default:
    console.error('usage: ceph-cluster.mjs start|env|stop|destroy|stop-osd|start-osd [dir]');
    process.exit(2);
}

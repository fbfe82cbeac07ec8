/**
 * OpenStack's own clients against sanbox's Ironic API, and the export that follows the
 * records: the `baremetal` CLI (python3-ironicclient) negotiates down from its newest
 * microversion, makes a node, its connectors and a volume target naming a sanbox extent,
 * lists them with paging and fields, patches them, and is refused while the node is on;
 * openstacksdk does the same from its side. The node's IQN then logs in with the CHAP
 * credentials of the filled properties and qemu-img reads back what it wrote; another IQN
 * is refused, and once the volume target is gone, so is the node's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_ADMIN_PASSWORD, TEST_ADMIN_USER, type TestSanbox, startSanbox } from '../support/sanbox.js';
import { freePort, run } from './peers.js';
import { post } from './provision.js';

const NODE_IQN = 'iqn.2026-01.org.example:node1';
const SECOND_IQN = 'iqn.2026-01.org.example:node1-second';
const STRANGER = 'iqn.2026-01.org.example:stranger';
const MiB = 1024 * 1024;

function cli(sb: TestSanbox, home: string) {
  return async (args: string[], extra: string[] = []) => {
    const r = await run(
      'baremetal',
      ['--os-auth-type', 'http_basic', '--os-username', TEST_ADMIN_USER, '--os-password', TEST_ADMIN_PASSWORD, '--os-endpoint', sb.baseUrl, ...extra, ...args],
      { timeoutMs: 60_000, env: { HOME: home, OS_CLOUD: '', OS_AUTH_URL: '' } },
    );
    return r;
  };
}

async function json(bm: ReturnType<typeof cli>, args: string[]): Promise<any> {
  const r = await bm([...args, '-f', 'json']);
  assert.equal(r.code, 0, `baremetal ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The export's CHAP secret, from the FreeNAS view of the same objects (Ironic masks it). */
async function chapSecret(sb: TestSanbox, user: string): Promise<string> {
  const res = await sb.api('GET', '/api/v1.0/services/iscsi/authcredential/');
  const cred = (res.body as { iscsi_target_auth_user: string; iscsi_target_auth_secret: string }[]).find((c) => c.iscsi_target_auth_user === user);
  assert.ok(cred, `a credential for ${user}`);
  return cred.iscsi_target_auth_secret;
}

const SDK_SCRIPT = `
import json, sys, openstack
base, user, password = sys.argv[1:4]
conn = openstack.connect(auth_type='http_basic', auth={'username': user, 'password': password, 'endpoint': base + '/v1'},
                         load_yaml_config=False, load_envvars=False)
node = conn.baremetal.create_node(name='sdk-node', driver='fake-hardware')
c = conn.baremetal.create_volume_connector(node_id='sdk-node', type='iqn', connector_id='iqn.2026-01.org.example:sdk')
conn.baremetal.create_volume_connector(node_id=node.id, type='ip', connector_id='127.0.0.9')
listed = [x.connector_id for x in conn.baremetal.volume_connectors(details=True, node='sdk-node', limit=1)]
c = conn.baremetal.update_volume_connector(c, extra={'rack': 'r1'})
got = conn.baremetal.get_volume_connector(c.id)
t = conn.baremetal.create_volume_target(node_id=node.id, volume_type='iscsi', boot_index=0, volume_id='elsewhere-1', properties={'a': 'b'})
targets = [x.volume_id for x in conn.baremetal.volume_targets(details=True, node='sdk-node')]
conn.baremetal.set_node_power_state(node, 'power on', wait=True, timeout=10)
try:
    conn.baremetal.update_volume_target(t, boot_index=3)
    refused = None
except openstack.exceptions.BadRequestException as e:
    refused = str(e)
conn.baremetal.set_node_power_state(node, 'power off', wait=True, timeout=10)
conn.baremetal.delete_volume_target(t, ignore_missing=False)
conn.baremetal.delete_volume_connector(c, ignore_missing=False)
conn.baremetal.delete_node(node)
print(json.dumps({'provision_state': conn.baremetal.get_node.__name__ and node.provision_state, 'listed': listed, 'extra': got.extra,
                  'targets': targets, 'refused': refused, 'left': [x.id for x in conn.baremetal.volume_connectors()]}))
`;

test('baremetal and openstacksdk drive nodes, connectors and targets; the volume target exports a sanbox extent to the node', {
  timeout: 600_000,
}, async () => {
  const port = await freePort();
  const sb = await startSanbox({ env: { SANBOX_PORTAL_PORT: String(port) } });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-ironic-'));
  try {
    await post(sb, 'extent', {
      iscsi_target_extent_type: 'File',
      iscsi_target_extent_name: 'bootvol',
      iscsi_target_extent_filesize: '16MB',
      iscsi_target_extent_path: path.join(sb.dataDir, 'pools', 'default', 'bootvol.img'),
    });
    const bm = cli(sb, home);

    // Negotiation: the CLI asks for its newest (1.78), is told 406, reads /v1 and settles on 1.76.
    const pinned = await bm(['node', 'list'], ['--os-baremetal-api-version', '1.78']);
    assert.notEqual(pinned.code, 0);
    // Pinned, it may not negotiate: it reports the range sanbox's 406 answered with.
    assert.match(pinned.stderr, /Requested API version 1\.78 is not supported[\s\S]*Supported version range is 1\.1 to 1\.76/);
    const node = await json(bm, ['node', 'create', '--driver', 'fake-hardware', '--name', 'n1']);
    assert.equal(node.provision_state, 'enroll');
    assert.equal(node.power_state, 'power off');

    const c1 = await json(bm, ['volume', 'connector', 'create', '--node', 'n1', '--type', 'iqn', '--connector-id', NODE_IQN]);
    assert.equal(c1.node_uuid, node.uuid);
    const c2 = await json(bm, ['volume', 'connector', 'create', '--node', 'n1', '--type', 'iqn', '--connector-id', SECOND_IQN, '--extra', 'slot=2']);
    await json(bm, ['volume', 'connector', 'create', '--node', 'n1', '--type', 'ip', '--connector-id', '127.0.0.1']);

    // Paging (the CLI follows `next` to the limit), fields, show.
    const paged = await json(bm, ['volume', 'connector', 'list', '--node', 'n1', '--limit', '2', '--long']);
    assert.deepEqual(
      paged.map((c: { 'Connector ID': string }) => c['Connector ID']),
      [NODE_IQN, SECOND_IQN],
    );
    const all = await json(bm, ['volume', 'connector', 'list', '--limit', '0', '--fields', 'uuid', 'connector_id']);
    assert.equal(all.length, 3);
    assert.deepEqual(Object.keys(all[0]).sort(), ['Connector ID', 'UUID']);
    const shown = await json(bm, ['volume', 'connector', 'show', c2.uuid, '--fields', 'uuid', 'extra']);
    // The CLI reads `slot=2` as JSON: the number 2.
    assert.deepEqual(shown, { uuid: c2.uuid, extra: { slot: 2 } });

    const target = await json(bm, [
      'volume',
      'target',
      'create',
      '--node',
      'n1',
      '--type',
      'iscsi',
      '--boot-index',
      '0',
      '--volume-id',
      'bootvol',
      '--property',
      'note=boot',
    ]);
    const props = target.properties;
    assert.match(props.target_iqn, /:ironic-[0-9a-f-]{36}$/);
    assert.deepEqual(
      { ...props, target_iqn: '' },
      {
        note: 'boot',
        target_discovered: false,
        target_iqn: '',
        target_portal: `127.0.0.1:${port}`,
        target_portals: [`127.0.0.1:${port}`],
        target_lun: 0,
        auth_method: 'CHAP',
        auth_username: props.auth_username,
        auth_password: '******',
        access_mode: 'rw',
        volume_id: 'bootvol',
      },
    );

    // Changes refused while the node is on, accepted once it is off.
    assert.equal((await bm(['node', 'power', 'on', 'n1'])).code, 0);
    const refused = await bm(['volume', 'connector', 'set', c2.uuid, '--extra', 'slot=3']);
    assert.notEqual(refused.code, 0);
    assert.match(
      refused.stderr,
      new RegExp(`The requested action "volume connector update" can not be performed on node "${node.uuid}" while it is in state "power on"\\.`),
    );
    assert.equal((await bm(['node', 'power', 'off', 'n1'])).code, 0);
    assert.equal((await bm(['volume', 'connector', 'set', c2.uuid, '--extra', 'slot=3'])).code, 0);
    assert.equal((await bm(['volume', 'connector', 'unset', c2.uuid, '--extra', 'slot'])).code, 0);
    assert.deepEqual((await json(bm, ['volume', 'connector', 'show', c2.uuid, '--fields', 'extra'])).extra, {});

    // The export: the node's IQN with the filled CHAP credentials writes and reads back.
    const secret = await chapSecret(sb, props.auth_username);
    const opts = (initiator: string) => [
      '--object',
      `secret,id=sec0,data=${secret}`,
      '--image-opts',
      `driver=iscsi,transport=tcp,portal=${props.target_portal},target=${props.target_iqn},lun=0,user=${props.auth_username},password-secret=sec0,initiator-name=${initiator}`,
    ];
    const src = path.join(home, 'src.img');
    const back = path.join(home, 'back.img');
    fs.writeFileSync(src, randomBytes(16 * MiB));
    const into = await run(
      'qemu-img',
      ['convert', '-n', '-f', 'raw', '--object', `secret,id=sec0,data=${secret}`, '--target-image-opts', src, opts(NODE_IQN)[3]!],
      { timeoutMs: 120_000 },
    );
    assert.equal(into.code, 0, into.stderr);
    const out = await run('qemu-img', ['convert', ...opts(NODE_IQN), '-O', 'raw', back], { timeoutMs: 120_000 });
    assert.equal(out.code, 0, out.stderr);
    assert.ok(fs.readFileSync(back).equals(fs.readFileSync(src)), 'the bytes read back are the bytes written');
    const url = (_initiator: string) => `iscsi://${props.auth_username}%${secret}@${props.target_portal}/${props.target_iqn}/0`;
    assert.equal((await run('iscsi-inq', ['-i', NODE_IQN, url(NODE_IQN)])).code, 0);
    const stranger = await run('iscsi-inq', ['-i', STRANGER, url(STRANGER)]);
    assert.match(stranger.stdout + stranger.stderr, /Authorization failure/);
    // A connector removed: that IQN may no longer log in, at once.
    const deleted = await bm(['volume', 'connector', 'delete', c2.uuid]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const removed = await run('iscsi-inq', ['-i', SECOND_IQN, url(SECOND_IQN)]);
    assert.match(removed.stdout + removed.stderr, /Authorization failure/);
    // The volume target deleted: the export is gone, the node's IQN is refused too.
    assert.equal((await bm(['volume', 'target', 'delete', target.uuid])).code, 0);
    const gone = await run('iscsi-inq', ['-i', NODE_IQN, url(NODE_IQN)]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stdout + gone.stderr, /Target not found|Not Found|not found/i);

    // openstacksdk: discovery, create_node (driven to available), connectors, paging, patches, refusals.
    // Debian's python, where python3-openstacksdk is installed (a python3 earlier on PATH may not have it).
    const sdk = await run('/usr/bin/python3', ['-c', SDK_SCRIPT, sb.baseUrl, TEST_ADMIN_USER, TEST_ADMIN_PASSWORD], {
      timeoutMs: 120_000,
      env: { HOME: home },
    });
    assert.equal(sdk.code, 0, sdk.stderr);
    const result = JSON.parse(sdk.stdout.trim().split('\n').pop()!);
    assert.equal(result.provision_state, 'available');
    assert.deepEqual(result.listed, ['iqn.2026-01.org.example:sdk', '127.0.0.9']);
    assert.deepEqual(result.extra, { rack: 'r1' });
    assert.deepEqual(result.targets, ['elsewhere-1']);
    assert.match(result.refused, /can not be performed on node "[0-9a-f-]{36}" while it is in state "power on"/);
    assert.equal(result.left.length, 2, 'n1 keeps its two connectors; sdk-node went with its own');

    assert.equal((await bm(['node', 'delete', 'n1'])).code, 0);
    assert.deepEqual(await json(bm, ['volume', 'connector', 'list']), []);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
    await sb.stop();
  }
});

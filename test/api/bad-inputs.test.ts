/**
 * Bad input across the seven FreeNAS resources: each request gets its exact status and
 * body, and leaves the database (the whole configuration snapshot) and the pool
 * directories exactly as they were.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FREENAS, startSanbox, tempDir, type TestSanbox } from '../support/sanbox.js';

let sb: TestSanbox;
let pool: string;

const P = (resource: string, id?: number) => `${FREENAS}/${resource}/${id === undefined ? '' : `${id}/`}`;

before(async () => {
  pool = tempDir();
  fs.symlinkSync('/etc', path.join(pool, 'escape'));
  sb = await startSanbox({ pools: { tank: pool } });
  const setup: [string, string, unknown][] = [
    ['POST', P('portal'), { iscsi_target_portal_ips: ['0.0.0.0:3260'] }],
    ['POST', P('authorizedinitiator'), { iscsi_target_initiator_initiators: 'ALL', iscsi_target_initiator_auth_network: 'ALL' }],
    ['POST', P('authcredential'), { iscsi_target_auth_tag: 1, iscsi_target_auth_user: 'user', iscsi_target_auth_secret: 'secretsecret12' }],
    ['POST', P('target'), { iscsi_target_name: 'target', iscsi_target_portalgroup: 1, iscsi_target_initiatorgroup: 1 }],
    ['POST', P('target'), { iscsi_target_name: 'chap', iscsi_target_portalgroup: 1, iscsi_target_authtype: 'CHAP', iscsi_target_authgroup: 1 }],
    [
      'POST',
      P('extent'),
      {
        iscsi_target_extent_type: 'File',
        iscsi_target_extent_name: 'extent',
        iscsi_target_extent_filesize: '10MB',
        iscsi_target_extent_path: '/mnt/tank/iscsi',
      },
    ],
    ['POST', P('targettoextent'), { iscsi_target: 1, iscsi_extent: 1 }],
  ];
  for (const [method, url, body] of setup) {
    const res = await sb.api(method, url, body);
    assert.equal(res.status, 201, `${url}: ${res.text}`);
  }
});

after(async () => {
  await sb.stop();
  fs.rmSync(pool, { recursive: true, force: true });
});

/** Everything a failed request must not change: the configuration and the pools' files. */
function fingerprint(): string {
  const store = sb.sanbox.services.mutations.store;
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      const st = fs.lstatSync(full);
      files.push(`${full} ${st.mode} ${st.size} ${st.mtimeMs}`);
      if (entry.isDirectory()) walk(full);
    }
  };
  for (const p of store.listPools()) walk(p.path);
  return JSON.stringify({ snapshot: store.snapshot(), files });
}

interface Case {
  name: string;
  method: string;
  url: string;
  body?: unknown;
  raw?: string;
  status: number;
  expect: unknown;
}

const zfs = fs.existsSync('/dev/zfs');

// biome-ignore format: one case per entry, read as a table
const CASES: Case[] = [
  // portal
  { name: 'portal: IPv4 with three octets', method: 'POST', url: P('portal'), body: { iscsi_target_portal_ips: ['1.2.3:3260'] }, status: 400,
    expect: { iscsi_target_portal_ips: ['"1.2.3:3260" is not a valid IP:PORT (IPv4, [IPv6], port 1-65535).'] } },
  { name: 'portal: port 0', method: 'POST', url: P('portal'), body: { iscsi_target_portal_ips: ['10.0.0.1:0'] }, status: 400,
    expect: { iscsi_target_portal_ips: ['"10.0.0.1:0" is not a valid IP:PORT (IPv4, [IPv6], port 1-65535).'] } },
  { name: 'portal: port 65536', method: 'POST', url: P('portal'), body: { iscsi_target_portal_ips: ['10.0.0.1:65536'] }, status: 400,
    expect: { iscsi_target_portal_ips: ['"10.0.0.1:65536" is not a valid IP:PORT (IPv4, [IPv6], port 1-65535).'] } },
  { name: 'portal: IPv6 without brackets', method: 'POST', url: P('portal'), body: { iscsi_target_portal_ips: ['::1:3260'] }, status: 400,
    expect: { iscsi_target_portal_ips: ['"::1:3260" is not a valid IP:PORT (IPv4, [IPv6], port 1-65535).'] } },
  { name: 'portal: empty list', method: 'POST', url: P('portal'), body: { iscsi_target_portal_ips: [] }, status: 400,
    expect: { iscsi_target_portal_ips: ['This field is required.'] } },
  { name: 'portal: address another portal has', method: 'POST', url: P('portal'), body: { iscsi_target_portal_ips: ['0.0.0.0:3260'] }, status: 400,
    expect: { iscsi_target_portal_ips: ['0.0.0.0:3260 is already used by portal 1.'] } },
  { name: 'portal: tag in use', method: 'POST', url: P('portal'), body: { iscsi_target_portal_tag: 1, iscsi_target_portal_ips: ['127.0.0.1:3261'] }, status: 400,
    expect: { iscsi_target_portal_tag: ['Portal group tag 1 is already in use.'] } },
  { name: 'portal: unknown field', method: 'POST', url: P('portal'), body: { iscsi_target_portal_ips: ['127.0.0.1:3261'], iscsi_target_portal_port: 3261 }, status: 400,
    expect: { iscsi_target_portal_port: ['Unknown field: no FreeNAS release defines it for this resource.'] } },
  { name: 'portal: delete while a target uses it', method: 'DELETE', url: P('portal', 1), status: 400,
    expect: { __all__: ['Portal 1 is used by target "target" (id 1), target "chap" (id 2).'] } },
  { name: 'portal: update a portal that does not exist', method: 'PUT', url: P('portal', 99), body: { iscsi_target_portal_comment: 'x' }, status: 404,
    expect: { error_message: 'No such portal.' } },
  // authorizedinitiator
  { name: 'initiator: network with a bad octet', method: 'POST', url: P('authorizedinitiator'), body: { iscsi_target_initiator_auth_network: '300.1.1.1' }, status: 400,
    expect: { iscsi_target_initiator_auth_network: ['"300.1.1.1" is not an IP address or CIDR network.'] } },
  { name: 'initiator: CIDR prefix too long', method: 'POST', url: P('authorizedinitiator'), body: { iscsi_target_initiator_auth_network: '10.0.0.0/33' }, status: 400,
    expect: { iscsi_target_initiator_auth_network: ['"10.0.0.0/33" is not an IP address or CIDR network.'] } },
  { name: 'initiator: not an iSCSI name', method: 'POST', url: P('authorizedinitiator'), body: { iscsi_target_initiator_initiators: 'iqn.bad' }, status: 400,
    expect: { iscsi_target_initiator_initiators: ['"iqn.bad" is not an iSCSI name (iqn., eui. or naa.).'] } },
  { name: 'initiator: ALL mixed with names', method: 'POST', url: P('authorizedinitiator'), body: { iscsi_target_initiator_initiators: 'ALL\niqn.1994-05.com.redhat:client' }, status: 400,
    expect: { iscsi_target_initiator_initiators: ['ALL cannot be combined with initiator names.'] } },
  { name: 'initiator: delete while a target uses it', method: 'DELETE', url: P('authorizedinitiator', 1), status: 400,
    expect: { __all__: ['Authorized initiator 1 is used by target "target" (id 1).'] } },
  // authcredential
  { name: 'authcredential: no secret', method: 'POST', url: P('authcredential'), body: { iscsi_target_auth_user: 'u' }, status: 400,
    expect: { iscsi_target_auth_secret: ['This field is required.'] } },
  { name: 'authcredential: peer secret equal to the secret', method: 'POST', url: P('authcredential'),
    body: { iscsi_target_auth_user: 'u', iscsi_target_auth_secret: 'samesecret1234', iscsi_target_auth_peeruser: 'p', iscsi_target_auth_peersecret: 'samesecret1234' }, status: 400,
    expect: { iscsi_target_auth_peersecret: ['The peer secret must differ from the secret.'] } },
  { name: 'authcredential: tag is not a number', method: 'POST', url: P('authcredential'), body: { iscsi_target_auth_tag: 'one', iscsi_target_auth_user: 'u', iscsi_target_auth_secret: 'secretsecret12' }, status: 400,
    expect: { iscsi_target_auth_tag: ['Enter a whole number.'] } },
  { name: 'authcredential: deleting the last credential of a group a target uses', method: 'DELETE', url: P('authcredential', 1), status: 400,
    expect: { __all__: ['Auth group 1 is used by target "chap" (id 2).'] } },
  // target
  // A target without a portal group is valid since FreeNAS 9.3 (target groups give it portals): test/api/target-group.test.ts.
  { name: 'target: no name', method: 'POST', url: P('target'), body: { iscsi_target_portalgroup: 1 }, status: 400,
    expect: { iscsi_target_name: ['This field is required.'] } },
  { name: 'target: portal group that does not exist', method: 'POST', url: P('target'), body: { iscsi_target_name: 't2', iscsi_target_portalgroup: 99 }, status: 400,
    expect: { iscsi_target_portalgroup: ['Portal 99 does not exist.'] } },
  { name: 'target: initiator group that does not exist', method: 'POST', url: P('target'), body: { iscsi_target_name: 't2', iscsi_target_portalgroup: 1, iscsi_target_initiatorgroup: 7 }, status: 400,
    expect: { iscsi_target_initiatorgroup: ['Authorized initiator 7 does not exist.'] } },
  { name: 'target: duplicate name', method: 'POST', url: P('target'), body: { iscsi_target_name: 'target', iscsi_target_portalgroup: 1 }, status: 400,
    expect: { iscsi_target_name: ['Target with this name already exists.'] } },
  { name: 'target: name with capitals and a space', method: 'POST', url: P('target'), body: { iscsi_target_name: 'My Target', iscsi_target_portalgroup: 1 }, status: 400,
    expect: { iscsi_target_name: ['Use lowercase alphanumeric characters plus dot (.), dash (-), and colon (:).'] } },
  { name: 'target: CHAP without an auth group', method: 'POST', url: P('target'), body: { iscsi_target_name: 't2', iscsi_target_portalgroup: 1, iscsi_target_authtype: 'CHAP' }, status: 400,
    expect: { iscsi_target_authgroup: ['CHAP authentication needs an auth group.'] } },
  { name: 'target: auth group that does not exist', method: 'POST', url: P('target'), body: { iscsi_target_name: 't2', iscsi_target_portalgroup: 1, iscsi_target_authgroup: 42 }, status: 400,
    expect: { iscsi_target_authgroup: ['Auth group 42 does not exist.'] } },
  { name: 'target: queue depth 300', method: 'PUT', url: P('target', 1), body: { iscsi_target_queue_depth: 300 }, status: 400,
    expect: { iscsi_target_queue_depth: ['Ensure this value is less than or equal to 255.'] } },
  { name: 'target: block size 1024', method: 'PUT', url: P('target', 1), body: { iscsi_target_logical_blocksize: 1024 }, status: 400,
    expect: { iscsi_target_logical_blocksize: ['Select a valid choice. 1024 is not one of the available choices.'] } },
  { name: 'target: portal group given as a word', method: 'PUT', url: P('target', 1), body: { iscsi_target_portalgroup: 'abc' }, status: 400,
    expect: { iscsi_target_portalgroup: ['Enter a whole number.'] } },
  { name: 'target: flags other than rw/ro', method: 'PUT', url: P('target', 1), body: { iscsi_target_flags: 'wo' }, status: 400,
    expect: { iscsi_target_flags: ['Select a valid choice. That choice is not one of the available choices.'] } },
  { name: 'target: get one that does not exist', method: 'GET', url: P('target', 99), status: 404,
    expect: { error_message: 'No such target.' } },
  // extent
  { name: 'extent: /etc/passwd', method: 'POST', url: P('extent'),
    body: { iscsi_target_extent_type: 'File', iscsi_target_extent_name: 'x', iscsi_target_extent_filesize: '1MB', iscsi_target_extent_path: '/etc/passwd' }, status: 400,
    expect: { iscsi_target_extent_path: ['The path must be inside a pool (/mnt/default, /mnt/tank).'] } },
  { name: 'extent: ../../x', method: 'POST', url: P('extent'),
    body: { iscsi_target_extent_type: 'File', iscsi_target_extent_name: 'x', iscsi_target_extent_filesize: '1MB', iscsi_target_extent_path: '../../x' }, status: 400,
    expect: { iscsi_target_extent_path: ['The path must be absolute and inside a pool.'] } },
  { name: 'extent: .. inside a pool path', method: 'POST', url: P('extent'),
    body: { iscsi_target_extent_type: 'File', iscsi_target_extent_name: 'x', iscsi_target_extent_filesize: '1MB', iscsi_target_extent_path: '/mnt/tank/../../etc/x' }, status: 400,
    expect: { iscsi_target_extent_path: ['The path must not contain "..".'] } },
  { name: 'extent: symlink out of the pool', method: 'POST', url: P('extent'),
    body: { iscsi_target_extent_type: 'File', iscsi_target_extent_name: 'x', iscsi_target_extent_filesize: '1MB', iscsi_target_extent_path: '/mnt/tank/escape/sanbox-x' }, status: 400,
    expect: { iscsi_target_extent_path: ['The path leads outside the pool.'] } },
  { name: 'extent: the pool directory itself', method: 'POST', url: P('extent'),
    body: { iscsi_target_extent_type: 'File', iscsi_target_extent_name: 'x', iscsi_target_extent_filesize: '1MB', iscsi_target_extent_path: '/mnt/tank' }, status: 400,
    expect: { iscsi_target_extent_path: ['The path must name a file inside the pool, not the pool itself.'] } },
  { name: 'extent: size with an unknown unit', method: 'POST', url: P('extent'),
    body: { iscsi_target_extent_type: 'File', iscsi_target_extent_name: 'x', iscsi_target_extent_filesize: '10XB', iscsi_target_extent_path: '/mnt/tank/x' }, status: 400,
    expect: { iscsi_target_extent_filesize: ['Enter a size in bytes, or a number with a KB, MB, GB or TB suffix.'] } },
  { name: 'extent: new file of size 0', method: 'POST', url: P('extent'),
    body: { iscsi_target_extent_type: 'File', iscsi_target_extent_name: 'x', iscsi_target_extent_filesize: '0', iscsi_target_extent_path: '/mnt/tank/x' }, status: 400,
    expect: { iscsi_target_extent_filesize: ['The file does not exist: give a size to create it.'] } },
  { name: 'extent: file in a directory that does not exist', method: 'POST', url: P('extent'),
    body: { iscsi_target_extent_type: 'File', iscsi_target_extent_name: 'x', iscsi_target_extent_filesize: '1MB', iscsi_target_extent_path: '/mnt/tank/no/such/x' }, status: 400,
    expect: { iscsi_target_extent_path: [`The directory ${'POOL'}/no/such does not exist.`] } },
  { name: 'extent: shrinking', method: 'PUT', url: P('extent', 1), body: { iscsi_target_extent_filesize: '1MB' }, status: 400,
    expect: { iscsi_target_extent_filesize: ['Shrinking is not supported: the file holds 10485760 bytes.'] } },
  { name: 'extent: duplicate name', method: 'POST', url: P('extent'),
    body: { iscsi_target_extent_type: 'File', iscsi_target_extent_name: 'extent', iscsi_target_extent_filesize: '1MB', iscsi_target_extent_path: '/mnt/tank/y' }, status: 400,
    expect: { iscsi_target_extent_name: ['Extent with this name already exists.'] } },
  { name: 'extent: path of another extent', method: 'POST', url: P('extent'),
    body: { iscsi_target_extent_type: 'File', iscsi_target_extent_name: 'other', iscsi_target_extent_filesize: '0', iscsi_target_extent_path: '/mnt/tank/iscsi' }, status: 400,
    expect: { iscsi_target_extent_path: ['The path is already used by extent "extent".'] } },
  { name: 'extent: type Tape', method: 'POST', url: P('extent'),
    body: { iscsi_target_extent_type: 'Tape', iscsi_target_extent_name: 'x', iscsi_target_extent_path: '/mnt/tank/x' }, status: 400,
    expect: { iscsi_target_extent_type: ['Select a valid choice. That choice is not one of the available choices.'] } },
  { name: 'extent: device that does not exist', method: 'POST', url: P('extent'),
    body: { iscsi_target_extent_type: 'Device', iscsi_target_extent_name: 'd', iscsi_target_extent_path: '/dev/sanbox-no-such-disk' }, status: 400,
    expect: { iscsi_target_extent_path: ['The device /dev/sanbox-no-such-disk does not exist.'] } },
  { name: 'extent: a character device is not a disk', method: 'POST', url: P('extent'),
    body: { iscsi_target_extent_type: 'Device', iscsi_target_extent_name: 'd', iscsi_target_extent_path: '/dev/null' }, status: 400,
    expect: { iscsi_target_extent_path: ['/dev/null is not a block device.'] } },
  ...(zfs ? [] : [{ name: 'extent: ZFS Volume without ZFS', method: 'POST', url: P('extent'),
    body: { iscsi_target_extent_type: 'ZFS Volume', iscsi_target_extent_name: 'z', iscsi_target_extent_path: '/dev/zvol/tank/vol' }, status: 400,
    expect: { iscsi_target_extent_type: ['ZFS Volume extents are not supported on this host (ZFS is not present).'] } }]),
  { name: 'extent: rpm 1234', method: 'PUT', url: P('extent', 1), body: { iscsi_target_extent_rpm: '1234' }, status: 400,
    expect: { iscsi_target_extent_rpm: ['Select a valid choice. 1234 is not one of the available choices.'] } },
  { name: 'extent: delete while mapped', method: 'DELETE', url: P('extent', 1), status: 400,
    expect: { __all__: ['Extent 1 is mapped to target 1 as LUN 0 (targettoextent 1).'] } },
  // targettoextent
  { name: 'targettoextent: extent that does not exist', method: 'POST', url: P('targettoextent'), body: { iscsi_target: 1, iscsi_extent: 99 }, status: 400,
    expect: { iscsi_extent: ['Extent 99 does not exist.'] } },
  { name: 'targettoextent: target that does not exist', method: 'POST', url: P('targettoextent'), body: { iscsi_target: 99, iscsi_extent: 1 }, status: 400,
    expect: { iscsi_target: ['Target 99 does not exist.'] } },
  { name: '(setup, not a bad input) map extent 1 to target 2 as LUN 0', method: 'POST', url: P('targettoextent'), body: { iscsi_target: 2, iscsi_extent: 1, iscsi_lunid: 0 }, status: 201, expect: null },
  { name: 'targettoextent: extent already mapped to that target', method: 'POST', url: P('targettoextent'), body: { iscsi_target: 1, iscsi_extent: 1, iscsi_lunid: 5000 }, status: 400,
    expect: { iscsi_extent: ['Extent 1 is already mapped to target 1 as LUN 0.'] } },
  // globalconfiguration
  { name: 'globals: basename that is not an iSCSI name', method: 'PUT', url: P('globalconfiguration'), body: { iscsi_basename: 'my-san' }, status: 400,
    expect: { iscsi_basename: ['Base name must be an iSCSI name: iqn.yyyy-mm.reversed.domain[:id], eui. or naa.'] } },
  { name: 'globals: first burst above max burst', method: 'PUT', url: P('globalconfiguration'), body: { iscsi_firstburst: 524288 }, status: 400,
    expect: { iscsi_firstburst: ['First burst length must not exceed max burst length.'] } },
  { name: 'globals: unknown discovery auth method', method: 'PUT', url: P('globalconfiguration'), body: { iscsi_discoveryauthmethod: 'Kerberos' }, status: 400,
    expect: { iscsi_discoveryauthmethod: ['Select a valid choice. Kerberos is not one of the available choices.'] } },
  { name: 'globals: a field no release had', method: 'PUT', url: P('globalconfiguration'), body: { iscsi_maxconnect: 4, iscsi_turbo: true }, status: 400,
    expect: { iscsi_turbo: ['Unknown field: no FreeNAS release defines it for this resource.'] } },
  { name: 'globals: by an id that is not 1', method: 'PUT', url: P('globalconfiguration', 2), body: { iscsi_maxconnect: 4 }, status: 404,
    expect: { error_message: 'No such global configuration.' } },
  // request shape
  { name: 'body is a list', method: 'POST', url: P('target'), body: [1], status: 400,
    expect: { __all__: ['The request body must be a JSON object.'] } },
  { name: 'body is not JSON', method: 'POST', url: P('target'), raw: '{"iscsi_target_name": ', status: 400,
    expect: { __all__: ['Malformed JSON body.'] } },
  { name: 'negative list offset', method: 'GET', url: `${P('extent')}?offset=-1`, status: 400,
    expect: { error: "Invalid offset '-1' provided. Please provide a positive integer >= 0." } },
  { name: 'non-numeric id', method: 'GET', url: `${FREENAS}/extent/abc/`, status: 404,
    expect: { error_message: 'Sorry, this request could not be processed: no such object.' } },
];

test(`${CASES.length} bad requests: exact status and body, nothing changed`, async (t) => {
  for (const c of CASES) {
    await t.test(c.name, async () => {
      const before = fingerprint();
      const res = await sb.request(c.method, c.url, { body: c.body, raw: c.raw });
      if (c.status === 201) {
        // A setup step in the list (so the next case has something to collide with).
        assert.equal(res.status, 201, res.text);
        return;
      }
      const expect = JSON.parse(JSON.stringify(c.expect).replaceAll('POOL', pool));
      assert.equal(res.status, c.status, res.text);
      assert.deepEqual(res.body, expect);
      assert.equal(res.headers.get('vary'), 'Accept');
      assert.equal(fingerprint(), before, 'the database and the pools are unchanged');
    });
  }
});

test('LUN number already taken on the target is refused', async () => {
  const before = fingerprint();
  const res = await sb.api('POST', P('targettoextent'), { iscsi_target: 2, iscsi_extent: 1, iscsi_lunid: 0 });
  assert.equal(res.status, 400);
  assert.deepEqual(res.body, { iscsi_extent: ['Extent 1 is already mapped to target 2 as LUN 0.'] });
  const extent2 = await sb.api('POST', P('extent'), {
    iscsi_target_extent_type: 'File',
    iscsi_target_extent_name: 'e2',
    iscsi_target_extent_filesize: '1MB',
    iscsi_target_extent_path: '/mnt/tank/e2',
  });
  assert.equal(extent2.status, 201);
  const mid = fingerprint();
  assert.notEqual(mid, before);
  const taken = await sb.api('POST', P('targettoextent'), { iscsi_target: 2, iscsi_extent: extent2.body.id, iscsi_lunid: '0' });
  assert.equal(taken.status, 400);
  assert.deepEqual(taken.body, { iscsi_lunid: ['LUN 0 is already in use on target 2.'] });
  const range = await sb.api('POST', P('targettoextent'), { iscsi_target: 2, iscsi_extent: extent2.body.id, iscsi_lunid: 5000 });
  assert.equal(range.status, 400);
  assert.deepEqual(range.body, { iscsi_lunid: ['Ensure this value is less than or equal to 1023.'] });
  assert.equal(fingerprint(), mid);
});

test('no error body carries a CHAP secret', async () => {
  const res = await sb.api('POST', P('authcredential'), {
    iscsi_target_auth_user: 'u',
    iscsi_target_auth_secret: 'topsecretvalue1',
    iscsi_target_auth_peeruser: 'p',
    iscsi_target_auth_peersecret: 'topsecretvalue1',
  });
  assert.equal(res.status, 400);
  assert.ok(!res.text.includes('topsecretvalue1'));
});

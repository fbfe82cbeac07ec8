/**
 * Control characters (U+0000-U+001F, U+007F) are refused in every text field of the
 * FreeNAS dialect with its 400 shape, and nothing is stored or created. List fields
 * (initiators, auth networks) still take tabs and newlines as separators.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { FREENAS, startSanbox, tempDir, type TestSanbox } from '../support/sanbox.js';

const MESSAGE = 'Control characters (U+0000 to U+001F and U+007F) are not allowed.';
const LIST_MESSAGE = 'Control characters (U+0000 to U+001F and U+007F) are not allowed; entries are separated by spaces, commas, tabs or newlines.';
const POISON = ['\u0000', '\n', '\t', '\r', '\u001b', '\u007f'];

let sb: TestSanbox;
let pool: string;

before(async () => {
  pool = tempDir();
  sb = await startSanbox({ pools: { tank: pool } });
  const portal = await sb.api('POST', `${FREENAS}/portal/`, { iscsi_target_portal_ips: ['127.0.0.1:3260'] });
  assert.equal(portal.status, 201);
});
after(async () => {
  await sb.stop();
  fs.rmSync(pool, { recursive: true, force: true });
});

const CASES: Array<{ resource: string; body: Record<string, unknown>; field: string; value: (c: string) => string }> = [
  {
    resource: 'extent',
    body: { iscsi_target_extent_type: 'File', iscsi_target_extent_path: '/mnt/tank/e.img', iscsi_target_extent_filesize: '1MB' },
    field: 'iscsi_target_extent_name',
    value: (c) => `disk${c}0`,
  },
  {
    resource: 'extent',
    body: { iscsi_target_extent_type: 'File', iscsi_target_extent_path: '/mnt/tank/e.img', iscsi_target_extent_filesize: '1MB', iscsi_target_extent_name: 'e' },
    field: 'iscsi_target_extent_comment',
    value: (c) => `note${c}`,
  },
  {
    resource: 'extent',
    body: { iscsi_target_extent_type: 'File', iscsi_target_extent_filesize: '1MB', iscsi_target_extent_name: 'e' },
    field: 'iscsi_target_extent_path',
    value: (c) => `/mnt/tank/e${c}.img`,
  },
  { resource: 'target', body: { iscsi_target_portalgroup: 1 }, field: 'iscsi_target_name', value: (c) => `disk0${c}` },
  {
    resource: 'target',
    body: { iscsi_target_portalgroup: 1, iscsi_target_name: 'iqn.2026-01.org.example:x' },
    field: 'iscsi_target_name',
    value: (c) => `iqn.2026-01.org.example:x${c}y`,
  },
  { resource: 'target', body: { iscsi_target_portalgroup: 1, iscsi_target_name: 't1' }, field: 'iscsi_target_alias', value: (c) => `alias${c}` },
  { resource: 'portal', body: { iscsi_target_portal_ips: ['127.0.0.2:3260'] }, field: 'iscsi_target_portal_comment', value: (c) => `c${c}` },
  { resource: 'authorizedinitiator', body: {}, field: 'iscsi_target_initiator_comment', value: (c) => `c${c}` },
  { resource: 'authcredential', body: { iscsi_target_auth_secret: 'abcdefghijklmn' }, field: 'iscsi_target_auth_user', value: (c) => `us${c}er` },
  { resource: 'authcredential', body: { iscsi_target_auth_user: 'u' }, field: 'iscsi_target_auth_secret', value: (c) => `abcdefghijklmn${c}` },
  {
    resource: 'authcredential',
    body: { iscsi_target_auth_user: 'u', iscsi_target_auth_secret: 'abcdefghijklmn', iscsi_target_auth_peeruser: 'p' },
    field: 'iscsi_target_auth_peersecret',
    value: (c) => `zyxwvutsrqpo${c}`,
  },
  {
    resource: 'authcredential',
    body: { iscsi_target_auth_user: 'u', iscsi_target_auth_secret: 'abcdefghijklmn', iscsi_target_auth_peersecret: 'zyxwvutsrqpo' },
    field: 'iscsi_target_auth_peeruser',
    value: (c) => `p${c}`,
  },
];

async function count(resource: string): Promise<number> {
  return (await sb.api('GET', `${FREENAS}/${resource}/?limit=0`)).body.length;
}

test('POST: a control character in any text field is a 400 naming the field, and nothing is stored or created', async () => {
  for (const c of CASES) {
    const before = await count(c.resource);
    for (const ch of POISON) {
      const value = c.value(ch);
      const res = await sb.api('POST', `${FREENAS}/${c.resource}/`, { ...c.body, [c.field]: value });
      const what = `${c.resource}.${c.field} with U+${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
      assert.equal(res.status, 400, `${what}: ${res.text}`);
      assert.deepEqual(res.body, { [c.field]: [MESSAGE] }, what);
      assert.ok(!res.text.includes('abcdefghijklmn') && !res.text.includes('zyxwvutsrqpo'), 'no secret in the error body');
      assert.equal(await count(c.resource), before, `${what}: nothing stored`);
    }
  }
  assert.deepEqual(fs.readdirSync(pool), [], 'no image was created');
});

test('PUT: a control character is refused and the object keeps its values', async () => {
  const made = await sb.api('POST', `${FREENAS}/extent/`, {
    iscsi_target_extent_type: 'File',
    iscsi_target_extent_name: 'kept',
    iscsi_target_extent_path: '/mnt/tank/kept.img',
    iscsi_target_extent_filesize: '1MB',
  });
  assert.equal(made.status, 201, made.text);
  const res = await sb.api('PUT', `${FREENAS}/extent/${made.body.id}/`, { iscsi_target_extent_name: 'kept\u0000evil' });
  assert.equal(res.status, 400);
  assert.deepEqual(res.body, { iscsi_target_extent_name: [MESSAGE] });
  assert.equal((await sb.api('GET', `${FREENAS}/extent/${made.body.id}/`)).body.iscsi_target_extent_name, 'kept');

  const globals = (await sb.api('GET', `${FREENAS}/globalconfiguration/`)).body;
  const bad = await sb.api('PUT', `${FREENAS}/globalconfiguration/`, { iscsi_basename: 'iqn.2026-01.org.example:a\u0000b' });
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body, { iscsi_basename: [MESSAGE] });
  assert.deepEqual((await sb.api('GET', `${FREENAS}/globalconfiguration/`)).body, globals);
});

test('list fields take tabs and newlines as separators and refuse every other control character', async () => {
  const ok = await sb.api('POST', `${FREENAS}/authorizedinitiator/`, {
    iscsi_target_initiator_initiators: 'iqn.2026-01.org.example:a\niqn.2026-01.org.example:b\r\n\tiqn.2026-01.org.example:c',
    iscsi_target_initiator_auth_network: '10.0.0.0/8\n192.168.1.7',
  });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.body.iscsi_target_initiator_initiators, 'iqn.2026-01.org.example:a\niqn.2026-01.org.example:b\niqn.2026-01.org.example:c');
  assert.equal(ok.body.iscsi_target_initiator_auth_network, '10.0.0.0/8\n192.168.1.7');
  const before = await count('authorizedinitiator');
  for (const ch of ['\u0000', '\u0001', '\u000b', '\u001b', '\u007f']) {
    const names = await sb.api('POST', `${FREENAS}/authorizedinitiator/`, { iscsi_target_initiator_initiators: `iqn.2026-01.org.example:a${ch}b` });
    assert.equal(names.status, 400);
    assert.deepEqual(names.body, { iscsi_target_initiator_initiators: [LIST_MESSAGE] });
    const nets = await sb.api('POST', `${FREENAS}/authorizedinitiator/`, { iscsi_target_initiator_auth_network: ['10.0.0.0/8', `192.168.1.7${ch}`] });
    assert.equal(nets.status, 400);
    assert.deepEqual(nets.body, { iscsi_target_initiator_auth_network: [LIST_MESSAGE] });
  }
  assert.equal(await count('authorizedinitiator'), before);
});

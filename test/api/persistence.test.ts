/**
 * Everything survives a restart: the configuration, ids, tags, serials, LUN numbers and
 * the files. Concurrent requests serialise into whole transactions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { FREENAS, startSanbox, tempDir } from '../support/sanbox.js';

const LISTS = ['portal', 'authorizedinitiator', 'authcredential', 'target', 'extent', 'targettoextent'];

test('configuration survives a restart, and ids keep counting', async () => {
  const pool = tempDir();
  const sb = await startSanbox({ pools: { tank: pool } });
  try {
    const make = async (resource: string, body: unknown) => {
      const res = await sb.api('POST', `${FREENAS}/${resource}/`, body);
      assert.equal(res.status, 201, res.text);
      return res.body;
    };
    await sb.api('PUT', `${FREENAS}/globalconfiguration/`, { iscsi_basename: 'iqn.2026-01.org.example:san', iscsi_maxconnect: 4 });
    await make('portal', { iscsi_target_portal_ips: ['0.0.0.0:3260', '[::]:3260'], iscsi_target_portal_comment: 'all' });
    await make('authorizedinitiator', {
      iscsi_target_initiator_initiators: 'iqn.1994-05.com.redhat:a, iqn.1994-05.com.redhat:b',
      iscsi_target_initiator_auth_network: '10.0.0.0/8 192.168.1.7',
    });
    await make('authcredential', { iscsi_target_auth_user: 'u', iscsi_target_auth_secret: 'abcdefghijklmn' });
    await make('target', {
      iscsi_target_name: 'disk0',
      iscsi_target_portalgroup: 1,
      iscsi_target_initiatorgroup: 1,
      iscsi_target_authtype: 'CHAP',
      iscsi_target_authgroup: 1,
    });
    await make('extent', {
      iscsi_target_extent_name: 'e0',
      iscsi_target_extent_type: 'File',
      iscsi_target_extent_path: '/mnt/tank/e0',
      iscsi_target_extent_filesize: '2MB',
      iscsi_target_extent_ro: true,
      iscsi_target_extent_blocksize: 4096,
    });
    await make('targettoextent', { iscsi_target: 1, iscsi_extent: 1, iscsi_lunid: 3 });
    const before: Record<string, unknown> = {};
    for (const r of [...LISTS, 'globalconfiguration']) before[r] = (await sb.api('GET', `${FREENAS}/${r}/`)).body;
    const naa = sb.sanbox.services.extents.get(1).naa;

    await sb.restart();

    for (const r of [...LISTS, 'globalconfiguration']) {
      assert.deepEqual((await sb.api('GET', `${FREENAS}/${r}/`)).body, before[r], r);
    }
    assert.equal(sb.sanbox.services.extents.get(1).naa, naa, 'the NAA id never changes');
    assert.equal(fs.statSync(`${pool}/e0`).size, 2 * 1024 * 1024);
    const next = await make('target', { iscsi_target_name: 'disk1', iscsi_target_portalgroup: 1 });
    assert.equal(next.id, 2);
    assert.equal(next.iscsi_target_serial, '10000002');
  } finally {
    await sb.stop();
    fs.rmSync(pool, { recursive: true, force: true });
  }
});

test('a deleted id is not handed out again', async () => {
  const sb = await startSanbox();
  try {
    await sb.api('POST', `${FREENAS}/portal/`, { iscsi_target_portal_ips: ['127.0.0.1:3260'] });
    assert.equal((await sb.api('DELETE', `${FREENAS}/portal/1/`)).status, 204);
    await sb.restart();
    const res = await sb.api('POST', `${FREENAS}/portal/`, { iscsi_target_portal_ips: ['127.0.0.1:3260'] });
    assert.equal(res.body.id, 2);
  } finally {
    await sb.stop();
  }
});

test('concurrent creates: every one commits whole, tags and names stay unique', async () => {
  const sb = await startSanbox();
  try {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => sb.api('POST', `${FREENAS}/portal/`, { iscsi_target_portal_ips: [`127.0.0.${(i % 20) + 1}:3260`] })),
    );
    const created = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 400);
    assert.equal(created.length, 20);
    assert.equal(refused.length, 20);
    const list = (await sb.api('GET', `${FREENAS}/portal/?limit=0`)).body as { iscsi_target_portal_tag: number }[];
    assert.equal(list.length, 20);
    assert.equal(new Set(list.map((p) => p.iscsi_target_portal_tag)).size, 20);
  } finally {
    await sb.stop();
  }
});

test('list paging: offset and limit, 30 by default', async () => {
  const sb = await startSanbox();
  try {
    for (let i = 1; i <= 35; i += 1) {
      await sb.api('POST', `${FREENAS}/authorizedinitiator/`, { iscsi_target_initiator_comment: `g${i}` });
    }
    assert.equal((await sb.api('GET', `${FREENAS}/authorizedinitiator/`)).body.length, 30);
    const page = (await sb.api('GET', `${FREENAS}/authorizedinitiator/?offset=30&limit=10&format=json`)).body;
    assert.deepEqual(
      page.map((g: { id: number }) => g.id),
      [31, 32, 33, 34, 35],
    );
    assert.equal((await sb.api('GET', `${FREENAS}/authorizedinitiator/?limit=0`)).body.length, 35);
  } finally {
    await sb.stop();
  }
});

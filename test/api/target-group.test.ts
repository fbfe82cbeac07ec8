/**
 * FreeNAS 9.3+ `targetgroup`: every field, defaults, paging, digit strings, a text body,
 * bad inputs (status, Django-shaped body, nothing stored), references both ways; and the
 * name-only target beside the seed's 9.2 target.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FREENAS, startSanbox, type TestSanbox } from '../support/sanbox.js';

let sb: TestSanbox;
const TG = `${FREENAS}/targetgroup/`;

async function post(resource: string, body: unknown): Promise<any> {
  const res = await sb.api('POST', `${FREENAS}/${resource}/`, body);
  assert.equal(res.status, 201, `${resource}: ${res.text}`);
  return res.body;
}

const snapshot = () => JSON.stringify(sb.sanbox.services.mutations.store.snapshot());

before(async () => {
  sb = await startSanbox();
  await post('portal', { iscsi_target_portal_ips: ['127.0.0.1:3260'] }); // 1
  await post('portal', { iscsi_target_portal_ips: ['127.0.0.2:3260'] }); // 2
  await post('portal', { iscsi_target_portal_ips: ['127.0.0.3:3260'] }); // 3
  await post('authorizedinitiator', { iscsi_target_initiator_initiators: 'ALL' }); // 1
  await post('authcredential', {
    iscsi_target_auth_tag: 7,
    iscsi_target_auth_user: 'user',
    iscsi_target_auth_secret: 'secretsecret12',
    iscsi_target_auth_peeruser: 'peer',
    iscsi_target_auth_peersecret: 'peersecret1234',
  });
  await post('target', { iscsi_target_name: 'iqn.1994-09.freenasqa:target0' }); // 1, name only
  await post('target', { iscsi_target_name: 'legacy', iscsi_target_portalgroup: 1 }); // 2, the seed's shape
});
after(() => sb.stop());

test('a target created by name only answers with id, name and alias; a 9.2 target keeps every seed field', async () => {
  const one = await sb.api('GET', `${FREENAS}/target/1/`);
  assert.deepEqual(one.body, { iscsi_target_name: 'iqn.1994-09.freenasqa:target0', iscsi_target_alias: null, id: 1 });
  const legacy = await sb.api('GET', `${FREENAS}/target/2/`);
  assert.equal(legacy.body.iscsi_target_portalgroup, 1);
  assert.equal(legacy.body.iscsi_target_serial, '10000002');
  assert.equal(legacy.body.iscsi_target_authtype, 'Auto');
  const list = await sb.api('GET', `${FREENAS}/target/`);
  assert.deepEqual(
    list.body.map((t: any) => Object.keys(t).length),
    [3, 13],
  );
});

test('every field: create, get, list, update (200, whole object), delete (204); defaults as FreeNAS', async () => {
  const minimal = await sb.api('POST', TG, { iscsi_target: 1, iscsi_target_portalgroup: 1 });
  assert.equal(minimal.status, 201, minimal.text);
  assert.deepEqual(minimal.body, {
    id: minimal.body.id,
    iscsi_target: 1,
    iscsi_target_portalgroup: 1,
    iscsi_target_initiatorgroup: null,
    iscsi_target_authgroup: null,
    iscsi_target_authtype: 'None',
    iscsi_target_initialdigest: 'Auto',
  });
  const full = await sb.api('POST', TG, {
    iscsi_target: 1,
    iscsi_target_portalgroup: 2,
    iscsi_target_initiatorgroup: 1,
    iscsi_target_authgroup: 7,
    iscsi_target_authtype: 'CHAP Mutual',
    iscsi_target_initialdigest: 'CRC32C',
  });
  assert.equal(full.status, 201, full.text);
  const id = full.body.id;
  const expected = {
    id,
    iscsi_target: 1,
    iscsi_target_portalgroup: 2,
    iscsi_target_initiatorgroup: 1,
    iscsi_target_authgroup: 7,
    iscsi_target_authtype: 'CHAP Mutual',
    iscsi_target_initialdigest: 'CRC32C',
  };
  assert.deepEqual(full.body, expected);
  assert.deepEqual((await sb.api('GET', `${TG}${id}/`)).body, expected);
  const list = await sb.api('GET', `${TG}?offset=1&limit=1`);
  assert.equal(list.status, 200);
  assert.deepEqual(list.body, [expected]);
  assert.equal((await sb.api('GET', `${TG}?limit=x`)).status, 400);

  for (const authtype of ['None', 'Auto', 'CHAP']) {
    const put = await sb.api('PUT', `${TG}${id}/`, { iscsi_target_authtype: authtype });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.iscsi_target_authtype, authtype);
  }
  const put = await sb.api('PUT', `${TG}${id}/`, {
    ...expected,
    iscsi_target_initiatorgroup: null,
    iscsi_target_authgroup: null,
    iscsi_target_authtype: 'None',
    iscsi_target_initialdigest: 'None',
    iscsi_target_portalgroup: 3,
  });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(put.body, {
    ...expected,
    iscsi_target_initiatorgroup: null,
    iscsi_target_authgroup: null,
    iscsi_target_authtype: 'None',
    iscsi_target_initialdigest: 'None',
    iscsi_target_portalgroup: 3,
  });

  assert.equal((await sb.api('DELETE', `${TG}${id}/`)).status, 204);
  assert.equal((await sb.api('GET', `${TG}${id}/`)).status, 404);
  assert.deepEqual((await sb.api('GET', `${TG}${id}/`)).body, { error_message: 'No such target group.' });
  assert.equal((await sb.api('DELETE', `${TG}${minimal.body.id}/`)).status, 204);
});

test('ids as digit strings, and the body sent as text', async () => {
  const digits = await sb.api('POST', TG, { iscsi_target: '1', iscsi_target_portalgroup: '1', iscsi_target_initiatorgroup: '1', iscsi_target_authgroup: null });
  assert.equal(digits.status, 201, digits.text);
  assert.equal(digits.body.iscsi_target, 1);
  assert.equal(digits.body.iscsi_target_initiatorgroup, 1);
  const text = await sb.request('POST', TG, {
    raw: '{"iscsi_target": "2", "iscsi_target_portalgroup": "2", "iscsi_target_authtype": "None", "iscsi_target_initialdigest": "Auto"}',
    headers: { 'Content-Type': 'application/json' },
  });
  assert.equal(text.status, 201, text.text);
  assert.equal(text.body.iscsi_target, 2);
  for (const id of [digits.body.id, text.body.id]) assert.equal((await sb.api('DELETE', `${TG}${id}/`)).status, 204);
});

test('bad inputs: 400 in the Django shape, nothing stored', async () => {
  const cases: [unknown, Record<string, string[]>][] = [
    [{ iscsi_target_portalgroup: 1 }, { iscsi_target: ['This field is required.'] }],
    [{ iscsi_target: 1 }, { iscsi_target_portalgroup: ['This field is required.'] }],
    [{ iscsi_target: 99, iscsi_target_portalgroup: 1 }, { iscsi_target: ['Target 99 does not exist.'] }],
    [{ iscsi_target: 1, iscsi_target_portalgroup: 99 }, { iscsi_target_portalgroup: ['Portal 99 does not exist.'] }],
    [
      { iscsi_target: 1, iscsi_target_portalgroup: 1, iscsi_target_initiatorgroup: 99 },
      { iscsi_target_initiatorgroup: ['Authorized initiator 99 does not exist.'] },
    ],
    [{ iscsi_target: 1, iscsi_target_portalgroup: 1, iscsi_target_authgroup: 99 }, { iscsi_target_authgroup: ['Auth group 99 does not exist.'] }],
    [{ iscsi_target: 1, iscsi_target_portalgroup: 1, iscsi_target_authtype: 'CHAP' }, { iscsi_target_authgroup: ['CHAP authentication needs an auth group.'] }],
    [
      { iscsi_target: 1, iscsi_target_portalgroup: 1, iscsi_target_authtype: 'Kerberos' },
      { iscsi_target_authtype: ['Select a valid choice. Kerberos is not one of the available choices.'] },
    ],
    [
      { iscsi_target: 1, iscsi_target_portalgroup: 1, iscsi_target_initialdigest: 'MD5' },
      { iscsi_target_initialdigest: ['Select a valid choice. MD5 is not one of the available choices.'] },
    ],
    [{ iscsi_target: 'one', iscsi_target_portalgroup: 1 }, { iscsi_target: ['Enter a whole number.'] }],
    [{ iscsi_target: null, iscsi_target_portalgroup: 1 }, { iscsi_target: ['This field is required.'] }],
    [
      { iscsi_target: 1, iscsi_target_portalgroup: 1, iscsi_target_mode: 'iscsi' },
      { iscsi_target_mode: ['Unknown field: no FreeNAS release defines it for this resource.'] },
    ],
    [{ iscsi_target: 2, iscsi_target_portalgroup: 1 }, { iscsi_target_portalgroup: ['Target "legacy" (id 2) already uses portal 1.'] }],
    [[1], { __all__: ['The request body must be a JSON object.'] }],
  ];
  const before = snapshot();
  for (const [body, expected] of cases) {
    const res = await sb.api('POST', TG, body);
    assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
    assert.deepEqual(res.body, expected, JSON.stringify(body));
  }
  const first = await post('targetgroup', { iscsi_target: 1, iscsi_target_portalgroup: 1 });
  const mid = snapshot();
  const twice = await sb.api('POST', TG, { iscsi_target: 1, iscsi_target_portalgroup: 1 });
  assert.equal(twice.status, 400);
  assert.deepEqual(twice.body, {
    iscsi_target_portalgroup: [`Target "iqn.1994-09.freenasqa:target0" (id 1) already has portal 1 in target group ${first.id}.`],
  });
  const badPut = await sb.api('PUT', `${TG}${first.id}/`, { iscsi_target_portalgroup: 99 });
  assert.equal(badPut.status, 400);
  const nullPut = await sb.api('PUT', `${TG}${first.id}/`, { iscsi_target_portalgroup: null });
  assert.equal(nullPut.status, 400);
  assert.deepEqual(nullPut.body, { iscsi_target_portalgroup: ['This field is required.'] });
  // The 9.2 field cannot take a portal the target already has through a group.
  const legacyPut = await sb.api('PUT', `${FREENAS}/target/1/`, { iscsi_target_portalgroup: 1 });
  assert.equal(legacyPut.status, 400, legacyPut.text);
  assert.equal(snapshot(), mid);
  assert.equal((await sb.api('PUT', `${TG}999/`, {})).status, 404);
  assert.equal((await sb.api('DELETE', `${TG}${first.id}/`)).status, 204);
  assert.equal(snapshot().replace(/"version":\d+/, ''), before.replace(/"version":\d+/, ''));
});

test('references: a used portal, initiator group or auth group cannot go; deleting the target deletes its groups', async () => {
  const t = await post('target', { iscsi_target_name: 'refs' });
  const ig = await post('authorizedinitiator', { iscsi_target_initiator_initiators: 'iqn.2026-12.test:x' });
  const p = await post('portal', { iscsi_target_portal_ips: ['127.0.0.9:3260'] });
  const cred = await post('authcredential', { iscsi_target_auth_tag: 9, iscsi_target_auth_user: 'u9', iscsi_target_auth_secret: 'secretsecret99' });
  const g = await post('targetgroup', {
    iscsi_target: t.id,
    iscsi_target_portalgroup: p.id,
    iscsi_target_initiatorgroup: ig.id,
    iscsi_target_authtype: 'CHAP',
    iscsi_target_authgroup: 9,
  });
  const who = `target group ${g.id} (target "refs", id ${t.id})`;
  const before = snapshot();
  const portal = await sb.api('DELETE', `${FREENAS}/portal/${p.id}/`);
  assert.equal(portal.status, 400);
  assert.deepEqual(portal.body, { __all__: [`Portal ${p.id} is used by ${who}.`] });
  const init = await sb.api('DELETE', `${FREENAS}/authorizedinitiator/${ig.id}/`);
  assert.equal(init.status, 400);
  assert.deepEqual(init.body, { __all__: [`Authorized initiator ${ig.id} is used by ${who}.`] });
  const auth = await sb.api('DELETE', `${FREENAS}/authcredential/${cred.id}/`);
  assert.equal(auth.status, 400);
  assert.match(auth.body.__all__[0], new RegExp(`target group ${g.id}`));
  assert.equal(snapshot(), before);

  assert.equal((await sb.api('DELETE', `${FREENAS}/target/${t.id}/`)).status, 204);
  assert.equal((await sb.api('GET', `${TG}${g.id}/`)).status, 404, 'the group went with its target');
  assert.equal((await sb.api('DELETE', `${FREENAS}/portal/${p.id}/`)).status, 204);
  assert.equal((await sb.api('DELETE', `${FREENAS}/authorizedinitiator/${ig.id}/`)).status, 204);
});

test('a name-only target takes the 9.2 shape once given a portal group, and gives it back with null', async () => {
  const t = await post('target', { iscsi_target_name: 'shape', iscsi_target_alias: 'a' });
  assert.deepEqual(t, { iscsi_target_name: 'shape', iscsi_target_alias: 'a', id: t.id });
  const with92 = await sb.api('PUT', `${FREENAS}/target/${t.id}/`, { iscsi_target_portalgroup: 3 });
  assert.equal(with92.status, 200, with92.text);
  assert.equal(with92.body.iscsi_target_portalgroup, 3);
  assert.equal(with92.body.iscsi_target_authtype, 'Auto');
  const back = await sb.api('PUT', `${FREENAS}/target/${t.id}/`, { iscsi_target_portalgroup: null });
  assert.deepEqual(back.body, { iscsi_target_name: 'shape', iscsi_target_alias: 'a', id: t.id });
  assert.equal((await sb.api('DELETE', `${FREENAS}/target/${t.id}/`)).status, 204);
});

test('services/services: list, get by id or name, bad ids and bodies', async () => {
  const S = '/api/v1.0/services/services';
  assert.deepEqual((await sb.api('GET', `${S}/`)).body, [{ id: 1, srv_service: 'iscsitarget', srv_enable: true, srv_state: 'RUNNING' }]);
  assert.equal((await sb.api('GET', `${S}/iscsitarget/`)).body.srv_service, 'iscsitarget');
  assert.equal((await sb.api('GET', `${S}/cifs/`)).status, 404);
  assert.equal((await sb.api('GET', `${S}/2/`)).status, 404);
  const before = snapshot();
  const bad = await sb.api('PUT', `${S}/1/`, { srv_enable: 'maybe' });
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body, { srv_enable: ['Enter a boolean (true or false).'] });
  const unknown = await sb.api('PUT', `${S}/1/`, { srv_color: 'red' });
  assert.equal(unknown.status, 400);
  assert.equal(snapshot(), before);
  // Clients PUT back what they GET.
  const echo = await sb.api('PUT', `${S}/1/`, (await sb.api('GET', `${S}/1/`)).body);
  assert.equal(echo.status, 200, echo.text);
  assert.equal((await sb.api('POST', `${S}/`, {})).status, 405);
});

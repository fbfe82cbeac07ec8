import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIscsiName, servedTargetName } from '../../src/domain/iscsi-names.js';
import { parseInitiatorList, parseNetworkList } from '../../src/domain/initiator-groups.js';
import { DomainError } from '../../src/domain/errors.js';

test('iSCSI names: iqn., eui., naa.', () => {
  for (const ok of [
    'iqn.2011-03.org.example.istgt',
    'iqn.1994-05.com.redhat:5e2f1a',
    'iqn.1991-05.com.microsoft:host.example.com',
    'eui.0123456789abcdef',
    'naa.6001405abcdef012',
    'naa.6001405abcdef0126001405abcdef012',
  ]) {
    assert.ok(isIscsiName(ok), ok);
  }
  for (const bad of [
    'iqn.bad',
    'iqn.2011-13.org.example',
    'iqn.11-03.org.example',
    'eui.0123',
    'naa.123',
    'target',
    `iqn.2011-03.org.example:${'x'.repeat(220)}`,
  ]) {
    assert.ok(!isIscsiName(bad), bad);
  }
});

test('a target name without an iqn./eui./naa. prefix is served under the basename; another tenant than the default adds its id', () => {
  const base = 'iqn.2011-03.org.example.istgt';
  assert.equal(servedTargetName(base, { name: 'target', tenantId: 1 }), 'iqn.2011-03.org.example.istgt:target');
  assert.equal(servedTargetName(base, { name: 'iqn.2026-01.org.x:y', tenantId: 1 }), 'iqn.2026-01.org.x:y');
  assert.equal(servedTargetName(base, { name: 'disk0', tenantId: 2 }), 'iqn.2011-03.org.example.istgt:t2:disk0');
  assert.equal(servedTargetName(base, { name: 'iqn.2026-01.org.x:y', tenantId: 2 }), 'iqn.2026-01.org.x:y', 'an iSCSI name is served as it is');
});

test('initiator and network lists: space, comma or newline separated; ALL alone', () => {
  assert.deepEqual(parseInitiatorList('ALL'), ['ALL']);
  assert.deepEqual(parseInitiatorList(''), ['ALL']);
  assert.deepEqual(parseInitiatorList('iqn.1994-05.com.redhat:a, iqn.1994-05.com.redhat:b\neui.0123456789ABCDEF'), [
    'iqn.1994-05.com.redhat:a',
    'iqn.1994-05.com.redhat:b',
    'eui.0123456789ABCDEF',
  ]);
  assert.deepEqual(parseNetworkList('10.0.0.0/8 192.168.1.1'), ['10.0.0.0/8', '192.168.1.1']);
  assert.throws(() => parseInitiatorList('ALL iqn.1994-05.com.redhat:a'), DomainError);
  assert.throws(() => parseNetworkList('ALL 10.0.0.1'), DomainError);
});

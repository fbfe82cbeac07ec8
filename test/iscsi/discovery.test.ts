import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAddress, portalAddress, sendTargets, type DiscoveryContext } from '../../src/iscsi/discovery.js';
import { TestCatalog, globals } from './harness.js';

function ctx(catalog: TestCatalog, over: Partial<DiscoveryContext> = {}): DiscoveryContext {
  return { catalog, portalGroup: 1, localAddress: '192.0.2.10', initiatorName: 'iqn.x:ini', initiatorAddress: '192.0.2.99', sessionTarget: null, ...over };
}

test('wildcard listeners report the address the initiator connected to; IPv6 in brackets', () => {
  assert.equal(portalAddress({ host: '0.0.0.0', port: 3260 }, '192.0.2.10'), '192.0.2.10');
  assert.equal(portalAddress({ host: '::', port: 3260 }, '2001:db8::5'), '2001:db8::5');
  assert.equal(portalAddress({ host: '[::]', port: 3260 }, '::ffff:127.0.0.1'), '127.0.0.1');
  assert.equal(portalAddress({ host: '10.0.0.1', port: 3260 }, '192.0.2.10'), '10.0.0.1');
  // An IPv4 wildcard has no address an IPv6 initiator could use: it is left out.
  assert.equal(portalAddress({ host: '0.0.0.0', port: 3260 }, '::1'), null);
  assert.equal(portalAddress({ host: '0.0.0.0', port: 3260 }, '::ffff:127.0.0.1'), '127.0.0.1');
  assert.equal(formatAddress('2001:db8::5', 3261, 2), '[2001:db8::5]:3261,2');
  assert.equal(formatAddress('10.0.0.1', 3260, 1), '10.0.0.1:3260,1');
});

test('SendTargets=All: admitted targets of the group, one TargetAddress per portal', () => {
  const c = new TestCatalog(globals());
  c.portals = [
    { host: '0.0.0.0', port: 3260 },
    { host: '::', port: 3260 },
    { host: '10.0.0.1', port: 3261 },
  ];
  c.add({ name: 'iqn.x:a', luns: new Map() });
  c.add({ name: 'iqn.x:b', luns: new Map(), admits: (_i, addr) => addr !== '192.0.2.99' });
  c.add({ name: 'iqn.x:c', luns: new Map(), portalGroupTag: 2 });
  assert.deepEqual(sendTargets(ctx(c), 'All'), [
    ['TargetName', 'iqn.x:a'],
    ['TargetAddress', '192.0.2.10:3260,1'],
    ['TargetAddress', '10.0.0.1:3261,1'],
  ]);
  const v6 = sendTargets(ctx(c, { localAddress: '2001:db8::1' }), 'All');
  assert.deepEqual(
    v6.map(([, v]) => v),
    ['iqn.x:a', '[2001:db8::1]:3260,1', '10.0.0.1:3261,1'],
  );
  assert.deepEqual(sendTargets(ctx(c), 'iqn.x:c'), []); // other portal group
  assert.deepEqual(sendTargets(ctx(c), 'iqn.x:a').length, 3);
  assert.deepEqual(sendTargets(ctx(c, { sessionTarget: c.target('iqn.x:a')! }), '').length, 3);
});

test("SendTargets leaves out a target whose service is switched off, and another portal group's target of the same tag", () => {
  const c = new TestCatalog(globals());
  c.portals = [{ host: '10.0.0.1', port: 3260 }];
  c.add({ name: 'iqn.x:on', luns: new Map() });
  c.add({ name: 'iqn.x:off', luns: new Map(), serviceAvailable: false });
  c.add({ name: 'iqn.x:theirs', luns: new Map(), portalGroup: 2, portalGroupTag: 1 });
  assert.deepEqual(sendTargets(ctx(c), 'All'), [
    ['TargetName', 'iqn.x:on'],
    ['TargetAddress', '10.0.0.1:3260,1'],
  ]);
  assert.deepEqual(sendTargets(ctx(c), 'iqn.x:off'), []);
  assert.deepEqual(sendTargets(ctx(c), 'iqn.x:theirs'), []);
  assert.deepEqual(
    sendTargets(ctx(c, { portalGroup: 2 }), 'All').map(([, v]) => v),
    ['iqn.x:theirs', '10.0.0.1:3260,1'],
  );
});

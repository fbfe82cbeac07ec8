import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatListenAddress, isNetwork, parseListenAddress } from '../../src/domain/addresses.js';

const norm = (text: string) => {
  const parsed = parseListenAddress(text);
  return parsed ? formatListenAddress(parsed) : null;
};

test('portal addresses: IPv4, [IPv6], wildcards, ports 1-65535, normalised', () => {
  assert.equal(norm('0.0.0.0:3260'), '0.0.0.0:3260');
  assert.equal(norm('192.168.3.20:3260'), '192.168.3.20:3260');
  assert.equal(norm('10.0.0.1'), '10.0.0.1:3260');
  assert.equal(norm('[::]:3260'), '[::]:3260');
  assert.equal(norm('[0:0::1]:860'), '[::1]:860');
  assert.equal(norm('[FE80::1]:1'), '[fe80::1]:1');
  assert.equal(norm('1.2.3.4:65535'), '1.2.3.4:65535');
  for (const bad of [
    '1.2.3:3260',
    '256.1.1.1:3260',
    '1.2.3.4:0',
    '1.2.3.4:65536',
    '1.2.3.4:003260',
    '::1:3260',
    '[::1',
    '[nope]:3260',
    'host:3260',
    '',
    '1.2.3.4:',
    '01.2.3.4:3260',
  ]) {
    assert.equal(norm(bad), null, bad);
  }
});

test('networks: ALL, addresses, CIDRs', () => {
  for (const ok of ['ALL', '10.0.0.1', '10.0.0.0/8', '192.168.3.0/24', '0.0.0.0/0', '::1', 'fe80::/10', '2001:db8::/128']) assert.ok(isNetwork(ok), ok);
  for (const bad of ['all', '10.0.0.0/33', '10.0.0/8', 'fe80::/129', '10.0.0.0/', '10.0.0.0/a', 'example.com']) assert.ok(!isNetwork(bad), bad);
});

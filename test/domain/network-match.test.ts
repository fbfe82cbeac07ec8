import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BlockList, isIP } from 'node:net';
import { addressInNetworks, initiatorNameMatches, parseNetworks, type Network } from '../../src/domain/network-match.js';

function nets(text: string): Network[] {
  const r = parseNetworks(text);
  assert.ok(r.ok, `parse ${JSON.stringify(text)}: ${r.ok ? '' : r.reason}`);
  assert.notEqual(r.value, 'ALL');
  return r.value as Network[];
}

function texts(text: string): string[] {
  return nets(text).map((n) => n.text);
}

describe('parseNetworks', () => {
  it('reads ALL in any case, and lets it subsume other entries', () => {
    assert.deepEqual(parseNetworks('ALL'), { ok: true, value: 'ALL' });
    assert.deepEqual(parseNetworks(' all \n'), { ok: true, value: 'ALL' });
    assert.deepEqual(parseNetworks('10.0.0.0/8 ALL'), { ok: true, value: 'ALL' });
  });

  it('reads IPv4 addresses and CIDRs separated by spaces, commas and newlines', () => {
    assert.deepEqual(texts('10.0.0.1, 192.168.0.0/16\n172.16.0.0/12\t127.0.0.1/32,,'), ['10.0.0.1/32', '192.168.0.0/16', '172.16.0.0/12', '127.0.0.1/32']);
  });

  it('reads IPv6 in full, compressed and mixed forms, printing RFC 5952 text', () => {
    assert.deepEqual(texts('2001:0DB8:0000:0000:0000:0000:0000:0001 fe80::/10 ::1 :: ::/0 ::ffff:1.2.3.4 64:ff9b::192.0.2.33/120 1:0:0:2:0:0:0:3'), [
      '2001:db8::1/128',
      'fe80::/10',
      '::1/128',
      '::/128',
      '::/0',
      '::ffff:1.2.3.4/128',
      '64:ff9b::c000:200/120',
      '1:0:0:2::3/128',
    ]);
  });

  it('clears host bits and drops duplicates', () => {
    assert.deepEqual(texts('192.168.1.77/24 192.168.1.0/24 2001:db8::1/32'), ['192.168.1.0/24', '2001:db8::/32']);
    assert.deepEqual(texts('10.255.255.255/0'), ['0.0.0.0/0']);
  });

  it('gives an empty list for empty text', () => {
    assert.deepEqual(parseNetworks(''), { ok: true, value: [] });
    assert.deepEqual(parseNetworks(' ,\n '), { ok: true, value: [] });
  });

  it('rejects bad prefix lengths, naming the entry', () => {
    for (const [text, bad] of [
      ['10.0.0.0/33', '10.0.0.0/33'],
      ['10.0.0.0/8 ::/129', '::/129'],
      ['10.0.0.0/', '10.0.0.0/'],
      ['10.0.0.0/-1', '10.0.0.0/-1'],
      ['10.0.0.0/08', '10.0.0.0/08'],
      ['10.0.0.0/8/8', '10.0.0.0/8/8'],
      ['10.0.0.0/ 8', '10.0.0.0/'],
      ['::1/1e2', '::1/1e2'],
    ] as const) {
      const r = parseNetworks(text);
      assert.equal(r.ok, false, text);
      if (!r.ok) {
        assert.equal(r.bad, bad);
        assert.ok(r.reason.length > 0);
      }
    }
  });

  it('rejects garbage addresses', () => {
    const garbage = [
      'localhost',
      '10.0.0',
      '10.0.0.0.0',
      '256.0.0.1',
      '010.0.0.1',
      '1.2.3.-4',
      '1.2.3.4a',
      '1::2::3',
      ':::',
      '12345::',
      'g::1',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7::8',
      '::1.2.3',
      '1.2.3.4::',
      'fe80::1%eth0',
      '[::1]',
      '*',
      'ALLOW',
      '10.0.0.1-10.0.0.9',
    ];
    for (const g of garbage) {
      const r = parseNetworks(`10.0.0.1 ${g}`);
      assert.equal(r.ok, false, g);
      if (!r.ok) assert.equal(r.bad, g);
    }
  });

  it('agrees with node:net isIP on which single addresses are valid', () => {
    const samples = [
      '::',
      '::1',
      '1::',
      '1:2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7::',
      '::2:3:4:5:6:7:8',
      '1::8',
      '::ffff:1.2.3.4',
      '1:2:3:4:5:6:1.2.3.4',
      '1:2:3:4:5:6:7:1.2.3.4',
      '1::2::3',
      ':1::',
      '1:::2',
      '0.0.0.0',
      '255.255.255.255',
      '01.2.3.4',
      '1.2.3',
      'ABCD:EF01::',
      'abcde::',
    ];
    for (const s of samples) assert.equal(parseNetworks(s).ok, isIP(s) !== 0, s);
  });
});

describe('addressInNetworks', () => {
  it('matches everything for ALL, even an unparsable address', () => {
    assert.equal(addressInNetworks('10.1.2.3', 'ALL'), true);
    assert.equal(addressInNetworks('nonsense', 'ALL'), true);
  });

  it('matches nothing for an empty list or an unparsable address', () => {
    assert.equal(addressInNetworks('10.1.2.3', []), false);
    assert.equal(addressInNetworks('nonsense', nets('0.0.0.0/0 ::/0')), false);
  });

  it('matches IPv4 subnets at their edges', () => {
    const n = nets('192.168.10.0/23');
    assert.equal(addressInNetworks('192.168.10.0', n), true);
    assert.equal(addressInNetworks('192.168.11.255', n), true);
    assert.equal(addressInNetworks('192.168.9.255', n), false);
    assert.equal(addressInNetworks('192.168.12.0', n), false);
    assert.equal(addressInNetworks('1.2.3.4', nets('0.0.0.0/0')), true);
  });

  it('matches an IPv4-mapped socket address against IPv4 rules', () => {
    assert.equal(addressInNetworks('::ffff:127.0.0.1', nets('127.0.0.1/32')), true);
    assert.equal(addressInNetworks('::FFFF:7f00:1', nets('127.0.0.1')), true);
    assert.equal(addressInNetworks('::ffff:127.0.0.2', nets('127.0.0.1/32')), false);
    assert.equal(addressInNetworks('::ffff:10.9.8.7', nets('10.0.0.0/8')), true);
  });

  it('matches a plain IPv4 address against an IPv4-mapped IPv6 rule', () => {
    assert.equal(addressInNetworks('127.0.0.1', nets('::ffff:127.0.0.1')), true);
    assert.equal(addressInNetworks('10.1.1.1', nets('::ffff:10.0.0.0/104')), true);
    assert.equal(addressInNetworks('11.1.1.1', nets('::ffff:10.0.0.0/104')), false);
  });

  it('does not let an IPv4 rule match native IPv6, nor IPv4-compatible ::a.b.c.d', () => {
    assert.equal(addressInNetworks('::1', nets('0.0.0.0/0')), false);
    assert.equal(addressInNetworks('::127.0.0.1', nets('127.0.0.1')), false);
    assert.equal(addressInNetworks('2001:db8::1', nets('0.0.0.0/0')), false);
  });

  it('matches IPv6 subnets and strips a zone id from the peer address', () => {
    const n = nets('2001:db8:abcd::/48, fe80::/10');
    assert.equal(addressInNetworks('2001:db8:abcd:12::1', n), true);
    assert.equal(addressInNetworks('2001:db8:abce::1', n), false);
    assert.equal(addressInNetworks('fe80::1%eth0', n), true);
    assert.equal(addressInNetworks('::1', nets('::1')), true);
    assert.equal(addressInNetworks('::2', nets('::1')), false);
  });

  it('lets ::/0 cover IPv4 too, since every IPv4 address has a mapped IPv6 form', () => {
    assert.equal(addressInNetworks('10.0.0.1', nets('::/0')), true);
  });

  it('agrees with node:net BlockList on native-family checks', () => {
    const rules = '10.0.0.0/8 192.168.1.128/25 2001:db8::/32 fe80::/64';
    const list = new BlockList();
    for (const r of rules.split(' ')) {
      const [addr, prefix] = r.split('/');
      list.addSubnet(addr!, Number(prefix), addr!.includes(':') ? 'ipv6' : 'ipv4');
    }
    const n = nets(rules);
    const probes = [
      '10.0.0.0',
      '10.255.255.255',
      '11.0.0.0',
      '9.255.255.255',
      '192.168.1.127',
      '192.168.1.128',
      '192.168.1.255',
      '2001:db8::',
      '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff',
      '2001:db9::',
      'fe80::1',
      'fe80:0:0:1::1',
      '::1',
    ];
    for (const p of probes) {
      assert.equal(addressInNetworks(p, n), list.check(p, p.includes(':') ? 'ipv6' : 'ipv4'), p);
    }
  });
});

describe('initiator names', () => {
  it('matches names case-insensitively', () => {
    const list = ['iqn.1993-08.org.debian:01:ABC', 'naa.52004567ba64678d'];
    assert.equal(initiatorNameMatches('IQN.1993-08.ORG.DEBIAN:01:abc', list), true);
    assert.equal(initiatorNameMatches('naa.52004567BA64678D', list), true);
    assert.equal(initiatorNameMatches('iqn.1993-08.org.debian:01:abd', list), false);
    assert.equal(initiatorNameMatches('anything', 'ALL'), true);
    assert.equal(initiatorNameMatches('iqn.1993-08.org.debian:01:abc', []), false);
  });
});

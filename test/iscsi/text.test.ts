import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IscsiProtocolError } from '../../src/iscsi/errors.js';
import { Negotiator } from '../../src/iscsi/params.js';
import { parseNumber, parseText, serializeText, splitText } from '../../src/iscsi/text.js';
import { globals } from './harness.js';

test('parse text: NUL-terminated pairs, padding ignored, values may contain "="', () => {
  const data = Buffer.from(
    'InitiatorName=iqn.1999-07.com.os:hostid.77\0TargetName=iqn.1999-07.com.example:diskarray.sn.88\0AuthMethod=KRB5,SRP,None\0X-com.example.k=a=b\0\0\0',
  );
  assert.deepEqual(parseText(data), [
    ['InitiatorName', 'iqn.1999-07.com.os:hostid.77'],
    ['TargetName', 'iqn.1999-07.com.example:diskarray.sn.88'],
    ['AuthMethod', 'KRB5,SRP,None'],
    ['X-com.example.k', 'a=b'],
  ]);
});

test('parse text: errors carry a code', () => {
  for (const bad of ['NoEquals\0', '=value\0', 'A=1\0A=2\0', 'bad key=1\0']) {
    assert.throws(
      () => parseText(Buffer.from(bad)),
      (e: unknown) => e instanceof IscsiProtocolError && e.code === 'ERR_TEXT_FORMAT',
      bad,
    );
  }
});

test('serialize and split text', () => {
  const b = serializeText([['SendTargets', 'All']]);
  assert.equal(b.toString('latin1'), 'SendTargets=All\0');
  assert.deepEqual(
    splitText(Buffer.alloc(10), 4).map((x) => x.length),
    [4, 4, 2],
  );
  assert.equal(serializeText([]).length, 0);
});

test('numbers: decimal and hex', () => {
  assert.equal(parseNumber('8192'), 8192);
  assert.equal(parseNumber('0x2000'), 8192);
  assert.ok(Number.isNaN(parseNumber('12k')));
  assert.ok(Number.isNaN(parseNumber('')));
});

const g = globals({
  maxBurstLength: 131072,
  firstBurstLength: 32768,
  maxOutstandingR2T: 8,
  maxConnections: 2,
  defaultTime2Wait: 4,
  defaultTime2Retain: 10,
  maxRecvDataSegmentLength: 65536,
});

test('negotiation: min/max numbers, boolean AND/OR, digests (RFC 7143 13.x)', () => {
  const n = new Negotiator({ globals: g, digest: 'Auto', discovery: false, leading: true });
  const out = n.respond([
    ['HeaderDigest', 'CRC32C,None'],
    ['DataDigest', 'None'],
    ['MaxConnections', '8'],
    ['InitialR2T', 'No'],
    ['ImmediateData', 'Yes'],
    ['MaxRecvDataSegmentLength', '262144'],
    ['MaxBurstLength', '262144'],
    ['FirstBurstLength', '65536'],
    ['DefaultTime2Wait', '2'],
    ['DefaultTime2Retain', '20'],
    ['MaxOutstandingR2T', '1'],
    ['DataPDUInOrder', 'Yes'],
    ['DataSequenceInOrder', 'Yes'],
    ['ErrorRecoveryLevel', '2'],
  ]);
  assert.deepEqual(out, [
    ['HeaderDigest', 'CRC32C'],
    ['DataDigest', 'None'],
    ['MaxConnections', '2'],
    ['InitialR2T', 'No'],
    ['ImmediateData', 'Yes'],
    ['MaxBurstLength', '131072'],
    ['FirstBurstLength', '32768'],
    ['DefaultTime2Wait', '4'],
    ['DefaultTime2Retain', '10'],
    ['MaxOutstandingR2T', '1'],
    ['DataPDUInOrder', 'Yes'],
    ['DataSequenceInOrder', 'Yes'],
    ['ErrorRecoveryLevel', '0'],
  ]);
  // Our declaration goes out once; nothing else needs offering.
  assert.deepEqual(n.targetOffers(), [['MaxRecvDataSegmentLength', '65536']]);
  assert.deepEqual(n.targetOffers(), []);
  const v = n.finish();
  assert.equal(v.initiatorMaxRecvDataSegmentLength, 262144);
  assert.equal(v.headerDigest, true);
  assert.equal(v.initialR2T, false);
  assert.equal(n.describe().MaxBurstLength, '131072');
});

test('negotiation: unknown keys NotUnderstood, bad values Reject, markers answered', () => {
  const n = new Negotiator({ globals: g, digest: 'None', discovery: false, leading: true });
  assert.deepEqual(
    n.respond([
      ['X-com.example.Foo', '1'],
      ['FancyKey', 'Yes'],
      ['HeaderDigest', 'CRC32C'],
      ['MaxBurstLength', '100'],
      ['ImmediateData', 'Maybe'],
      ['FirstBurstLength', 'lots'],
      ['OFMarker', 'Yes'],
      ['OFMarkInt', '2048~8192'],
    ]),
    [
      ['X-com.example.Foo', 'NotUnderstood'],
      ['FancyKey', 'NotUnderstood'],
      ['HeaderDigest', 'Reject'],
      ['MaxBurstLength', 'Reject'],
      ['ImmediateData', 'Reject'],
      ['FirstBurstLength', 'Reject'],
      ['OFMarker', 'No'],
      ['OFMarkInt', 'Irrelevant'],
    ],
  );
});

test('negotiation: digest policy CRC32C refuses None; Auto takes the initiator order', () => {
  const crc = new Negotiator({ globals: g, digest: 'CRC32C', discovery: false, leading: true });
  assert.deepEqual(
    crc.respond([
      ['DataDigest', 'None,CRC32C'],
      ['HeaderDigest', 'None'],
    ]),
    [
      ['DataDigest', 'CRC32C'],
      ['HeaderDigest', 'Reject'],
    ],
  );
  const auto = new Negotiator({ globals: g, digest: 'Auto', discovery: false, leading: true });
  assert.deepEqual(auto.respond([['DataDigest', 'None,CRC32C']]), [['DataDigest', 'None']]);
});

test('negotiation: session keys are Irrelevant in discovery sessions', () => {
  const n = new Negotiator({ globals: g, digest: 'Auto', discovery: true, leading: true });
  assert.deepEqual(
    n.respond([
      ['MaxBurstLength', '4096'],
      ['InitialR2T', 'Yes'],
      ['DefaultTime2Wait', '0'],
    ]),
    [
      ['MaxBurstLength', 'Irrelevant'],
      ['InitialR2T', 'Irrelevant'],
      ['DefaultTime2Wait', '4'],
    ],
  );
});

test('negotiation: the target offers limits below the RFC defaults the initiator did not send', () => {
  const n = new Negotiator({ globals: globals({ maxBurstLength: 65536, firstBurstLength: 16384 }), digest: 'Auto', discovery: false, leading: true });
  n.respond([['InitialR2T', 'No']]);
  assert.deepEqual(n.targetOffers(), [
    ['MaxRecvDataSegmentLength', '262144'],
    ['MaxBurstLength', '65536'],
    ['FirstBurstLength', '16384'],
  ]);
  assert.equal(n.awaitingAnswers, true);
  assert.deepEqual(
    n.respond([
      ['MaxBurstLength', '32768'],
      ['FirstBurstLength', '16384'],
    ]),
    [],
  );
  assert.equal(n.awaitingAnswers, false);
  assert.equal(n.finish().maxBurstLength, 32768);
});

test('negotiation: leading-only keys on a non-leading connection are Irrelevant', () => {
  const n = new Negotiator({ globals: g, digest: 'Auto', discovery: false, leading: false });
  assert.deepEqual(
    n.respond([
      ['MaxBurstLength', '4096'],
      ['HeaderDigest', 'None'],
    ]),
    [
      ['MaxBurstLength', 'Irrelevant'],
      ['HeaderDigest', 'None'],
    ],
  );
});

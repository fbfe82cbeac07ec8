import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c } from '../../src/iscsi/crc32c.js';
import { IscsiProtocolError, RejectReason } from '../../src/iscsi/errors.js';
import { Opcode, decodeLun, encodeLun, opcodeOf, type Pdu } from '../../src/iscsi/pdu/bhs.js';
import { PduParser, encodePdu } from '../../src/iscsi/pdu/framer.js';
import { parseLoginRequest, parseLoginResponse, serializeLoginRequest, serializeLoginResponse } from '../../src/iscsi/pdu/login.js';
import {
  parseDataIn,
  parseR2T,
  parseScsiCommand,
  parseScsiResponse,
  serializeDataIn,
  serializeR2T,
  serializeScsiCommand,
  serializeScsiResponse,
} from '../../src/iscsi/pdu/scsi.js';

/** RFC 3720 B.4's SCSI Read (10) command, as captured on the wire. */
const READ10 = Buffer.from(
  '01c00000' + '00000000' + '00000000' + '00000000' + '14000000' + '00000400' + '00000014' + '00000018' + '28000000' + '00000000' + '02000000' + '00000000',
  'hex',
);

function collect(parser: PduParser, chunks: Buffer[]): Array<{ pdu: Pdu; ok: boolean }> {
  const out: Array<{ pdu: Pdu; ok: boolean }> = [];
  for (const c of chunks) parser.feed(c, (pdu, ok) => out.push({ pdu: { bhs: Buffer.from(pdu.bhs), ahs: pdu.ahs, data: Buffer.from(pdu.data) }, ok }));
  return out;
}

const limits = () => ({ maxDataSegmentLength: 65536, headerDigest: false, dataDigest: false });

test('parses the captured READ(10) command', () => {
  const p = new PduParser(limits());
  const [got] = collect(p, [READ10]);
  assert.ok(got);
  assert.equal(opcodeOf(got.pdu.bhs), Opcode.ScsiCommand);
  const c = parseScsiCommand(got.pdu);
  assert.deepEqual(
    { ...c, cdb: c.cdb.toString('hex') },
    {
      immediate: false,
      final: true,
      read: true,
      write: false,
      attribute: 0,
      lun: 0,
      itt: 0x14000000,
      expectedLength: 1024,
      cmdSN: 0x14,
      expStatSN: 0x18,
      cdb: '28000000' + '00000000' + '02000000' + '00000000', // READ(10), transfer length 2
    },
  );
  // And serializing the decoded fields gives the same bytes back.
  assert.deepEqual(serializeScsiCommand(c), READ10);
});

test('header digest: captured PDU with its RFC digest is accepted, a flipped bit is fatal', () => {
  const digest = Buffer.from('563a96d9', 'hex');
  const p = new PduParser({ ...limits(), headerDigest: true });
  assert.equal(collect(p, [Buffer.concat([READ10, digest])]).length, 1);
  const bad = Buffer.concat([READ10, digest]);
  bad[20] ^= 1;
  const p2 = new PduParser({ ...limits(), headerDigest: true });
  assert.throws(
    () => collect(p2, [bad]),
    (e: unknown) => e instanceof IscsiProtocolError && e.code === 'ERR_HEADER_DIGEST' && e.fatal,
  );
});

test('byte-at-a-time and split feeds produce the same PDUs as one chunk', () => {
  const data = Buffer.from('hello world, this is data'); // 25 bytes: 3 pad bytes
  const bhs = serializeScsiCommand({
    immediate: false,
    final: true,
    read: false,
    write: true,
    attribute: 1,
    lun: 3,
    itt: 7,
    expectedLength: 25,
    cmdSN: 1,
    expStatSN: 2,
    cdb: Buffer.from([0x2a]),
  });
  for (const [hd, dd] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    const wire = Buffer.concat([encodePdu(Buffer.from(bhs), data, hd, dd), encodePdu(Buffer.from(bhs), null, hd, dd)]);
    const whole = collect(new PduParser({ ...limits(), headerDigest: hd, dataDigest: dd }), [wire]);
    const bytes = collect(
      new PduParser({ ...limits(), headerDigest: hd, dataDigest: dd }),
      [...wire].map((b) => Buffer.from([b])),
    );
    assert.equal(whole.length, 2);
    assert.deepEqual(bytes, whole);
    assert.equal(whole[0]!.pdu.data.toString(), data.toString());
    assert.ok(whole[0]!.ok);
    assert.equal(whole[1]!.pdu.data.length, 0);
    for (let cut = 1; cut < wire.length; cut += 5) {
      assert.deepEqual(collect(new PduParser({ ...limits(), headerDigest: hd, dataDigest: dd }), [wire.subarray(0, cut), wire.subarray(cut)]), whole);
    }
  }
});

test('a data segment inside one chunk is handed out as a view, not a copy', () => {
  const data = Buffer.alloc(4096, 0xab);
  const bhs = serializeScsiCommand({
    immediate: false,
    final: true,
    read: false,
    write: true,
    attribute: 1,
    lun: 0,
    itt: 1,
    expectedLength: 4096,
    cmdSN: 1,
    expStatSN: 1,
    cdb: Buffer.from([0x2a]),
  });
  const wire = encodePdu(bhs, data);
  let seen: Buffer | null = null;
  new PduParser(limits()).feed(wire, (pdu) => (seen = pdu.data));
  assert.ok(seen);
  assert.equal((seen as Buffer).buffer, wire.buffer);
});

test('data digest mismatch is reported per PDU, framing stays intact', () => {
  const data = Buffer.from('abcdefgh');
  const bhs = serializeScsiCommand({
    immediate: false,
    final: true,
    read: false,
    write: true,
    attribute: 1,
    lun: 0,
    itt: 1,
    expectedLength: 8,
    cmdSN: 1,
    expStatSN: 1,
    cdb: Buffer.from([0x2a]),
  });
  const wire = encodePdu(bhs, data, false, true);
  wire[wire.length - 1] ^= 0xff;
  const got = collect(new PduParser({ ...limits(), dataDigest: true }), [wire, encodePdu(Buffer.from(bhs), null, false, true)]);
  assert.deepEqual(
    got.map((g) => g.ok),
    [false, true],
  );
});

test('AHS (extended CDB) is framed and joined to the CDB', () => {
  const bhs = serializeScsiCommand({
    immediate: false,
    final: true,
    read: true,
    write: false,
    attribute: 1,
    lun: 0,
    itt: 9,
    expectedLength: 0,
    cmdSN: 1,
    expStatSN: 1,
    cdb: Buffer.alloc(16, 0x11),
  });
  bhs[4] = 2; // TotalAHSLength: 8 bytes
  const ahs = Buffer.from([0x00, 0x05, 0x01, 0x00, 0x22, 0x22, 0x22, 0x22]);
  const wire = Buffer.concat([bhs, ahs]);
  const [got] = collect(new PduParser(limits()), [wire]);
  assert.deepEqual(got!.pdu.ahs, ahs);
  const c = parseScsiCommand(got!.pdu);
  assert.equal(c.cdb.length, 20);
  assert.deepEqual(c.cdb.subarray(16), Buffer.alloc(4, 0x22));
});

test('an oversized data segment is a fatal protocol error with a Reject reason', () => {
  const bhs = Buffer.alloc(48);
  bhs[0] = 0x05;
  bhs[5] = 0x10; // 1 MiB
  assert.throws(
    () => new PduParser(limits()).feed(bhs, () => {}),
    (e: unknown) => e instanceof IscsiProtocolError && e.code === 'ERR_DATA_SEGMENT_TOO_LONG' && e.reject === RejectReason.ProtocolError && e.fatal,
  );
});

test('LUN field: peripheral below 256, flat above', () => {
  const b = Buffer.alloc(48);
  encodeLun(5, b);
  assert.equal(b.subarray(8, 16).toString('hex'), '0005000000000000');
  assert.equal(decodeLun(b), 5);
  encodeLun(300, b);
  assert.equal(b.subarray(8, 16).toString('hex'), '412c000000000000');
  assert.equal(decodeLun(b), 300);
  b[8] = 0x01; // peripheral with a bus byte, as libiscsi sends 260
  b[9] = 0x04;
  assert.equal(decodeLun(b), 260);
  b[8] = 0x80; // logical unit addressing: not supported
  assert.equal(decodeLun(b), -1);
});

test('login request/response round trip and field layout', () => {
  const isid = Buffer.from('023d00000001', 'hex');
  const req = { transit: true, cont: false, csg: 1, nsg: 3, versionMax: 0, versionMin: 0, isid, tsih: 0, itt: 0x11223344, cid: 1, cmdSN: 5, expStatSN: 0 };
  const b = serializeLoginRequest(req);
  assert.equal(b[0], 0x43);
  assert.equal(b[1], 0x87);
  assert.deepEqual(parseLoginRequest({ bhs: b, ahs: null, data: Buffer.alloc(0) }), req);
  const resp = {
    transit: false,
    cont: false,
    csg: 0,
    nsg: 0,
    versionMax: 0,
    versionActive: 0,
    isid,
    tsih: 0,
    itt: 1,
    statSN: 0,
    expCmdSN: 5,
    maxCmdSN: 5,
    statusClass: 2,
    statusDetail: 3,
  };
  const rb = serializeLoginResponse(resp);
  assert.equal(rb[0], 0x23);
  assert.equal(rb.readUInt16BE(36), 0x0203);
  assert.deepEqual(parseLoginResponse({ bhs: rb, ahs: null, data: Buffer.alloc(0) }), resp);
});

test('Data-In with status, SCSI Response with sense, R2T round trips', () => {
  const d = {
    final: true,
    hasStatus: true,
    overflow: false,
    underflow: true,
    status: 0,
    lun: 2,
    itt: 77,
    statSN: 10,
    expCmdSN: 11,
    maxCmdSN: 42,
    dataSN: 3,
    bufferOffset: 8192,
    residualCount: 512,
  };
  const b = serializeDataIn(d);
  assert.equal(b[1], 0x83);
  assert.deepEqual(parseDataIn({ bhs: b, ahs: null, data: Buffer.alloc(0) }), d);
  const r = { overflow: true, underflow: false, response: 0, status: 2, itt: 5, statSN: 1, expCmdSN: 2, maxCmdSN: 3, expDataSN: 0, residualCount: 4 };
  const rb = serializeScsiResponse(r);
  const sense = Buffer.from([0x70, 0, 5, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x25, 0, 0, 0, 0, 0]);
  const seg = Buffer.concat([Buffer.from([0, 18]), sense]);
  assert.deepEqual(parseScsiResponse({ bhs: rb, ahs: null, data: seg }), { ...r, sense });
  const t = { lun: 1, itt: 3, ttt: 99, statSN: 4, expCmdSN: 5, maxCmdSN: 6, r2tSN: 0, bufferOffset: 65536, desiredLength: 262144 };
  assert.deepEqual(parseR2T({ bhs: serializeR2T(t), ahs: null, data: Buffer.alloc(0) }), t);
});

test('encodePdu pads data to 4 and appends digests in wire order', () => {
  const bhs = Buffer.alloc(48);
  bhs[0] = 0x04;
  const wire = encodePdu(bhs, Buffer.from('abcde'), true, true);
  assert.equal(wire.length, 48 + 4 + 8 + 4);
  assert.equal(wire.readUInt32LE(48), crc32c(wire.subarray(0, 48)));
  assert.deepEqual(wire.subarray(52 + 5, 52 + 8), Buffer.alloc(3));
  assert.equal(wire.readUInt32LE(60), crc32c(wire.subarray(52, 60)));
});

test('placeData: a segment spanning chunks is assembled straight into the given buffer, digest checked', () => {
  for (const dd of [false, true]) {
    const data = Buffer.from(Array.from({ length: 1001 }, (_, i) => i & 0xff)); // 3 pad bytes
    const bhs = Buffer.alloc(48);
    bhs[0] = 0x05;
    bhs.writeUInt32BE(7, 16);
    bhs.writeUInt32BE(100, 40);
    const wire = encodePdu(bhs, data, false, dd);
    const target = Buffer.alloc(2000);
    const p = new PduParser({ ...limits(), dataDigest: dd });
    let asked = 0;
    p.placeData = (h, len) => {
      asked++;
      assert.equal(h.readUInt32BE(40), 100);
      return target.subarray(100, 100 + len);
    };
    const got: Array<{ data: Buffer; ok: boolean }> = [];
    for (const b of wire) p.feed(Buffer.from([b]), (pdu, ok) => got.push({ data: pdu.data, ok }));
    assert.equal(asked, 1);
    assert.equal(got.length, 1);
    assert.ok(got[0]!.ok);
    assert.equal(got[0]!.data.buffer, target.buffer);
    assert.deepEqual(target.subarray(100, 1101), data);
    // A corrupted digest is still reported.
    if (dd) {
      const bad = Buffer.from(wire);
      bad[bad.length - 2] ^= 1;
      const q = new PduParser({ ...limits(), dataDigest: true });
      q.placeData = (_h, len) => Buffer.alloc(len);
      const oks: boolean[] = [];
      q.feed(bad.subarray(0, 500), (_pdu, ok) => oks.push(ok));
      q.feed(bad.subarray(500), (_pdu, ok) => oks.push(ok));
      assert.deepEqual(oks, [false]);
    }
  }
});

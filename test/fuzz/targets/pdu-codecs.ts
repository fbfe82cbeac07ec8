/**
 * Every PDU codec over framed PDUs: whatever the opcode byte says, each parser either
 * decodes the PDU or throws IscsiProtocolError, and a decoded request serialises back
 * to a PDU that decodes to the same fields.
 */
import { isDeepStrictEqual } from 'node:util';
import { check, only } from '../contract.js';
import { frame } from '../frames.js';
import { IscsiProtocolError } from '../../../src/iscsi/errors.js';
import type { Pdu } from '../../../src/iscsi/pdu/bhs.js';
import { parseLoginRequest, parseLoginResponse } from '../../../src/iscsi/pdu/login.js';
import { parseLogoutRequest, parseLogoutResponse, serializeLogoutRequest } from '../../../src/iscsi/pdu/logout.js';
import { parseNopIn, parseNopOut, serializeNopOut } from '../../../src/iscsi/pdu/nop.js';
import { parseReject } from '../../../src/iscsi/pdu/reject.js';
import { parseDataIn, parseDataOut, parseR2T, parseScsiCommand, parseScsiResponse, serializeDataOut } from '../../../src/iscsi/pdu/scsi.js';
import { parseTaskMgmtRequest, parseTaskMgmtResponse, serializeTaskMgmtRequest } from '../../../src/iscsi/pdu/task-mgmt.js';
import { parseTextRequest, parseTextResponse } from '../../../src/iscsi/pdu/text.js';

/** What Jazzer instruments for coverage (scripts/fuzz.mjs reads this line). */
export const instrument = ['src/iscsi/'];

export const sync = true;

const parsers: ((pdu: Pdu) => unknown)[] = [
  parseDataIn,
  parseDataOut,
  parseLoginRequest,
  parseLoginResponse,
  parseLogoutRequest,
  parseLogoutResponse,
  parseNopIn,
  parseNopOut,
  parseR2T,
  parseReject,
  parseScsiCommand,
  parseScsiResponse,
  parseTaskMgmtRequest,
  parseTaskMgmtResponse,
  parseTextRequest,
  parseTextResponse,
];

/** Request codecs whose serialiser takes exactly what the parser returns. */
const roundTrips: [(pdu: Pdu) => object, (v: never) => Buffer][] = [
  [parseNopOut, serializeNopOut],
  [parseTaskMgmtRequest, serializeTaskMgmtRequest],
  [parseLogoutRequest, serializeLogoutRequest],
  [parseDataOut, serializeDataOut],
];

function asPdu(bhs: Buffer): Pdu {
  return { bhs, ahs: null, data: Buffer.alloc(0) };
}

export function fuzz(data: Buffer): void {
  if (data.length < 1) return;
  const { pdus } = frame(data.subarray(1), { header: false, data: false }, [data[0]!]);
  for (const { pdu } of pdus) {
    for (const parse of parsers) only([IscsiProtocolError], () => parse(pdu));
    for (const [parse, serialize] of roundTrips) {
      const first = only([IscsiProtocolError], () => parse(pdu));
      // lun -1 stands for an addressing method we do not serve; it has no encoding.
      if (first === undefined || (first as { lun?: number }).lun === -1) continue;
      const again = only([IscsiProtocolError], () => parse(asPdu(serialize(first as never).subarray(0, 48))));
      check(again !== undefined && isDeepStrictEqual(again, first), `${parse.name} round trip keeps the fields`);
    }
  }
}

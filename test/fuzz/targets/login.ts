/**
 * The login state machine (login.ts) with CHAP (auth.ts): a stream of framed PDUs is
 * handed to LoginMachine.handle as Login Requests. Each step answers or throws
 * IscsiProtocolError, and a reply is well formed: a stage the RFC allows, a data segment
 * that is text, full feature only after the operational stage.
 */
import { check, only } from '../contract.js';
import { frame } from '../frames.js';
import { chapAuthExchange } from '../../../src/iscsi/auth.js';
import { IscsiProtocolError } from '../../../src/iscsi/errors.js';
import { LoginMachine, type LoginHost } from '../../../src/iscsi/login.js';
import { parseLoginRequest } from '../../../src/iscsi/pdu/login.js';
import { parseText } from '../../../src/iscsi/text.js';
import { TestCatalog, globals } from '../../iscsi/harness.js';

/** What Jazzer instruments for coverage (scripts/fuzz.mjs reads this line). */
export const instrument = ['src/iscsi/'];

export const sync = true;

const TARGET = 'iqn.2026-01.sanbox:fuzz';
const METHODS = ['None', 'CHAP', 'CHAP Mutual', 'Auto'] as const;

function host(method: (typeof METHODS)[number]): LoginHost {
  const catalog = new TestCatalog(globals());
  catalog.add({
    name: TARGET,
    luns: new Map(),
    auth: { method, credentials: [{ user: 'alice', secret: 'alice-secret-12', peerUser: 'tgt', peerSecret: 'target-secret-34' }] },
  });
  return {
    catalog,
    portal: { portalGroup: 1, portalGroupTag: 1, listen: { host: '0.0.0.0', port: 3260 } },
    initiatorAddress: '127.0.0.1',
    authExchange: chapAuthExchange,
    admit: () => ({}),
    complete: () => 1,
  };
}

export function fuzz(data: Buffer): void {
  if (data.length < 1) return;
  const machine = new LoginMachine(host(METHODS[data[0]! & 3]!));
  const { pdus } = frame(data.subarray(1), { header: false, data: false });
  for (const { pdu } of pdus.slice(0, 8)) {
    const req = only([IscsiProtocolError], () => parseLoginRequest(pdu));
    if (req === undefined) return;
    const reply = only([IscsiProtocolError], () => machine.handle(req, pdu.data));
    if (reply === undefined) return;
    check([0, 1, 3].includes(reply.csg) && [0, 1, 3].includes(reply.nsg), 'reply stages are 0, 1 or 3');
    check(!reply.fullFeature || (reply.transit && reply.nsg === 3), 'full feature only on a transit to stage 3');
    check(only([IscsiProtocolError], () => parseText(reply.data)) !== undefined, 'reply data is well-formed text');
    if (reply.fullFeature) return;
  }
}

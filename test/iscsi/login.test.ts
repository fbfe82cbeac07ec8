import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chapAuthExchange } from '../../src/iscsi/auth.js';
import { ChapInitiator } from '../../src/iscsi/chap.js';
import { IscsiProtocolError, LoginStatus } from '../../src/iscsi/errors.js';
import { LoginMachine, type LoginHost, type LoginState } from '../../src/iscsi/login.js';
import type { LoginRequestPdu } from '../../src/iscsi/pdu.js';
import { parseText, serializeText, type TextPairs } from '../../src/iscsi/text.js';
import { TestCatalog, globals } from './harness.js';

const TARGET = 'iqn.1999-07.com.example:diskarray.sn.88';
const INITIATOR = 'iqn.1999-07.com.os:hostid.77';

function setup(over: { auth?: 'None' | 'CHAP' | 'CHAP Mutual' | 'Auto'; admits?: boolean } = {}) {
  const catalog = new TestCatalog(globals());
  catalog.add({
    name: TARGET,
    alias: 'array 88',
    luns: new Map(),
    auth: { method: over.auth ?? 'None', credentials: [{ user: 'alice', secret: 'alice-secret-12', peerUser: 'tgt', peerSecret: 'target-secret-34' }] },
    admits: () => over.admits ?? true,
  });
  const completed: LoginState[] = [];
  const host: LoginHost = {
    catalog,
    portal: { portalGroupTag: 1, listen: { host: '0.0.0.0', port: 3260 } },
    initiatorAddress: '127.0.0.1',
    authExchange: chapAuthExchange,
    admit: () => ({}),
    complete: (st) => {
      completed.push(st);
      return 7;
    },
  };
  return { machine: new LoginMachine(host), completed };
}

function req(csg: number, nsg: number, transit: boolean, extra: Partial<LoginRequestPdu> = {}): LoginRequestPdu {
  return { transit, cont: false, csg, nsg, versionMax: 0, versionMin: 0, isid: Buffer.from('400001370000', 'hex'), tsih: 0, itt: 1, cid: 1, cmdSN: 1, expStatSN: 0, ...extra };
}
const text = (pairs: TextPairs) => serializeText(pairs);
const keys = (b: Buffer) => Object.fromEntries(parseText(b));

function loginStatusOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof IscsiProtocolError) return e.loginStatus;
    throw e;
  }
  return undefined;
}

test('RFC 7143 B.1-style login: security stage with AuthMethod=None, then operational, to full feature', () => {
  const { machine, completed } = setup();
  const r1 = machine.handle(req(0, 1, true), text([['InitiatorName', INITIATOR], ['TargetName', TARGET], ['AuthMethod', 'KRB5,SRP,None']]));
  assert.equal(r1.transit, true);
  assert.equal(r1.nsg, 1);
  assert.deepEqual(keys(r1.data), { TargetPortalGroupTag: '1', AuthMethod: 'None' });
  const r2 = machine.handle(req(1, 3, true), text([['HeaderDigest', 'None'], ['MaxRecvDataSegmentLength', '8192'], ['ImmediateData', 'Yes']]));
  assert.equal(r2.fullFeature, true);
  assert.equal(r2.tsih, 7);
  assert.deepEqual(keys(r2.data), { HeaderDigest: 'None', ImmediateData: 'Yes', MaxRecvDataSegmentLength: '262144', TargetAlias: 'array 88' });
  assert.equal(completed[0]!.initiatorName, INITIATOR);
  assert.equal(completed[0]!.isidHex, '400001370000');
});

test('login straight into the operational stage is allowed without CHAP', () => {
  const { machine } = setup();
  const r = machine.handle(req(1, 3, true), text([['InitiatorName', INITIATOR], ['TargetName', TARGET]]));
  assert.equal(r.fullFeature, true);
});

test('login failures: unknown target 0x0203, not admitted 0x0202, missing names 0x0207, version 0x0205', () => {
  assert.equal(loginStatusOf(() => setup().machine.handle(req(0, 1, true), text([['InitiatorName', INITIATOR], ['TargetName', 'iqn.nope:x']]))), LoginStatus.NotFound);
  assert.equal(loginStatusOf(() => setup({ admits: false }).machine.handle(req(0, 1, true), text([['InitiatorName', INITIATOR], ['TargetName', TARGET]]))), LoginStatus.AuthorizationFailure);
  assert.equal(loginStatusOf(() => setup().machine.handle(req(0, 1, true), text([['TargetName', TARGET]]))), LoginStatus.MissingParameter);
  assert.equal(loginStatusOf(() => setup().machine.handle(req(0, 1, true), text([['InitiatorName', INITIATOR]]))), LoginStatus.MissingParameter);
  assert.equal(loginStatusOf(() => setup().machine.handle(req(0, 1, true, { versionMin: 2, versionMax: 2 }), text([['InitiatorName', INITIATOR]]))), LoginStatus.UnsupportedVersion);
  assert.equal(loginStatusOf(() => setup().machine.handle(req(0, 1, true), text([['InitiatorName', INITIATOR], ['SessionType', 'Weird']]))), LoginStatus.SessionTypeNotSupported);
});

test('CHAP required: AuthMethod=None or skipping security fails with 0x0201', () => {
  assert.equal(loginStatusOf(() => setup({ auth: 'CHAP' }).machine.handle(req(0, 1, true), text([['InitiatorName', INITIATOR], ['TargetName', TARGET], ['AuthMethod', 'None']]))), LoginStatus.AuthenticationFailure);
  assert.equal(loginStatusOf(() => setup({ auth: 'CHAP' }).machine.handle(req(1, 3, true), text([['InitiatorName', INITIATOR], ['TargetName', TARGET]]))), LoginStatus.AuthenticationFailure);
});

for (const mutual of [false, true]) {
  test(`CHAP exchange through the security-stage hook (${mutual ? 'mutual' : 'one-way'})`, () => {
    const { machine } = setup({ auth: mutual ? 'CHAP Mutual' : 'CHAP' });
    const chap = new ChapInitiator({ user: 'alice', secret: 'alice-secret-12', ...(mutual ? { targetUser: 'tgt', targetSecret: 'target-secret-34' } : {}) });
    const r1 = machine.handle(req(0, 1, true), text([['InitiatorName', INITIATOR], ['TargetName', TARGET], ['AuthMethod', 'CHAP,None']]));
    assert.equal(r1.transit, false);
    assert.equal(keys(r1.data).AuthMethod, 'CHAP');
    const r2 = machine.handle(req(0, 1, false), text(Object.entries(chap.offer())));
    const k2 = keys(r2.data);
    assert.ok(k2.CHAP_A && k2.CHAP_I && k2.CHAP_C);
    const ans = chap.respond(new Map(Object.entries(k2)));
    assert.ok(ans.ok);
    const r3 = machine.handle(req(0, 1, true), text(Object.entries(ans.keys)));
    assert.equal(r3.transit, true);
    if (mutual) assert.ok(chap.verifyTarget(new Map(Object.entries(keys(r3.data)))).ok);
    const r4 = machine.handle(req(1, 3, true), text([]));
    assert.equal(r4.fullFeature, true);
  });
}

test('CHAP with a wrong secret fails with 0x0201', () => {
  const { machine } = setup({ auth: 'CHAP' });
  const chap = new ChapInitiator({ user: 'alice', secret: 'wrong-secret-99' });
  machine.handle(req(0, 1, true), text([['InitiatorName', INITIATOR], ['TargetName', TARGET], ['AuthMethod', 'CHAP']]));
  const r2 = machine.handle(req(0, 1, false), text(Object.entries(chap.offer())));
  const ans = chap.respond(new Map(Object.entries(keys(r2.data))));
  assert.ok(ans.ok);
  assert.equal(loginStatusOf(() => machine.handle(req(0, 1, true), text(Object.entries(ans.keys)))), LoginStatus.AuthenticationFailure);
});

test('login text split over PDUs with the C bit is reassembled', () => {
  const { machine } = setup();
  const body = text([['InitiatorName', INITIATOR], ['TargetName', TARGET], ['AuthMethod', 'None']]);
  const r1 = machine.handle({ ...req(0, 1, false), cont: true }, body.subarray(0, 20));
  assert.equal(r1.data.length, 0);
  const r2 = machine.handle(req(0, 1, true), body.subarray(20));
  assert.equal(keys(r2.data).AuthMethod, 'None');
});

test('discovery session: no TargetName needed, no TargetPortalGroupTag sent', () => {
  const { machine } = setup();
  const r = machine.handle(req(0, 3, true), text([['InitiatorName', INITIATOR], ['SessionType', 'Discovery'], ['AuthMethod', 'None']]));
  assert.equal(r.fullFeature, true);
  assert.deepEqual(keys(r.data), { AuthMethod: 'None' });
});

test('stage errors: CSG changing backwards or NSG not ahead is an initiator error', () => {
  const { machine } = setup();
  machine.handle(req(0, 1, true), text([['InitiatorName', INITIATOR], ['TargetName', TARGET]]));
  assert.equal(loginStatusOf(() => machine.handle(req(0, 1, true), text([]))), LoginStatus.InitiatorError);
  assert.equal(loginStatusOf(() => setup().machine.handle(req(1, 0, true), text([['InitiatorName', INITIATOR], ['TargetName', TARGET]]))), LoginStatus.InitiatorError);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chapAuthExchange } from '../../src/iscsi/auth.js';
import { ChapInitiator } from '../../src/iscsi/chap.js';
import { IscsiProtocolError, LoginStatus } from '../../src/iscsi/errors.js';
import { LoginMachine, type LoginHost, type LoginState } from '../../src/iscsi/login.js';
import type { LoginRequestPdu } from '../../src/iscsi/pdu/login.js';
import { parseText, serializeText, type TextPairs } from '../../src/iscsi/text.js';
import { TestCatalog, globals } from './harness.js';

const TARGET = 'iqn.1999-07.com.example:diskarray.sn.88';
const INITIATOR = 'iqn.1999-07.com.os:hostid.77';

function setup(over: { auth?: 'None' | 'CHAP' | 'CHAP Mutual' | 'Auto'; admits?: boolean; serviceAvailable?: boolean } = {}) {
  const catalog = new TestCatalog(globals());
  catalog.add({
    name: TARGET,
    alias: 'array 88',
    luns: new Map(),
    auth: { method: over.auth ?? 'None', credentials: [{ user: 'alice', secret: 'alice-secret-12', peerUser: 'tgt', peerSecret: 'target-secret-34' }] },
    admits: () => over.admits ?? true,
    ...(over.serviceAvailable === undefined ? {} : { serviceAvailable: over.serviceAvailable }),
  });
  const completed: LoginState[] = [];
  const host: LoginHost = {
    catalog,
    portal: { portalGroup: 1, portalGroupTag: 1, listen: { host: '0.0.0.0', port: 3260 } },
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
  return {
    transit,
    cont: false,
    csg,
    nsg,
    versionMax: 0,
    versionMin: 0,
    isid: Buffer.from('400001370000', 'hex'),
    tsih: 0,
    itt: 1,
    cid: 1,
    cmdSN: 1,
    expStatSN: 0,
    ...extra,
  };
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
  const r1 = machine.handle(
    req(0, 1, true),
    text([
      ['InitiatorName', INITIATOR],
      ['TargetName', TARGET],
      ['AuthMethod', 'KRB5,SRP,None'],
    ]),
  );
  assert.equal(r1.transit, true);
  assert.equal(r1.nsg, 1);
  assert.deepEqual(keys(r1.data), { TargetPortalGroupTag: '1', AuthMethod: 'None' });
  const r2 = machine.handle(
    req(1, 3, true),
    text([
      ['HeaderDigest', 'None'],
      ['MaxRecvDataSegmentLength', '8192'],
      ['ImmediateData', 'Yes'],
    ]),
  );
  assert.equal(r2.fullFeature, true);
  assert.equal(r2.tsih, 7);
  assert.deepEqual(keys(r2.data), { HeaderDigest: 'None', ImmediateData: 'Yes', MaxRecvDataSegmentLength: '262144', TargetAlias: 'array 88' });
  assert.equal(completed[0]!.initiatorName, INITIATOR);
  assert.equal(completed[0]!.isidHex, '400001370000');
});

test('login straight into the operational stage is allowed without CHAP', () => {
  const { machine } = setup();
  const r = machine.handle(
    req(1, 3, true),
    text([
      ['InitiatorName', INITIATOR],
      ['TargetName', TARGET],
    ]),
  );
  assert.equal(r.fullFeature, true);
});

test('login failures: unknown target 0x0203, not admitted 0x0202, missing names 0x0207, version 0x0205', () => {
  assert.equal(
    loginStatusOf(() =>
      setup().machine.handle(
        req(0, 1, true),
        text([
          ['InitiatorName', INITIATOR],
          ['TargetName', 'iqn.nope:x'],
        ]),
      ),
    ),
    LoginStatus.NotFound,
  );
  assert.equal(
    loginStatusOf(() =>
      setup({ admits: false }).machine.handle(
        req(0, 1, true),
        text([
          ['InitiatorName', INITIATOR],
          ['TargetName', TARGET],
        ]),
      ),
    ),
    LoginStatus.AuthorizationFailure,
  );
  assert.equal(
    loginStatusOf(() => setup().machine.handle(req(0, 1, true), text([['TargetName', TARGET]]))),
    LoginStatus.MissingParameter,
  );
  assert.equal(
    loginStatusOf(() => setup().machine.handle(req(0, 1, true), text([['InitiatorName', INITIATOR]]))),
    LoginStatus.MissingParameter,
  );
  assert.equal(
    loginStatusOf(() => setup().machine.handle(req(0, 1, true, { versionMin: 2, versionMax: 2 }), text([['InitiatorName', INITIATOR]]))),
    LoginStatus.UnsupportedVersion,
  );
  assert.equal(
    loginStatusOf(() =>
      setup().machine.handle(
        req(0, 1, true),
        text([
          ['InitiatorName', INITIATOR],
          ['SessionType', 'Weird'],
        ]),
      ),
    ),
    LoginStatus.SessionTypeNotSupported,
  );
});

test('CHAP required: AuthMethod=None or skipping security fails with 0x0201', () => {
  assert.equal(
    loginStatusOf(() =>
      setup({ auth: 'CHAP' }).machine.handle(
        req(0, 1, true),
        text([
          ['InitiatorName', INITIATOR],
          ['TargetName', TARGET],
          ['AuthMethod', 'None'],
        ]),
      ),
    ),
    LoginStatus.AuthenticationFailure,
  );
  assert.equal(
    loginStatusOf(() =>
      setup({ auth: 'CHAP' }).machine.handle(
        req(1, 3, true),
        text([
          ['InitiatorName', INITIATOR],
          ['TargetName', TARGET],
        ]),
      ),
    ),
    LoginStatus.AuthenticationFailure,
  );
});

for (const mutual of [false, true]) {
  test(`CHAP exchange through the security-stage hook (${mutual ? 'mutual' : 'one-way'})`, () => {
    const { machine } = setup({ auth: mutual ? 'CHAP Mutual' : 'CHAP' });
    const chap = new ChapInitiator({ user: 'alice', secret: 'alice-secret-12', ...(mutual ? { targetUser: 'tgt', targetSecret: 'target-secret-34' } : {}) });
    const r1 = machine.handle(
      req(0, 1, true),
      text([
        ['InitiatorName', INITIATOR],
        ['TargetName', TARGET],
        ['AuthMethod', 'CHAP,None'],
      ]),
    );
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
  machine.handle(
    req(0, 1, true),
    text([
      ['InitiatorName', INITIATOR],
      ['TargetName', TARGET],
      ['AuthMethod', 'CHAP'],
    ]),
  );
  const r2 = machine.handle(req(0, 1, false), text(Object.entries(chap.offer())));
  const ans = chap.respond(new Map(Object.entries(keys(r2.data))));
  assert.ok(ans.ok);
  assert.equal(
    loginStatusOf(() => machine.handle(req(0, 1, true), text(Object.entries(ans.keys)))),
    LoginStatus.AuthenticationFailure,
  );
});

test('login text split over PDUs with the C bit is reassembled', () => {
  const { machine } = setup();
  const body = text([
    ['InitiatorName', INITIATOR],
    ['TargetName', TARGET],
    ['AuthMethod', 'None'],
  ]);
  const r1 = machine.handle({ ...req(0, 1, false), cont: true }, body.subarray(0, 20));
  assert.equal(r1.data.length, 0);
  const r2 = machine.handle(req(0, 1, true), body.subarray(20));
  assert.equal(keys(r2.data).AuthMethod, 'None');
});

test('discovery session: no TargetName needed, no TargetPortalGroupTag sent', () => {
  const { machine } = setup();
  const r = machine.handle(
    req(0, 3, true),
    text([
      ['InitiatorName', INITIATOR],
      ['SessionType', 'Discovery'],
      ['AuthMethod', 'None'],
    ]),
  );
  assert.equal(r.fullFeature, true);
  assert.deepEqual(keys(r.data), { AuthMethod: 'None' });
});

test('stage errors: CSG changing backwards or NSG not ahead is an initiator error', () => {
  const { machine } = setup();
  machine.handle(
    req(0, 1, true),
    text([
      ['InitiatorName', INITIATOR],
      ['TargetName', TARGET],
    ]),
  );
  assert.equal(
    loginStatusOf(() => machine.handle(req(0, 1, true), text([]))),
    LoginStatus.InitiatorError,
  );
  assert.equal(
    loginStatusOf(() =>
      setup().machine.handle(
        req(1, 0, true),
        text([
          ['InitiatorName', INITIATOR],
          ['TargetName', TARGET],
        ]),
      ),
    ),
    LoginStatus.InitiatorError,
  );
});

/** libiscsi 1.x's first Login Request (iscsi-inq), captured on the wire: CSG=1, NSG=3, T=1. */
const LIBISCSI_LOGIN = Buffer.from(
  '43870000000001a7802900e9000000006927cc4e0000000065b3ae200000000100000000000000000000000000000000496e69746961746f724e616d653d69716e2e323032362d31312e746573742e73616e626f783a6361707475726564005461726765744e616d653d69716e2e323032362d31312e746573742e73616e626f783a6469736b300053657373696f6e547970653d4e6f726d616c004865616465724469676573743d4e6f6e652c43524333324300446174614469676573743d4e6f6e6500496e697469616c5232543d4e6f00496d6d656469617465446174613d596573004d617842757273744c656e6774683d32363231343400466972737442757273744c656e6774683d3236323134340044656661756c7454696d6532576169743d320044656661756c7454696d653252657461696e3d30004d61784f75747374616e64696e675232543d31004572726f725265636f766572794c6576656c3d300049464d61726b65723d4e6f004f464d61726b65723d4e6f004d6178436f6e6e656374696f6e733d31004d617852656376446174615365676d656e744c656e6774683d3236323134340044617461504455496e4f726465723d596573004461746153657175656e6365496e4f726465723d5965730000',
  'hex',
);

test('captured libiscsi login request: decoded, negotiated and answered in one step', async () => {
  const { PduParser } = await import('../../src/iscsi/pdu/framer.js');
  const { parseLoginRequest } = await import('../../src/iscsi/pdu/login.js');
  const pdus: Array<{ bhs: Buffer; data: Buffer }> = [];
  new PduParser({ maxDataSegmentLength: 8192, headerDigest: false, dataDigest: false }).feed(LIBISCSI_LOGIN, (p) =>
    pdus.push({ bhs: Buffer.from(p.bhs), data: Buffer.from(p.data) }),
  );
  assert.equal(pdus.length, 1);
  const r = parseLoginRequest({ bhs: pdus[0]!.bhs, ahs: null, data: pdus[0]!.data });
  assert.deepEqual(
    { transit: r.transit, csg: r.csg, nsg: r.nsg, tsih: r.tsih, cid: r.cid, isid: r.isid.toString('hex') },
    { transit: true, csg: 1, nsg: 3, tsih: 0, cid: 0, isid: '802900e90000' },
  );
  const catalog = new TestCatalog(globals());
  catalog.add({ name: 'iqn.2026-11.test.sanbox:disk0', luns: new Map() });
  const machine = new LoginMachine({
    catalog,
    portal: { portalGroup: 1, portalGroupTag: 1, listen: { host: '127.0.0.1', port: 3260 } },
    initiatorAddress: '127.0.0.1',
    admit: () => ({}),
    complete: () => 1,
  });
  const reply = machine.handle(r, pdus[0]!.data);
  assert.equal(reply.fullFeature, true);
  assert.deepEqual(keys(reply.data), {
    TargetPortalGroupTag: '1',
    HeaderDigest: 'None',
    DataDigest: 'None',
    InitialR2T: 'No',
    ImmediateData: 'Yes',
    MaxBurstLength: '262144',
    FirstBurstLength: '65536',
    DefaultTime2Wait: '2',
    DefaultTime2Retain: '0',
    MaxOutstandingR2T: '1',
    ErrorRecoveryLevel: '0',
    IFMarker: 'No',
    OFMarker: 'No',
    MaxConnections: '1',
    DataPDUInOrder: 'Yes',
    DataSequenceInOrder: 'Yes',
    MaxRecvDataSegmentLength: '262144',
  });
  assert.equal(machine.negotiated!.initiatorMaxRecvDataSegmentLength, 262144);
});

test("a target whose service is switched off: SERVICE UNAVAILABLE (0x0301), while another portal group's target of the same tag is not found (0x0203)", () => {
  const login = () =>
    text([
      ['InitiatorName', INITIATOR],
      ['TargetName', TARGET],
    ]);
  assert.equal(
    loginStatusOf(() => setup({ serviceAvailable: false }).machine.handle(req(0, 1, true), login())),
    LoginStatus.ServiceUnavailable,
  );
  assert.equal(setup({ serviceAvailable: true }).machine.handle(req(1, 3, true), login()).fullFeature, true);
  // The target is on portal group 2, which carries tag 1 as the connection's group 1 does.
  const catalog = new TestCatalog(globals());
  catalog.add({ name: TARGET, luns: new Map(), portalGroup: 2, portalGroupTag: 1 });
  const machine = new LoginMachine({
    catalog,
    portal: { portalGroup: 1, portalGroupTag: 1, listen: { host: '127.0.0.1', port: 3260 } },
    initiatorAddress: '127.0.0.1',
    admit: () => ({}),
    complete: () => 1,
  });
  assert.equal(
    loginStatusOf(() => machine.handle(req(0, 1, true), login())),
    LoginStatus.NotFound,
  );
});

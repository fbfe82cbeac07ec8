/**
 * Access settings of the FreeNAS API govern who may log in to what, on the live target:
 * CHAP and mutual CHAP for targets and discovery, initiator groups by name and network.
 * Checked with libiscsi's tools (CHAP MD5, mutual via its target-credential variables)
 * and qemu-img's iscsi driver.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../src/log.js';
import { FREENAS, startSanbox, type TestSanbox } from '../support/sanbox.js';
import { freePort, iscsiLs, run } from './peers.js';
import { post, provisionTarget, put, type Provisioned } from './provision.js';

const USER = 'alice';
const SECRET = 'alice-secret-1234';
const PEER_USER = 'target-bob';
const PEER_SECRET = 'bob-peer-secret-99';

let sb: TestSanbox;
let t: Provisioned;
const logLines: string[] = [];

before(async () => {
  const logger = createLogger('debug', { write: (line: string) => void logLines.push(line) });
  sb = await startSanbox({ ports: { logger } });
  t = await provisionTarget(sb, { port: await freePort(), size: '16MB' });
  await post(sb, 'authcredential', {
    iscsi_target_auth_tag: 1,
    iscsi_target_auth_user: USER,
    iscsi_target_auth_secret: SECRET,
    iscsi_target_auth_peeruser: PEER_USER,
    iscsi_target_auth_peersecret: PEER_SECRET,
  });
});
after(async () => {
  await sb.stop();
});

interface Creds {
  user?: string;
  secret?: string;
  /** Mutual CHAP: what the initiator expects the target to prove. */
  targetUser?: string;
  targetSecret?: string;
}

function url(c: Creds, path = ''): string {
  const auth = c.user ? `${encodeURIComponent(c.user)}%${encodeURIComponent(c.secret ?? '')}@` : '';
  return `iscsi://${auth}127.0.0.1:${t.port}/${path}`;
}

function env(c: Creds): NodeJS.ProcessEnv {
  return c.targetUser ? { LIBISCSI_CHAP_TARGET_USERNAME: c.targetUser, LIBISCSI_CHAP_TARGET_PASSWORD: c.targetSecret ?? '' } : {};
}

async function canLogin(c: Creds, initiatorName?: string): Promise<boolean> {
  const args = initiatorName ? ['-i', initiatorName] : [];
  const r = await run('iscsi-inq', [...args, url(c, `${t.iqn}/0`)], { env: env(c), timeoutMs: 15_000 });
  return r.code === 0 && /DIRECT_ACCESS/.test(r.stdout);
}

async function discovers(c: Creds, initiatorName?: string): Promise<boolean | 'refused'> {
  const args = initiatorName ? ['-i', initiatorName] : [];
  const r = await run('iscsi-ls', [...args, url(c)], { env: env(c), timeoutMs: 15_000 });
  if (r.code !== 0) return 'refused';
  return r.stdout.includes(`Target:${t.iqn}`);
}

async function setTarget(authtype: string, authgroup: number | null): Promise<void> {
  await put(sb, 'target', t.targetId, { iscsi_target_authtype: authtype, iscsi_target_authgroup: authgroup });
}

async function setDiscovery(method: string, group: number | null): Promise<void> {
  const res = await sb.api('PUT', `${FREENAS}/globalconfiguration/`, {
    iscsi_discoveryauthmethod: method,
    iscsi_discoveryauthgroup: group,
  });
  assert.equal(res.status, 200, res.text);
}

const none: Creds = {};
const right: Creds = { user: USER, secret: SECRET };
const wrongSecret: Creds = { user: USER, secret: 'not-the-secret!!' };
const wrongUser: Creds = { user: 'mallory', secret: SECRET };
const mutual: Creds = { ...right, targetUser: PEER_USER, targetSecret: PEER_SECRET };
const mutualWrongPeer: Creds = { ...right, targetUser: PEER_USER, targetSecret: 'an-impostor-secret' };

/** Expected outcome of each credential set under each target authtype. */
const targetMatrix: Record<string, Array<[string, Creds, boolean]>> = {
  None: [
    ['no credentials', none, true],
    ['CHAP credentials', right, true],
  ],
  Auto: [
    ['no credentials', none, true],
    ['right secret', right, true],
    ['wrong secret', wrongSecret, false],
    ['mutual', mutual, true],
  ],
  CHAP: [
    ['no credentials', none, false],
    ['right secret', right, true],
    ['wrong secret', wrongSecret, false],
    ['wrong user', wrongUser, false],
    ['mutual', mutual, true],
  ],
  'CHAP Mutual': [
    ['no credentials', none, false],
    ['one-way CHAP', right, false],
    ['mutual', mutual, true],
    ['target proves a wrong secret', mutualWrongPeer, false],
  ],
};

describe('target authtype with libiscsi (iscsi-inq)', () => {
  for (const [authtype, cases] of Object.entries(targetMatrix)) {
    test(`authtype ${authtype}`, async () => {
      await setTarget(authtype, authtype === 'None' ? null : 1);
      for (const [label, creds, ok] of cases) {
        assert.equal(await canLogin(creds), ok, `${authtype} / ${label}`);
      }
    });
  }
  after(() => setTarget('None', null));
});

describe('discovery auth x target authtype (iscsi-ls)', () => {
  // Discovery is governed by the global setting alone; the target's authtype decides
  // only the login to the target itself.
  const discoveryCases: Record<string, Array<[string, Creds, boolean]>> = {
    None: [['no credentials', none, true]],
    Auto: [
      ['no credentials', none, true],
      ['right secret', right, true],
      ['wrong secret', wrongSecret, false],
    ],
    CHAP: [
      ['no credentials', none, false],
      ['right secret', right, true],
      ['wrong user', wrongUser, false],
    ],
    'CHAP Mutual': [
      ['one-way CHAP', right, false],
      ['mutual', mutual, true],
      ['target proves a wrong secret', mutualWrongPeer, false],
    ],
  };
  for (const [method, cases] of Object.entries(discoveryCases)) {
    for (const authtype of Object.keys(targetMatrix)) {
      test(`discovery ${method}, target ${authtype}`, async () => {
        await setDiscovery(method, method === 'None' ? null : 1);
        await setTarget(authtype, authtype === 'None' ? null : 1);
        for (const [label, creds, ok] of cases) {
          const seen = await discovers(creds);
          assert.equal(seen === true, ok, `discovery ${method} / ${label}: ${seen}`);
        }
        // What discovery found, the target's own rule then governs.
        const sufficient = authtype === 'CHAP Mutual' ? mutual : right;
        assert.equal(await canLogin(sufficient), true, `target ${authtype} / its credentials`);
        assert.equal(await canLogin(none), authtype === 'None' || authtype === 'Auto', `target ${authtype} / none`);
      });
    }
  }
  after(async () => {
    await setDiscovery('None', null);
    await setTarget('None', null);
  });
});

test('qemu-img reads through a CHAP-protected target with its user and password options', async () => {
  await setTarget('CHAP', 1);
  try {
    const opts = (secret: string) => [
      '--object',
      `secret,id=sec0,data=${secret}`,
      '--image-opts',
      `driver=iscsi,transport=tcp,portal=127.0.0.1:${t.port},target=${t.iqn},lun=0,user=${USER},password-secret=sec0`,
    ];
    const ok = await run('qemu-img', ['info', ...opts(SECRET)], { timeoutMs: 30_000 });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /virtual size: 16 MiB/);
    const bad = await run('qemu-img', ['info', ...opts('wrong-secret-000')], { timeoutMs: 30_000 });
    assert.notEqual(bad.code, 0);
  } finally {
    await setTarget('None', null);
  }
});

describe("every CHAP algorithm, with the project's own initiator", () => {
  const algorithms: Array<[5 | 6 | 7 | 8, string]> = [
    [5, 'MD5'],
    [6, 'SHA1'],
    [7, 'SHA-256'],
    [8, 'SHA3-256'],
  ];
  before(() => setTarget('CHAP Mutual', 1));
  after(() => setTarget('None', null));
  for (const [alg, name] of algorithms) {
    test(`CHAP_A=${alg} (${name}): mutual login works, a wrong secret gets 0x0201`, async () => {
      const { IscsiInitiator, LoginFailedError } = await import('../../src/initiator/client.js');
      const ok = await IscsiInitiator.connect('127.0.0.1', t.port);
      try {
        const r = await ok.login({
          initiatorName: 'iqn.2026-11.test:alg',
          targetName: t.iqn,
          chap: { user: USER, secret: SECRET, targetUser: PEER_USER, targetSecret: PEER_SECRET, offer: [alg] },
        });
        assert.equal(r.statusClass, 0);
        await ok.logout();
      } finally {
        ok.socket.destroy();
      }
      const bad = await IscsiInitiator.connect('127.0.0.1', t.port);
      try {
        await assert.rejects(
          bad.login({
            initiatorName: 'iqn.2026-11.test:alg',
            targetName: t.iqn,
            chap: { user: USER, secret: 'wrong-secret-xyz', targetUser: PEER_USER, targetSecret: PEER_SECRET, offer: [alg] },
          }),
          (e: unknown) => e instanceof LoginFailedError && e.status === 0x0201,
        );
      } finally {
        bad.socket.destroy();
      }
    });
  }
});

test('a connection from 127.0.0.2 is refused by a group limited to 127.0.0.1/32', async () => {
  const { IscsiInitiator, LoginFailedError } = await import('../../src/initiator/client.js');
  await put(sb, 'authorizedinitiator', t.initiatorGroupId, { iscsi_target_initiator_auth_network: '127.0.0.1/32' });
  try {
    const from2 = await IscsiInitiator.connect('127.0.0.1', t.port, 5000, '127.0.0.2');
    try {
      assert.deepEqual(await from2.sendTargets(), [], 'discovery from 127.0.0.2 lists nothing');
    } finally {
      from2.socket.destroy();
    }
    const login2 = await IscsiInitiator.connect('127.0.0.1', t.port, 5000, '127.0.0.2');
    try {
      await assert.rejects(
        login2.login({ initiatorName: 'iqn.2026-11.test:from2', targetName: t.iqn }),
        (e: unknown) => e instanceof LoginFailedError && e.status === 0x0202,
      );
    } finally {
      login2.socket.destroy();
    }
    const from1 = await IscsiInitiator.connect('127.0.0.1', t.port, 5000, '127.0.0.1');
    try {
      await from1.login({ initiatorName: 'iqn.2026-11.test:from1', targetName: t.iqn });
    } finally {
      from1.socket.destroy();
    }
  } finally {
    await put(sb, 'authorizedinitiator', t.initiatorGroupId, { iscsi_target_initiator_auth_network: 'ALL' });
  }
});

test('initiator names outside the group cannot log in and do not see the target', async () => {
  await put(sb, 'authorizedinitiator', t.initiatorGroupId, {
    iscsi_target_initiator_initiators: 'iqn.2026-11.test:allowed',
    iscsi_target_initiator_auth_network: 'ALL',
  });
  try {
    assert.equal(await canLogin(none, 'iqn.2026-11.test:allowed'), true);
    assert.equal(await discovers(none, 'iqn.2026-11.test:allowed'), true);
    assert.equal(await canLogin(none, 'iqn.2026-11.test:stranger'), false);
    assert.equal(await discovers(none, 'iqn.2026-11.test:stranger'), false);
  } finally {
    await put(sb, 'authorizedinitiator', t.initiatorGroupId, { iscsi_target_initiator_initiators: 'ALL' });
  }
});

test('a source address outside auth_network cannot log in and does not see the target', async () => {
  // libiscsi connects from 127.0.0.1; a group limited to 127.0.0.2 shuts it out.
  await put(sb, 'authorizedinitiator', t.initiatorGroupId, { iscsi_target_initiator_auth_network: '127.0.0.2/32' });
  assert.equal(await canLogin(none), false);
  assert.equal(await discovers(none), false);
  await put(sb, 'authorizedinitiator', t.initiatorGroupId, { iscsi_target_initiator_auth_network: '127.0.0.1/32, ::1' });
  assert.equal(await canLogin(none), true);
  assert.equal(await discovers(none), true);
  await put(sb, 'authorizedinitiator', t.initiatorGroupId, { iscsi_target_initiator_auth_network: 'ALL' });
});

test('switching a target to CHAP ends the sessions that logged in without it', async () => {
  const ls = await iscsiLs(t.port);
  assert.ok(ls.targets.has(t.iqn));
  const { IscsiInitiator } = await import('../../src/initiator/client.js');
  const ini = await IscsiInitiator.connect('127.0.0.1', t.port);
  await ini.login({ initiatorName: 'iqn.2026-11.test:open', targetName: t.iqn });
  await setTarget('CHAP', 1);
  await ini.whenClosed();
  assert.ok(ini.isClosed);
  await setTarget('None', null);
});

test('refusals are logged with their reason, and no CHAP secret reaches the log', async () => {
  assert.ok(logLines.length > 100, 'the run logged');
  const refusals = logLines.filter((l) => l.includes('login failed'));
  assert.ok(refusals.length > 5, 'CHAP refusals were logged');
  for (const line of logLines) {
    for (const secret of [SECRET, PEER_SECRET, 'not-the-secret!!', 'an-impostor-secret']) {
      assert.ok(!line.includes(secret), `a log line carries a secret: ${line}`);
    }
  }
  // The seed returns secrets in GET, and clients expect them there.
  const list = await sb.api('GET', `${FREENAS}/authcredential/`);
  assert.equal(list.body[0].iscsi_target_auth_secret, SECRET);
});

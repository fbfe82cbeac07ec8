/**
 * NetApp's own Ansible collection (netapp.ontap, in Debian's `ansible`) provisions an SVM's
 * SAN objects through sanbox's ONTAP API over HTTPS, re-runs without a change, modifies
 * them, and removes them; in between, what it made is served: the igroup's initiator logs
 * in to the LIF's address and reads back with qemu-img what it wrote, another initiator
 * is refused, and the iSCSI service stopped ends the live session and refuses logins
 * until it is started again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IscsiInitiator, LoginFailedError } from '../../src/initiator/client.js';
import { READ_CAPACITY_16, parseCapacity16, RC16_LENGTH } from '../../src/initiator/cdbs.js';
import { type TestSanbox, startSanbox } from '../support/sanbox.js';
import { freePort, run } from './peers.js';
import { FIRST, assertPlay, playbook, type Vars } from './ontap-playbook.js';

const LIF_ADDRESS = FIRST.lif_address;
const HOST1 = FIRST.initiators[0]!;
const HOST2 = 'iqn.2026-01.org.example:host2';
const STRANGER = 'iqn.2026-01.org.example:stranger';
const MiB = 1024 * 1024;

async function targetName(sb: TestSanbox): Promise<string> {
  const res = await sb.api('GET', '/api/protocols/san/iscsi/services?svm.name=svm1&fields=target.name');
  assert.equal(res.status, 200, res.text);
  return res.body.records[0].target.name as string;
}

const imageOpts = (port: number, iqn: string, initiator: string) =>
  `driver=iscsi,transport=tcp,portal=${LIF_ADDRESS}:${port},target=${iqn},lun=0,initiator-name=${initiator}`;

async function loginRefusal(port: number, iqn: string, initiator: string): Promise<number | null> {
  const ini = await IscsiInitiator.connect(LIF_ADDRESS, port);
  try {
    await ini.login({ initiatorName: initiator, targetName: iqn });
    return null;
  } catch (err) {
    if (err instanceof LoginFailedError) return err.status;
    throw err;
  } finally {
    ini.socket.destroy();
  }
}

test('netapp.ontap provisions, re-runs unchanged, modifies and removes an SVM whose LUN is served to its igroup alone', { timeout: 900_000 }, async () => {
  const portalPort = await freePort(LIF_ADDRESS);
  const sb = await startSanbox({ env: { SANBOX_PORTAL_PORT: String(portalPort) } });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sanbox-ontap-data-'));
  try {
    assertPlay(await playbook(sb, 'provision.yml', {}), 7, 'first run creates all seven');
    assertPlay(await playbook(sb, 'provision.yml', {}), 0, 're-run');

    const iqn = await targetName(sb);
    assert.match(iqn, /^iqn\.1992-08\.com\.netapp:sn\.[0-9a-f]{32}:vs\.\d+$/);
    // The igroup's initiator writes 20 MiB through the LIF and reads the same bytes back.
    const src = path.join(work, 'src.img');
    const back = path.join(work, 'back.img');
    fs.writeFileSync(src, randomBytes(20 * MiB));
    const into = await run('qemu-img', ['convert', '-n', '-f', 'raw', '--target-image-opts', src, imageOpts(portalPort, iqn, HOST1)], { timeoutMs: 120_000 });
    assert.equal(into.code, 0, into.stderr);
    const out = await run('qemu-img', ['convert', '--image-opts', imageOpts(portalPort, iqn, HOST1), '-O', 'raw', back], { timeoutMs: 120_000 });
    assert.equal(out.code, 0, out.stderr);
    assert.ok(fs.readFileSync(back).equals(fs.readFileSync(src)), 'the bytes read back are the bytes written');
    // Not in the igroup: refused (AUTHORIZATION FAILURE), by libiscsi and by qemu-img.
    const inq = await run('iscsi-inq', ['-i', STRANGER, `iscsi://${LIF_ADDRESS}:${portalPort}/${iqn}/0`]);
    assert.notEqual(inq.code, 0);
    assert.match(inq.stdout + inq.stderr, /Authorization failure/);
    assert.equal(await loginRefusal(portalPort, iqn, STRANGER), 0x0202);
    const ok = await run('iscsi-inq', ['-i', HOST1, `iscsi://${LIF_ADDRESS}:${portalPort}/${iqn}/0`]);
    assert.equal(ok.code, 0, ok.stderr);

    // Modified: a comment, a bigger volume and LUN, a second initiator; then no change again.
    const grown: Partial<Vars> = { svm_comment: 'changed by ansible', volume_mb: 200, lun_mb: 30, initiators: [HOST1, HOST2] };
    assertPlay(await playbook(sb, 'provision.yml', grown), 4, 'modify (svm, volume, lun, igroup)');
    assertPlay(await playbook(sb, 'provision.yml', grown), 0, 're-run after modify');
    const svm = await sb.api('GET', '/api/svm/svms?name=svm1&fields=comment');
    assert.equal(svm.body.records[0].comment, 'changed by ansible');

    // HOST2 now logs in, and sees the grown LUN; the service stopped ends its session.
    const ini = await IscsiInitiator.connect(LIF_ADDRESS, portalPort);
    try {
      await ini.login({ initiatorName: HOST2, targetName: iqn });
      await ini.scsi(0, Buffer.alloc(6)); // past the POWER ON unit attention
      const cap = await ini.scsi(0, READ_CAPACITY_16, { readLength: RC16_LENGTH });
      assert.equal(cap.status, 0);
      const { blocks, blockSize } = parseCapacity16(cap.data);
      assert.equal(blocks * blockSize, 30 * MiB);
      const closed = new Promise<void>((resolve) => ini.socket.once('close', () => resolve()));
      assertPlay(await playbook(sb, 'provision.yml', { ...grown, service_state: 'stopped' }), 1, 'service stopped');
      await closed;
    } finally {
      ini.socket.destroy();
    }
    assert.equal(await loginRefusal(portalPort, iqn, HOST1), 0x0301, 'SERVICE UNAVAILABLE while stopped');
    assertPlay(await playbook(sb, 'provision.yml', { ...grown, service_state: 'started' }), 1, 'service started');
    assert.equal(await loginRefusal(portalPort, iqn, HOST1), null, 'admitted again');

    assertPlay(await playbook(sb, 'remove.yml', grown), 7, 'removal');
    assertPlay(await playbook(sb, 'remove.yml', grown), 0, 'removal re-run');
    const left = await sb.api('GET', '/api/svm/svms');
    assert.deepEqual(
      left.body.records.map((r: { name: string }) => r.name),
      ['default'],
    );
    const status = await sb.api('GET', '/api/status');
    assert.deepEqual(
      status.body.listeners.filter((l: { address: string }) => l.address.startsWith(LIF_ADDRESS)),
      [],
      'the LIF no longer listens',
    );
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    await sb.stop();
  }
});

/**
 * The soak's configuration, made only through the FreeNAS v1.0 API as a FreeNAS client
 * would: one portal, one initiator group, and a data target per LU with one file extent,
 * alternately 512- and 4096-byte blocks so both block sizes take the load. Each LU's real
 * geometry (size, block size, LBPRZ) is then read back over iSCSI, not assumed.
 */
import { join } from 'node:path';
import { IscsiInitiator } from '../src/initiator/client.js';
import { READ_CAPACITY_16, RC16_LENGTH, parseCapacity16, type Capacity } from '../src/initiator/cdbs.js';
import { FREENAS, type FreeNasClient, idOf } from '../bench/freenas-client.js';
import { HOST } from '../bench/net.js';
import { GOOD, command } from './scsi.js';

export interface DataTarget {
  name: string;
  iqn: string;
  targetId: number;
  capacity: Capacity;
}

export interface Provisioned {
  basename: string;
  portalGroupId: number;
  initiatorGroupId: number;
  iscsiPort: number;
  targets: DataTarget[];
}

export async function provision(
  api: FreeNasClient,
  o: { iscsiPort: number; poolDir: string; targets: number; bytesPerTarget: number; maxSessions: number },
): Promise<Provisioned> {
  const gc = await api.get<Record<string, unknown>>('/globalconfiguration/');
  const basename = String(gc['iscsi_basename']);
  // the FreeNAS default of 16 sessions is far below the soak's 64 plus the API churn's probes
  if (Number(gc['iscsi_maxsesh']) < o.maxSessions) await api.request('PUT', `${FREENAS}/globalconfiguration/`, { iscsi_maxsesh: o.maxSessions });
  const portal = await api.post('/portal/', { iscsi_target_portal_ips: [`${HOST}:${o.iscsiPort}`] });
  const ig = await api.post('/authorizedinitiator/', { iscsi_target_initiator_initiators: 'ALL', iscsi_target_initiator_auth_network: 'ALL' });
  const portalGroupId = idOf(portal, 'portal');
  const initiatorGroupId = idOf(ig, 'authorizedinitiator');
  const targets: DataTarget[] = [];
  for (let i = 0; i < o.targets; i++) {
    const name = `soak${i}`;
    const e = await api.post('/extent/', {
      iscsi_target_extent_type: 'File',
      iscsi_target_extent_name: name,
      iscsi_target_extent_filesize: String(o.bytesPerTarget),
      iscsi_target_extent_path: join(o.poolDir, `${name}.img`),
    });
    const t = await api.post('/target/', {
      iscsi_target_name: name,
      iscsi_target_portalgroup: portalGroupId,
      iscsi_target_initiatorgroup: initiatorGroupId,
      iscsi_target_logical_blocksize: i % 2 === 0 ? 512 : 4096,
    });
    await api.post('/targettoextent/', { iscsi_target: idOf(t, 'target'), iscsi_extent: idOf(e, 'extent'), iscsi_lunid: 0 });
    const iqn = `${basename}:${name}`;
    targets.push({ name, iqn, targetId: idOf(t, 'target'), capacity: await readCapacity(o.iscsiPort, iqn) });
  }
  return { basename, portalGroupId, initiatorGroupId, iscsiPort: o.iscsiPort, targets };
}

/**
 * Log in, READ CAPACITY(16) LUN 0, log out. Also the API churn's check that a new target is
 * served. A connection closed during login is tried again: with every soak session logging
 * in again after its drops, sanbox's cap on logins under way from one address (32) can
 * refuse it, by design.
 */
export async function readCapacity(port: number, iqn: string, retries?: { loginRetries: number }): Promise<Capacity> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await readCapacityOnce(port, iqn);
    } catch (e) {
      if (attempt >= 10 || !(e instanceof LoginClosed)) throw e;
      if (retries) retries.loginRetries++;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

class LoginClosed extends Error {}

async function readCapacityOnce(port: number, iqn: string): Promise<Capacity> {
  const c = await IscsiInitiator.connect(HOST, port, 5000);
  try {
    c.requestTimeoutMs = 15000;
    await c
      .login({ initiatorName: 'iqn.2026-12.org.example.soak:probe', targetName: iqn, isid: Buffer.from([0x80, 0, 0x50, 0xad, 0, 0]) })
      .catch((e: unknown) => {
        throw c.isClosed ? new LoginClosed(`login to ${iqn}: connection closed (${String(e)})`) : e;
      });
    const r = await command(c, 0, READ_CAPACITY_16, { readLength: RC16_LENGTH }, { unitAttentions: 0, busy: 0 });
    if (r.status !== GOOD) throw new Error(`READ CAPACITY(16) of ${iqn}: status 0x${r.status.toString(16)}`);
    const cap = parseCapacity16(r.data);
    await c.logout().catch(() => {});
    return cap;
  } finally {
    c.close();
  }
}

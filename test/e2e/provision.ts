/**
 * Provisions a target through the FreeNAS v1.0 API the way a client would, and returns
 * what an initiator needs to reach it.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { IscsiInitiator } from '../../src/initiator/client.js';
import { parseSense } from '../../src/scsi/sense.js';
import { FREENAS, type TestSanbox } from '../support/sanbox.js';

export interface Provisioned {
  port: number;
  iqn: string;
  portalId: number;
  initiatorGroupId: number;
  targetId: number;
  extentId: number;
  extentPath: string;
}

export async function post(sb: TestSanbox, resource: string, body: unknown): Promise<any> {
  const res = await sb.api('POST', `${FREENAS}/${resource}/`, body);
  assert.equal(res.status, 201, `POST ${resource}: ${res.text}`);
  return res.body;
}

export async function put(sb: TestSanbox, resource: string, id: number, body: unknown): Promise<any> {
  const res = await sb.api('PUT', `${FREENAS}/${resource}/${id}/`, body);
  assert.ok(res.status === 200 || res.status === 202, `PUT ${resource}: ${res.status} ${res.text}`);
  return res.body;
}

export async function basename(sb: TestSanbox): Promise<string> {
  const res = await sb.api('GET', `${FREENAS}/globalconfiguration/`);
  return res.body.iscsi_basename as string;
}

/** Portal + open initiator group + file extent + target + LUN 0. */
export async function provisionTarget(
  sb: TestSanbox,
  o: { port: number; name?: string; size?: string; target?: Record<string, unknown>; host?: string },
): Promise<Provisioned> {
  const name = o.name ?? 'disk0';
  const portal = await post(sb, 'portal', { iscsi_target_portal_ips: [`${o.host ?? '127.0.0.1'}:${o.port}`] });
  const ig = await post(sb, 'authorizedinitiator', {
    iscsi_target_initiator_initiators: 'ALL',
    iscsi_target_initiator_auth_network: 'ALL',
  });
  const extentPath = path.join(sb.dataDir, 'pools', 'default', `${name}.img`);
  const extent = await post(sb, 'extent', {
    iscsi_target_extent_type: 'File',
    iscsi_target_extent_name: name,
    iscsi_target_extent_filesize: o.size ?? '64MB',
    iscsi_target_extent_path: extentPath,
  });
  const target = await post(sb, 'target', {
    iscsi_target_name: name,
    iscsi_target_portalgroup: portal.id,
    iscsi_target_initiatorgroup: ig.id,
    ...o.target,
  });
  await post(sb, 'targettoextent', { iscsi_target: target.id, iscsi_extent: extent.id });
  return {
    port: o.port,
    iqn: `${await basename(sb)}:${name}`,
    portalId: portal.id,
    initiatorGroupId: ig.id,
    targetId: target.id,
    extentId: extent.id,
    extentPath,
  };
}

/**
 * A session to the provisioned target as `initiatorName`, past the POWER ON unit attention
 * a new nexus gets on each of `luns`; ended (socket closed) after `fn`.
 */
export async function withSession<T>(t: Provisioned, initiatorName: string, luns: number[], fn: (ini: IscsiInitiator) => Promise<T>): Promise<T> {
  const ini = await IscsiInitiator.connect('127.0.0.1', t.port);
  try {
    await ini.login({ initiatorName, targetName: t.iqn });
    for (const lun of luns) await ini.scsi(lun, Buffer.alloc(6));
    return await fn(ini);
  } finally {
    ini.socket.destroy();
  }
}

/** A CHECK CONDITION's sense as "key/asc/ascq" in hex ("02/3a/00"). */
export function senseOf(r: { status: number; sense: Buffer | null }): string {
  assert.equal(r.status, 2, 'CHECK CONDITION');
  const s = parseSense(r.sense!);
  return [s.key, s.asc, s.ascq].map((n) => n.toString(16).padStart(2, '0')).join('/');
}

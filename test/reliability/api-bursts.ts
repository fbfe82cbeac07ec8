/**
 * Bursts of FreeNAS API creates and deletes (extent in a file pool, target, target-to-extent,
 * then often deleting the target and the extent) run while sanbox is killed, with every
 * request's outcome kept: answered OK, refused, or never answered. After a restart,
 * `checkAgreement` compares the store (through the API) with the pool directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ChildSanbox } from './child-sanbox.js';

const FREENAS = '/api/v1.0/services/iscsi';

type Outcome = 'ok' | 'refused' | 'unanswered';

export interface Ledger {
  /** Extent names whose create was answered 201, and not deleted since. */
  extents: Set<string>;
  /** Extent names whose create was answered 201 at some time (their files stay after a delete, as on FreeNAS). */
  everCreated: Set<string>;
  /** Extent names whose delete was answered 204. */
  deletedExtents: Set<string>;
  targets: Set<string>;
  deletedTargets: Set<string>;
  /** Names whose delete was sent and never answered: it may or may not have happened. */
  uncertain: Set<string>;
  requests: Record<Outcome, number>;
}

export function newLedger(): Ledger {
  return {
    extents: new Set(),
    everCreated: new Set(),
    deletedExtents: new Set(),
    targets: new Set(),
    deletedTargets: new Set(),
    uncertain: new Set(),
    requests: { ok: 0, refused: 0, unanswered: 0 },
  };
}

async function call(sb: ChildSanbox, ledger: Ledger, method: string, urlPath: string, body: unknown, want: number): Promise<any | undefined> {
  let status: number;
  let answer: any;
  try {
    const r = await sb.api(method, urlPath, body);
    status = r.status;
    answer = r.body;
  } catch {
    ledger.requests.unanswered++;
    return undefined;
  }
  if (status !== want) {
    ledger.requests.refused++;
    return undefined;
  }
  ledger.requests.ok++;
  return answer ?? {};
}

/**
 * Runs create/delete rounds one request at a time until `stop()` is true or a request
 * goes unanswered (the process is gone).
 */
export async function burst(
  sb: ChildSanbox,
  ledger: Ledger,
  o: { prefix: string; pool: string; portalId: number; initiatorGroupId: number },
  stop: () => boolean,
): Promise<void> {
  for (let n = 0; !stop(); n++) {
    const name = `${o.prefix}x${n}`;
    const before = ledger.requests.unanswered;
    const extent = await call(
      sb,
      ledger,
      'POST',
      `${FREENAS}/extent/`,
      {
        iscsi_target_extent_type: 'File',
        iscsi_target_extent_name: name,
        iscsi_target_extent_filesize: '1MB',
        iscsi_target_extent_path: `/mnt/${o.pool}/${name}`,
      },
      201,
    );
    if (extent) {
      ledger.extents.add(name);
      ledger.everCreated.add(name);
    }
    const target = await call(
      sb,
      ledger,
      'POST',
      `${FREENAS}/target/`,
      { iscsi_target_name: name, iscsi_target_portalgroup: o.portalId, iscsi_target_initiatorgroup: o.initiatorGroupId },
      201,
    );
    if (target) ledger.targets.add(name);
    if (extent && target) await call(sb, ledger, 'POST', `${FREENAS}/targettoextent/`, { iscsi_target: target.id, iscsi_extent: extent.id }, 201);
    if (n % 4 !== 3) {
      if (target) {
        const unanswered = ledger.requests.unanswered;
        ledger.targets.delete(name);
        if (await call(sb, ledger, 'DELETE', `${FREENAS}/target/${target.id}/`, undefined, 204)) ledger.deletedTargets.add(name);
        else if (ledger.requests.unanswered === unanswered)
          ledger.targets.add(name); // refused: still there
        else ledger.uncertain.add(`target ${name}`);
      }
      if (extent && ledger.requests.unanswered === before) {
        const unanswered = ledger.requests.unanswered;
        ledger.extents.delete(name);
        if (await call(sb, ledger, 'DELETE', `${FREENAS}/extent/${extent.id}/`, undefined, 204)) ledger.deletedExtents.add(name);
        else if (ledger.requests.unanswered === unanswered) ledger.extents.add(name);
        else ledger.uncertain.add(`extent ${name}`);
      }
    }
    if (ledger.requests.unanswered > before) return;
  }
}

async function list(sb: ChildSanbox, resource: string): Promise<any[]> {
  const r = await sb.api('GET', `${FREENAS}/${resource}/?limit=1000`);
  if (r.status !== 200) throw new Error(`GET ${resource}: ${r.status}`);
  return r.body as any[];
}

/**
 * What must hold after any crash: every extent in the store has its image with its size;
 * every image in the pool belongs to an extent in the store or to a create that was
 * answered OK; what was answered OK is there, what was deleted OK is gone; every mapping
 * joins a target and an extent that exist; every mapped extent is online.
 * Returns the problems found, as sentences (empty: they agree).
 */
export async function checkAgreement(sb: ChildSanbox, ledger: Ledger, o: { pool: string; poolDir: string; prefix: RegExp }): Promise<string[]> {
  const problems: string[] = [];
  const extents = (await list(sb, 'extent')).filter((e) => o.prefix.test(e.iscsi_target_extent_name));
  const targets = (await list(sb, 'target')).filter((t) => o.prefix.test(t.iscsi_target_name));
  const maps = await list(sb, 'targettoextent');
  const extentNames = new Set(extents.map((e) => e.iscsi_target_extent_name as string));
  const targetNames = new Set(targets.map((t) => t.iscsi_target_name as string));
  for (const e of extents) {
    const file = path.join(o.poolDir, path.basename(e.iscsi_target_extent_path));
    let size = -1;
    try {
      size = fs.statSync(file).size;
    } catch {}
    if (size !== 1024 * 1024) problems.push(`extent ${e.iscsi_target_extent_name}: image ${file} is ${size < 0 ? 'missing' : `${size} bytes`}`);
  }
  for (const name of fs.readdirSync(o.poolDir)) {
    if (!o.prefix.test(name)) continue;
    if (!extentNames.has(name) && !ledger.everCreated.has(name))
      problems.push(`file ${name} in the pool: no extent has it and no create of it was answered OK`);
  }
  for (const name of ledger.extents) if (!extentNames.has(name)) problems.push(`extent ${name} was created (201) and is gone`);
  for (const name of ledger.deletedExtents) if (extentNames.has(name)) problems.push(`extent ${name} was deleted (204) and is back`);
  for (const name of ledger.targets) if (!targetNames.has(name)) problems.push(`target ${name} was created (201) and is gone`);
  for (const name of ledger.deletedTargets) if (targetNames.has(name)) problems.push(`target ${name} was deleted (204) and is back`);
  const allExtents = new Set((await list(sb, 'extent')).map((e) => e.id as number));
  const allTargets = new Set((await list(sb, 'target')).map((t) => t.id as number));
  for (const m of maps) {
    if (!allExtents.has(m.iscsi_extent) || !allTargets.has(m.iscsi_target))
      problems.push(`mapping ${m.id} joins target ${m.iscsi_target} and extent ${m.iscsi_extent}, one of which does not exist`);
  }
  const status = await sb.api('GET', '/api/status');
  for (const e of status.body.extents as Array<{ name: string; state: string; missing: string | null }>) {
    if (e.state !== 'online') problems.push(`extent ${e.name} is ${e.state} (missing ${e.missing})`);
  }
  return problems;
}

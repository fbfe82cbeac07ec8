/** `sanbox pools list|show`: storage pools, from the share-pool API (/v1/pool/share/list). */
import type { Command } from 'commander';
import { CliError, type Client, EXIT_FAILED } from './http.js';
import { bytes, clientFor, globals, printJson, printObject, printTable } from './output.js';

type Pool = Record<string, unknown>;

const TYPES: Record<number, string> = { 1: 'iscsi', 2: 'nfs', 3: 'samba', 4: 'disk', 5: 'fc', 6: 'rbd' };
const HEAD = ['NAME', 'TYPE', 'STATUS', 'CAPACITY', 'USED', 'ALLOCATED', 'EXTENTS', 'THRESHOLD', 'SOURCE'];

async function pools(client: Client): Promise<Pool[]> {
  const status = await client.call<{ site: { clusterUuid: string } }>('GET', '/api/status');
  const envelope = await client.call<{ scode: number; data: { infos: Array<{ pool: Pool }> } }>('POST', '/v1/pool/share/list', {
    cluster_uuid: status.site.clusterUuid,
    page_num: 1,
    page_size: 0,
  });
  return envelope.data.infos.map((i) => i.pool);
}

function row(p: Pool): unknown[] {
  const attr = (p.Attr ?? {}) as Record<string, unknown>;
  return [
    p.Name,
    TYPES[p.Type as number] ?? p.Type,
    p.Status,
    bytes(p.Capacity),
    bytes(p.Used),
    bytes(p.AllocatedCapacity),
    p.VolumeTotalCount,
    attr.overAllocationThreshold ?? '1.0',
    p.Source,
  ];
}

export function poolCommands(program: Command): void {
  const group = program.command('pools').description('storage pools: where extents live');
  group
    .command('list')
    .description('list pools with their capacity, use and allocation')
    .action(async (_o, cmd: Command) => {
      const all = await pools(clientFor(cmd));
      if (globals(cmd).json) return printJson(all);
      printTable(HEAD, all.map(row));
    });
  group
    .command('show')
    .description('show one pool')
    .argument('<name>', 'pool name (or uuid)')
    .action(async (name: string, _o, cmd: Command) => {
      const p = (await pools(clientFor(cmd))).find((x) => x.Name === name || x.UUID === name);
      if (!p) throw new CliError(EXIT_FAILED, `no pool named "${name}"`);
      if (globals(cmd).json) return printJson(p);
      const [, type, , capacity, used, allocated] = row(p);
      printObject({ ...p, Type: type, Capacity: capacity, Used: used, AllocatedCapacity: allocated });
    });
}

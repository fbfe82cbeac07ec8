/** `sanbox luns list|create|delete`: target-to-extent mappings (FreeNAS targettoextent). */
import type { Command } from 'commander';
import { FREENAS, find, listAll, type Obj, remove, wholeNumber } from './freenas.js';
import { clientFor, globals, printJson, printLine, printTable } from './output.js';

const HEAD = ['ID', 'TARGET', 'LUN', 'EXTENT'];

function row(m: Obj, targets: Map<number, unknown>, extents: Map<number, unknown>): unknown[] {
  const name = (names: Map<number, unknown>, id: unknown) => (names.has(id as number) ? `${String(names.get(id as number))} (${String(id)})` : id);
  return [m.id, name(targets, m.iscsi_target), m.iscsi_lunid ?? '(auto)', name(extents, m.iscsi_extent)];
}

async function names(client: ReturnType<typeof clientFor>) {
  const [targets, extents] = await Promise.all([listAll(client, 'target'), listAll(client, 'extent')]);
  return {
    targets: new Map<number, unknown>(targets.map((t) => [t.id, t.iscsi_target_name])),
    extents: new Map<number, unknown>(extents.map((e) => [e.id, e.iscsi_target_extent_name])),
  };
}

export function lunCommands(program: Command): void {
  const luns = program.command('luns').description('LUN mappings: which extent a target serves as which LUN (FreeNAS targettoextent)');
  luns
    .command('list')
    .description('list LUN mappings')
    .option('--target <target>', 'only this target (id or name)')
    .action(async (o: { target?: string }, cmd: Command) => {
      const client = clientFor(cmd);
      let all = await listAll(client, 'targettoextent');
      if (o.target !== undefined) {
        const t = await find(client, 'target', 'iscsi_target_name', o.target, 'target');
        all = all.filter((m) => m.iscsi_target === t.id);
      }
      if (globals(cmd).json) return printJson(all);
      const n = await names(client);
      printTable(
        HEAD,
        all.map((m) => row(m, n.targets, n.extents)),
      );
    });
  luns
    .command('create')
    .description('map an extent to a target')
    .argument('<target>', 'target id or name')
    .argument('<extent>', 'extent id or name')
    .option('--lun <number>', 'LUN number 0-1023 (default: the lowest free one)', wholeNumber)
    .action(async (targetRef: string, extentRef: string, o: { lun?: number }, cmd: Command) => {
      const client = clientFor(cmd);
      const t = await find(client, 'target', 'iscsi_target_name', targetRef, 'target');
      const e = await find(client, 'extent', 'iscsi_target_extent_name', extentRef, 'extent');
      const body: Record<string, unknown> = { iscsi_target: t.id, iscsi_extent: e.id };
      if (o.lun !== undefined) body.iscsi_lunid = o.lun;
      const m = await client.call<Obj>('POST', `${FREENAS}/targettoextent/`, body);
      if (globals(cmd).json) return printJson(m);
      printTable(HEAD, [row(m, new Map([[t.id, t.iscsi_target_name]]), new Map([[e.id, e.iscsi_target_extent_name]]))]);
    });
  luns
    .command('delete')
    .description('remove a LUN mapping (the extent stays)')
    .argument('<id>', 'mapping id (see luns list)', wholeNumber)
    .action(async (id: number, _o, cmd: Command) => {
      await remove(clientFor(cmd), 'targettoextent', id);
      if (globals(cmd).json) printJson({ id, deleted: true });
      else printLine(`deleted LUN mapping ${id}`);
    });
}

/** `sanbox targets list|show|create|delete`: FreeNAS targets. */
import { type Command, Option } from 'commander';
import { FREENAS, find, listAll, type Obj, remove, wholeNumber } from './freenas.js';
import { clientFor, globals, printJson, printLine, printObject, printTable } from './output.js';

const HEAD = ['ID', 'NAME', 'ALIAS', 'SERIAL', 'PORTAL GROUP', 'INITIATOR GROUP', 'AUTH'];

function row(t: Obj): unknown[] {
  const auth =
    t.iscsi_target_authtype && t.iscsi_target_authtype !== 'None' ? `${t.iscsi_target_authtype} (group ${t.iscsi_target_authgroup})` : t.iscsi_target_authtype;
  return [t.id, t.iscsi_target_name, t.iscsi_target_alias, t.iscsi_target_serial, t.iscsi_target_portalgroup, t.iscsi_target_initiatorgroup, auth];
}

export function targetCommands(program: Command): void {
  const targets = program.command('targets').description('iSCSI targets (FreeNAS target resource)');
  targets
    .command('list')
    .description('list targets')
    .action(async (_o, cmd: Command) => {
      const all = await listAll(clientFor(cmd), 'target');
      if (globals(cmd).json) printJson(all);
      else printTable(HEAD, all.map(row));
    });
  targets
    .command('show')
    .description('show one target')
    .argument('<target>', 'id or name')
    .action(async (ref: string, _o, cmd: Command) => {
      const t = await find(clientFor(cmd), 'target', 'iscsi_target_name', ref, 'target');
      if (globals(cmd).json) printJson(t);
      else printObject(t);
    });
  targets
    .command('create')
    .description('create a target (served as <basename>:<name> unless the name is an iqn./eui./naa. name)')
    .argument('<name>', 'target name: lowercase a-z 0-9 . : -')
    .option('--alias <alias>', 'target alias')
    .option('--serial <serial>', 'serial number (default: the next free one)')
    .option('--portal-group <id>', 'portal (group) id', wholeNumber)
    .option('--initiator-group <id>', 'authorized initiator (group) id; none: every initiator', wholeNumber)
    .addOption(new Option('--auth-type <type>', 'authentication').choices(['None', 'CHAP', 'CHAP Mutual']))
    .option('--auth-group <tag>', 'CHAP auth group tag', wholeNumber)
    .action(async (name: string, o: Record<string, unknown>, cmd: Command) => {
      const body: Record<string, unknown> = { iscsi_target_name: name };
      if (o.alias !== undefined) body.iscsi_target_alias = o.alias;
      if (o.serial !== undefined) body.iscsi_target_serial = o.serial;
      if (o.portalGroup !== undefined) body.iscsi_target_portalgroup = o.portalGroup;
      if (o.initiatorGroup !== undefined) body.iscsi_target_initiatorgroup = o.initiatorGroup;
      if (o.authType !== undefined) body.iscsi_target_authtype = o.authType;
      if (o.authGroup !== undefined) body.iscsi_target_authgroup = o.authGroup;
      const t = await clientFor(cmd).call<Obj>('POST', `${FREENAS}/target/`, body);
      if (globals(cmd).json) printJson(t);
      else printTable(HEAD, [row(t)]);
    });
  targets
    .command('delete')
    .description('delete a target (and its LUN mappings and target groups)')
    .argument('<target>', 'id or name')
    .action(async (ref: string, _o, cmd: Command) => {
      const client = clientFor(cmd);
      const t = await find(client, 'target', 'iscsi_target_name', ref, 'target');
      await remove(client, 'target', t.id);
      if (globals(cmd).json) printJson({ id: t.id, deleted: true });
      else printLine(`deleted target ${t.id} (${String(t.iscsi_target_name)})`);
    });
}

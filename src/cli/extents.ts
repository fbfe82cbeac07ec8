/** `sanbox extents list|show|create|delete|import`: FreeNAS extents, and image imports as jobs. */
import path from 'node:path';
import { type Command, Option } from 'commander';
import { FREENAS, find, listAll, type Obj, remove } from './freenas.js';
import { type Job, reportEnded, waitForJob } from './jobs.js';
import { clientFor, globals, printJson, printLine, printObject, printTable } from './output.js';

const HEAD = ['ID', 'NAME', 'TYPE', 'PATH', 'SIZE', 'BLOCK SIZE', 'COMMENT'];

function row(e: Obj): unknown[] {
  return [
    e.id,
    e.iscsi_target_extent_name,
    e.iscsi_target_extent_type,
    e.iscsi_target_extent_path,
    e.iscsi_target_extent_filesize,
    e.iscsi_target_extent_blocksize ?? 512,
    e.iscsi_target_extent_comment,
  ];
}

export function extentCommands(program: Command): void {
  const extents = program.command('extents').description('extents: the images and devices LUNs serve (FreeNAS extent resource)');
  extents
    .command('list')
    .description('list extents')
    .action(async (_o, cmd: Command) => {
      const all = await listAll(clientFor(cmd), 'extent');
      if (globals(cmd).json) printJson(all);
      else printTable(HEAD, all.map(row));
    });
  extents
    .command('show')
    .description('show one extent')
    .argument('<extent>', 'id or name')
    .action(async (ref: string, _o, cmd: Command) => {
      const e = await find(clientFor(cmd), 'extent', 'iscsi_target_extent_name', ref, 'extent');
      if (globals(cmd).json) printJson(e);
      else printObject(e);
    });
  extents
    .command('create')
    .description('create an extent: a sparse image file in a pool (or a device)')
    .argument('<name>', 'extent name')
    .requiredOption('--size <size>', 'size: bytes or 10GB, 512MiB ... (0 adopts an existing file)')
    .option('--pool <pool>', 'pool to put the image in, as /mnt/<pool>/<name>', 'default')
    .option('--path <path>', 'image path instead (/mnt/<pool>/..., or a device with --type Device)')
    .addOption(new Option('--type <type>', 'extent type').choices(['File', 'Device']).default('File'))
    .addOption(new Option('--blocksize <bytes>', 'logical block size').choices(['512', '4096']))
    .option('--comment <text>', 'comment')
    .action(async (name: string, o: Record<string, string | undefined>, cmd: Command) => {
      const body: Record<string, unknown> = {
        iscsi_target_extent_type: o.type,
        iscsi_target_extent_name: name,
        iscsi_target_extent_filesize: o.size,
        iscsi_target_extent_path: o.path ?? `/mnt/${o.pool}/${name}`,
      };
      if (o.blocksize !== undefined) body.iscsi_target_extent_blocksize = Number(o.blocksize);
      if (o.comment !== undefined) body.iscsi_target_extent_comment = o.comment;
      const e = await clientFor(cmd).call<Obj>('POST', `${FREENAS}/extent/`, body);
      if (globals(cmd).json) printJson(e);
      else printTable(HEAD, [row(e)]);
    });
  extents
    .command('delete')
    .description('delete an extent (its image file stays)')
    .argument('<extent>', 'id or name')
    .action(async (ref: string, _o, cmd: Command) => {
      const client = clientFor(cmd);
      const e = await find(client, 'extent', 'iscsi_target_extent_name', ref, 'extent');
      await remove(client, 'extent', e.id);
      if (globals(cmd).json) printJson({ id: e.id, deleted: true });
      else printLine(`deleted extent ${e.id} (${String(e.iscsi_target_extent_name)})`);
    });
  extents
    .command('import')
    .description('import an image file on the sanbox host into a new extent, as a job with a progress bar (Ctrl-C cancels it)')
    .argument('<file>', 'image file on the sanbox host (a relative path is made absolute here)')
    .requiredOption('--name <name>', 'name of the new extent')
    .option('--pool <pool>', 'pool for the new extent', 'default')
    .addOption(new Option('--format <format>', 'image format (default: detected by the server)').choices(['raw', 'qcow2']))
    .option('--detach', 'start the job and print it, without waiting')
    .action(async (file: string, o: { name: string; pool: string; format?: string; detach?: boolean }, cmd: Command) => {
      const client = clientFor(cmd);
      const json = globals(cmd).json === true;
      const body: Record<string, unknown> = { kind: 'extent.import', name: o.name, source: path.resolve(file), pool: o.pool };
      if (o.format !== undefined) body.format = o.format;
      // A Ctrl-C while the job is being created is kept, and cancels it once it exists.
      let early = false;
      const latch = () => {
        early = true;
      };
      if (!o.detach) process.on('SIGINT', latch);
      // The latch stays until waitForJob has its own handler: a signal with no listener would kill the CLI.
      const release = () => process.off('SIGINT', latch);
      const job = await client.call<Job>('POST', '/api/jobs', body).catch((err: unknown) => {
        release();
        throw err;
      });
      if (o.detach) {
        if (json) printJson(job);
        else printLine(`job ${job.uuid} ${job.state} (sanbox jobs wait ${job.uuid})`);
        return;
      }
      reportEnded(await waitForJob(client, job, json, { interrupted: () => early, release }), json);
    });
}

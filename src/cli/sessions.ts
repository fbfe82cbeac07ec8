/**
 * `sanbox sessions list|end`: the iSCSI sessions logged in now. /api/sessions where the
 * server has it; an older sanbox's /api/status sessions for listing otherwise.
 */
import type { Command } from 'commander';
import { wholeNumber } from './freenas.js';
import { CliError, type Client, EXIT_FAILED, HttpError } from './http.js';
import { bytes, clientFor, globals, printJson, printLine, printTable } from './output.js';

interface Session {
  tsih: number;
  initiatorName: string;
  initiatorAddress: string;
  target: string | null;
  portal: string;
  bytesIn: number;
  bytesOut: number;
  commands: number;
  [more: string]: unknown;
}

const HEAD = ['TSIH', 'INITIATOR', 'ADDRESS', 'TARGET', 'PORTAL', 'BYTES IN', 'BYTES OUT', 'COMMANDS'];

async function sessions(client: Client): Promise<Session[]> {
  try {
    // The contract is {"sessions": [...]}; a bare array (an early build of the route) is read too.
    const answer = await client.call<{ sessions: Session[] } | Session[]>('GET', '/api/sessions');
    return Array.isArray(answer) ? answer : answer.sessions;
  } catch (e) {
    if (!(e instanceof HttpError && e.noRoute)) throw e;
    return (await client.call<{ sessions: Session[] }>('GET', '/api/status')).sessions;
  }
}

export function sessionCommands(program: Command): void {
  const group = program.command('sessions').description('iSCSI sessions logged in now');
  group
    .command('list')
    .description('list sessions')
    .action(async (_o, cmd: Command) => {
      const all = await sessions(clientFor(cmd));
      if (globals(cmd).json) return printJson(all);
      printTable(
        HEAD,
        all.map((s) => [s.tsih, s.initiatorName, s.initiatorAddress, s.target ?? '(discovery)', s.portal, bytes(s.bytesIn), bytes(s.bytesOut), s.commands]),
      );
    });
  group
    .command('end')
    .description('end a session (the initiator may log in again)')
    .argument('<tsih>', 'the session id, TSIH (see sessions list)', wholeNumber)
    .action(async (tsih: number, _o, cmd: Command) => {
      try {
        await clientFor(cmd).call('DELETE', `/api/sessions/${tsih}`);
      } catch (e) {
        if (e instanceof HttpError && e.noRoute)
          throw new CliError(EXIT_FAILED, 'this sanbox cannot end sessions: it does not serve /api/sessions (a newer sanbox does)');
        throw e;
      }
      if (globals(cmd).json) printJson({ tsih, ended: true });
      else printLine(`ended session ${tsih}`);
    });
}

/**
 * The `sanbox` command line: `serve` (the service, main.ts runs it) and the client
 * subcommands that talk to a running sanbox over HTTP(S). Exit codes: 0 ok, 1 a failed
 * request or job (the server's message on stderr), 2 a usage error, 3 no connection or
 * no authentication.
 */
import { Command, CommanderError } from 'commander';
import { extentCommands } from './extents.js';
import { CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './http.js';
import { jobCommands } from './jobs.js';
import { lunCommands } from './luns.js';
import { poolCommands } from './pools.js';
import { sessionCommands } from './sessions.js';
import { statusCommand } from './status.js';
import { targetCommands } from './targets.js';

const CLIENT_HELP = `
Client environment:
  SANBOX_URL               where sanbox is (default http://127.0.0.1:8080; or the credentials file's url)
  SANBOX_USER              API user (default admin), with SANBOX_PASSWORD
  SANBOX_PASSWORD          API password (HTTP Basic)
  SANBOX_API_KEY           an API key (sbx_...), sent as Authorization: Bearer
  SANBOX_CREDENTIALS_FILE  JSON {"url", "user", "password" | "apiKey"} (default ~/.config/sanbox/credentials,
                           used when the environment names no password or key; must not be readable by others)
  SANBOX_TLS_FINGERPRINT   trust only the HTTPS certificate with this SHA-256 fingerprint (sanbox status shows it)

Exit codes: 0 ok, 1 a request or job failed, 2 usage error, 3 cannot connect or authenticate.
`;

/** Runs the command line (argv without node and the script); resolves with the exit code. */
export async function runCli(argv: string[], serve: () => Promise<number>, serveHelp: string): Promise<number> {
  let code = EXIT_OK;
  const program = new Command('sanbox')
    .description('sanbox: an iSCSI target and the storage-management REST APIs that configure it.\nWith no command, `sanbox` runs `serve`.')
    .option('--json', 'print JSON for scripts instead of tables')
    .option('--insecure', 'accept any HTTPS certificate (a self-signed one)')
    .option('--url <url>', 'sanbox to talk to (overrides SANBOX_URL)')
    .showSuggestionAfterError()
    .addHelpText('after', `${CLIENT_HELP}\n${serveHelp}`);
  program
    .command('serve')
    .description('run the service (the default)')
    .addHelpText('after', `\n${serveHelp}`)
    .action(async () => {
      code = await serve();
    });
  statusCommand(program);
  poolCommands(program);
  targetCommands(program);
  extentCommands(program);
  lunCommands(program);
  sessionCommands(program);
  jobCommands(program);
  // Usage errors of every group and subcommand come back here, to be exit 2.
  const overrideExit = (cmd: Command) => {
    cmd.exitOverride();
    for (const sub of cmd.commands) overrideExit(sub);
  };
  overrideExit(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    if (e instanceof CliError) {
      process.stderr.write(`sanbox: ${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`sanbox: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT_FAILED;
  }
}

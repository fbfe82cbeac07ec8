#!/usr/bin/env node
/**
 * The `sanbox` command. `sanbox serve` (also with no arguments) runs the service until
 * SIGINT/SIGTERM, then stops cleanly: in-flight requests finish, the database closes.
 * Every other command is a client of a running sanbox (src/cli/).
 */
import { ConfigError, loadConfig, type SanboxConfig } from './config.js';
import { createSanbox } from './app.js';
import { tuneMallocForIo } from './backstore/native.js';
import { runCli } from './cli/program.js';

const SERVE_HELP = `sanbox serve runs sanbox: the iSCSI target and its storage-management REST APIs.

Server environment (sanbox serve):
  SANBOX_DATA_DIR        data directory (default ./var): database, default pool, admin password copy
  SANBOX_HTTP            plain HTTP API address host:port (default 127.0.0.1:8080; port 0 picks a
                         free one; off disables it)
  SANBOX_HTTPS           HTTPS API address, the same routes (default 127.0.0.1:8443; off disables it)
  SANBOX_POOLS           extra pools, name:path,... (existing directories, never created; FreeNAS
                         paths /mnt/<name>/... resolve into them)
  SANBOX_ADMIN_USER      API user (default admin)
  SANBOX_ADMIN_PASSWORD  API password; generated on first start when unset (hash stored)
  SANBOX_TLS_CERT        PEM certificate file for HTTPS (with SANBOX_TLS_KEY); default: a self-signed
                         one made on first start in <data dir>/tls (its SHA-256 fingerprint is
                         printed then, logged at every start and shown in /api/status)
  SANBOX_TLS_KEY         PEM private key file
  SANBOX_PORTAL_PORT     TCP port of the addresses ONTAP LIFs and HNAS virtual servers name (default 3260)
  SANBOX_IRONIC_NOAUTH   true: Ironic's API takes requests without credentials (default false)
  SANBOX_LOG_LEVEL       trace, debug, info (default), warn, error
  SANBOX_ISCSI_LOGIN_TIMEOUT               seconds from connect to logged in (default 15)
  SANBOX_ISCSI_PENDING_LOGINS              connections logging in at once, in all (default 256)
  SANBOX_ISCSI_PENDING_LOGINS_PER_ADDRESS  the same from one address (default 32)
  SANBOX_ISCSI_MAX_CONNECTIONS             iSCSI connections in all (default from the open-files limit, at most 4096)
  SANBOX_ISCSI_IO_MEMORY_MB                buffered Data-Out + unsent Data-In, all sessions (default 256)
  SANBOX_API_HEADERS_TIMEOUT               seconds an API client has to send a request's headers (default 10)
  SANBOX_API_REQUEST_TIMEOUT               seconds to send a whole request, body included (default 30)
  SANBOX_API_KEEPALIVE_TIMEOUT             seconds an idle keep-alive API connection is kept (default 72)

API: FreeNAS v1.0 iSCSI at /api/v1.0/services/iscsi/..., live state at /api/status,
OpenAPI at /api/openapi.json. Authenticate with HTTP Basic or X-Api-Key: <password>.
`;

async function main(argv: string[]): Promise<number> {
  const args = argv.slice(2);
  return args.length === 0 ? serve() : runCli(args, serve, SERVE_HELP);
}

async function serve(): Promise<number> {
  tuneMallocForIo();
  let config: SanboxConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`sanbox: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  // Handlers go in before start-up, so a signal during it still means a clean stop.
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  let sanbox: Awaited<ReturnType<typeof createSanbox>>;
  try {
    sanbox = await createSanbox(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`sanbox: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const signal = await stopped;
  sanbox.logger.info({ signal }, 'stopping');
  await sanbox.close();
  return 0;
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`sanbox: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);

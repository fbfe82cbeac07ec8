/** `sanbox status`: the live state of /api/status, for people (or --json as served). */
import type { Command } from 'commander';
import { bytes, clientFor, globals, printJson, printLine, printTable } from './output.js';

interface Status {
  listeners: Array<{ address: string; portalGroupTag: number; state: string; error: string | null }>;
  sessions: unknown[];
  extents: Array<{ id: number; name: string; path: string | null; state: string; missing: string | null; error: string | null }>;
  load?: { connections: number; maxConnections: number; loggingIn: number; maxLoggingIn: number; ioBytes: number; ioBudgetBytes: number; ioWaiting: number };
  site?: { clusterName: string; clusterUuid: string; tenants: unknown[] };
  tls?: { fingerprintSha256: string; generated: boolean } | null;
}

export function statusCommand(program: Command): void {
  program
    .command('status')
    .description('live state: portals and their errors, sessions, served extents, load, TLS fingerprint')
    .action(async (_o, cmd: Command) => {
      const s = await clientFor(cmd).call<Status>('GET', '/api/status');
      if (globals(cmd).json) return printJson(s);
      if (s.site) printLine(`cluster: ${s.site.clusterName} (${s.site.clusterUuid}), ${s.site.tenants.length} tenant(s)`);
      if (s.tls) printLine(`TLS certificate SHA-256: ${s.tls.fingerprintSha256}${s.tls.generated ? ' (self-signed by sanbox)' : ''}`);
      printLine(`sessions: ${s.sessions.length}`);
      if (s.load) {
        const l = s.load;
        printLine(
          `connections: ${l.connections}/${l.maxConnections}, logging in: ${l.loggingIn}/${l.maxLoggingIn}, I/O memory: ${bytes(l.ioBytes)}/${bytes(l.ioBudgetBytes)}, waiting: ${l.ioWaiting}`,
        );
      }
      printLine('\nportals:');
      printTable(
        ['ADDRESS', 'PORTAL GROUP', 'STATE', 'ERROR'],
        s.listeners.map((l) => [l.address, l.portalGroupTag, l.state, l.error]),
      );
      printLine('\nextents:');
      printTable(
        ['ID', 'NAME', 'STATE', 'PATH', 'MISSING', 'ERROR'],
        s.extents.map((e) => [e.id, e.name, e.state, e.path, e.missing, e.error]),
      );
    });
}

/** The soak's command-line flags: defaults are the 10-minute, 64-session run of issue 16. */
import { parseArgs } from 'node:util';

export interface SoakOptions {
  sessions: number;
  /** Wall time of the I/O phase, in seconds. */
  durationSecs: number;
  /** Seconds between report lines (a minute, as the issue asks; shorter for the smoke test). */
  reportSecs: number;
  /** Data targets the sessions are spread over (each one LU). */
  targets: number;
  /** MiB of blocks each session owns. */
  spanMiB: number;
  /** Milliseconds between random connection drops (one session each time); 0: none. */
  dropEveryMs: number;
  /** Milliseconds between API changes; 0: none. */
  apiEveryMs: number;
  /** Also write the report as JSON here. */
  json: string | null;
  /** Seed for every random choice, so a failing run can be repeated. */
  seed: number;
}

const HELP = `npm run soak -- [flags]
  --sessions N       iSCSI sessions (default 64)
  --minutes M        I/O phase length (default 10)
  --secs S           the same in seconds (overrides --minutes)
  --report-secs S    seconds between report lines (default 60)
  --targets N        data targets, each one LU shared by its sessions (default 4)
  --span-mib N       MiB each session owns on its LU (default 4)
  --drop-every-ms N  destroy one random session's socket this often (default 1000; 0 = never)
  --api-every-ms N   one API change this often (default 1000; 0 = never)
  --seed N           random seed (default: from the clock, printed)
  --json FILE        also write the report to FILE`;

export function parseOptions(argv: string[]): SoakOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      sessions: { type: 'string' },
      minutes: { type: 'string' },
      secs: { type: 'string' },
      'report-secs': { type: 'string' },
      targets: { type: 'string' },
      'span-mib': { type: 'string' },
      'drop-every-ms': { type: 'string' },
      'api-every-ms': { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const num = (name: string, v: string | undefined, dflt: number, min: number): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number >= ${min}, not ${JSON.stringify(v)}`);
    return n;
  };
  const sessions = Math.floor(num('sessions', values.sessions, 64, 1));
  const durationSecs = values.secs !== undefined ? num('secs', values.secs, 0, 1) : num('minutes', values.minutes, 10, 0.05) * 60;
  return {
    sessions,
    durationSecs,
    reportSecs: num('report-secs', values['report-secs'], 60, 1),
    targets: Math.min(sessions, Math.floor(num('targets', values.targets, 4, 1))),
    spanMiB: num('span-mib', values['span-mib'], 4, 0.0625),
    dropEveryMs: num('drop-every-ms', values['drop-every-ms'], 1000, 0),
    apiEveryMs: num('api-every-ms', values['api-every-ms'], 1000, 0),
    json: values.json ?? null,
    seed: Math.floor(num('seed', values.seed, Date.now() % 2147483647, 0)),
  };
}

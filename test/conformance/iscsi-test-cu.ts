/**
 * Runs libiscsi's conformance suite (iscsi-test-cu) against a LUN and counts each distinct
 * test once as passed, skipped or failed. CUnit counts a skipped test as passed, so the
 * verbose output is read test by test, as ../shared/tools/measure-target.sh does.
 */
import { run } from '../e2e/peers.js';

export interface ConformanceResult {
  passed: string[];
  skipped: Map<string, string>;
  failed: Map<string, string>;
  exitCode: number;
  seconds: number;
  raw: string;
}

export async function runConformance(
  url: string,
  opts: {
    multipathUrl?: string;
    tests?: string;
    timeoutMs?: number;
    initiatorName?: string;
    /** Pass -S: run the SANITIZE tests (they erase the LU). */
    allowSanitize?: boolean;
  } = {},
): Promise<ConformanceResult> {
  const args = ['-d', '-v'];
  if (opts.allowSanitize) args.push('-S');
  if (opts.tests) args.push('-t', opts.tests);
  if (opts.initiatorName) args.push('-i', opts.initiatorName);
  args.push(url);
  if (opts.multipathUrl) args.push(opts.multipathUrl);
  const started = Date.now();
  const res = await run('iscsi-test-cu', args, { timeoutMs: opts.timeoutMs ?? 600_000 });
  const parsed = parseVerbose(res.stdout + '\n' + res.stderr);
  return { ...parsed, exitCode: res.code, seconds: (Date.now() - started) / 1000, raw: res.stdout };
}

/** Each test counted once, by its last outcome, under its Suite.Test name. */
export function parseVerbose(out: string): Pick<ConformanceResult, 'passed' | 'skipped' | 'failed'> {
  const outcome = new Map<string, { result: 'pass' | 'skip' | 'fail'; why: string }>();
  let suite = '';
  let current = '';
  let skipWhy = '';
  let failWhy = '';
  let failEvents = 0;
  const finish = (result: 'pass' | 'fail') => {
    if (!current) return;
    if (result === 'fail') failEvents++;
    const skipped = result === 'pass' && skipWhy !== '';
    outcome.set(current, { result: skipped ? 'skip' : result, why: skipped ? skipWhy : failWhy });
    current = '';
  };
  for (const line of out.split('\n')) {
    const s = /^Suite: (.*)$/.exec(line);
    if (s) {
      suite = s[1]!.trim();
      continue;
    }
    const t = /^ {2}Test: (.*?) \.\.\.(.*)$/.exec(line);
    let rest = line;
    if (t) {
      if (current) outcome.set(current, { result: 'fail', why: failWhy || 'no outcome printed' });
      current = `${suite}.${t[1]}`;
      skipWhy = '';
      failWhy = '';
      rest = t[2]!;
    }
    if (!current) continue;
    const skip = /\[SKIPPED\]\s*(.*)/.exec(rest);
    if (skip && !skipWhy) skipWhy = skip[1]!.trim() || 'skipped';
    const fail = /\[FAILED\]\s*(.*)/.exec(rest);
    if (fail && !failWhy) failWhy = fail[1]!.trim();
    // CUnit prints the outcome without a newline, so whatever the suite logs next (its
    // cleanup, the next test's setup) can follow it on the same line: "passed    [FAILED] ...".
    if (/^\s*passed\b/.test(rest) || /\.\.\.passed\b/.test(line)) finish('pass');
    else if (/^\s*FAILED\b/.test(rest) || /\.\.\.FAILED\b/.test(line)) finish('fail');
  }
  // A test that started and never printed an outcome hung or crashed the suite: a failure,
  // never a test silently left out of the count.
  if (current) outcome.set(current, { result: 'fail', why: failWhy || 'no outcome printed (the suite hung or crashed here)' });
  // CUnit's own summary ("tests  Total  Ran  Passed  Failed  Inactive"): a failure it
  // counted that the per-test lines did not show is reported, not lost.
  const summary = /^\s*tests\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(out);
  if (summary && Number(summary[4]) > failEvents) {
    outcome.set('CUnit.Summary', { result: 'fail', why: `CUnit counts ${summary[4]} failed test runs, ${failEvents} found test by test` });
  }
  const passed: string[] = [];
  const skipped = new Map<string, string>();
  const failed = new Map<string, string>();
  for (const [name, o] of outcome) {
    if (o.result === 'pass') passed.push(name);
    else if (o.result === 'skip') skipped.set(name, o.why);
    else failed.set(name, o.why || 'failed');
  }
  return { passed, skipped, failed };
}

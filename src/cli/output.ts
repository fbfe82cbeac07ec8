/**
 * What the CLI prints: tables for people (cli-table3), JSON for scripts (--json, one
 * document on stdout), and the job progress bar (cli-progress, on stderr).
 */
import cliProgress from 'cli-progress';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { Client, clientSettings } from './http.js';

export interface GlobalOptions {
  json?: boolean;
  insecure?: boolean;
  url?: string;
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/** The client for a command, from its global options and the environment. */
export function clientFor(cmd: Command): Client {
  const g = globals(cmd);
  return new Client(clientSettings({ url: g.url, insecure: g.insecure }));
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function cell(v: unknown): string {
  if (v === null || v === undefined || v === '') return '-';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** A table with a header row; `rows` are already in the header's order. */
export function printTable(head: string[], rows: unknown[][]): void {
  const t = new Table({ head, style: { head: [], border: [] } });
  for (const r of rows) t.push(r.map(cell));
  process.stdout.write(`${t.toString()}\n`);
}

/** One object as a two-column table (field, value). */
export function printObject(obj: Record<string, unknown>): void {
  const t = new Table({ style: { head: [], border: [] } });
  for (const [k, v] of Object.entries(obj)) t.push({ [k]: cell(v) });
  process.stdout.write(`${t.toString()}\n`);
}

export function printLine(text: string): void {
  process.stdout.write(`${text}\n`);
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Bytes for people: 1.5 GiB. */
export function bytes(n: unknown): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) return cell(n);
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${UNITS[i]}`;
}

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (x: number) => String(x).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

export interface ProgressView {
  update(done: number, total: number, rate: number | null): void;
  stop(): void;
}

/** A bar with bytes done/total, rate and time left; a line every 5 s when stderr is not a terminal (a log). */
export function progressBar(label: string): ProgressView {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} {bar} {percentage}% | {doneH} / {totalH} | {rateH} | {left} left`,
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 5000,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, rate) {
      const payload = {
        doneH: bytes(done),
        totalH: total > 0 ? bytes(total) : '?',
        rateH: rate ? `${bytes(rate)}/s` : '-',
        left: rate && total > 0 ? duration((total - done) / rate) : '--:--',
      };
      if (!started) {
        bar.start(Math.max(total, 1), done, payload);
        started = true;
      } else {
        bar.setTotal(Math.max(total, 1));
        bar.update(done, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

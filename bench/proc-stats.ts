/** CPU time and memory of a process, from /proc (Linux). */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let clkTck = 0;

/** Clock ticks per second for /proc/<pid>/stat (getconf CLK_TCK; 100 on Linux in practice). */
export function clockTicks(): number {
  if (clkTck === 0) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/**
 * utime + stime of the whole process (all threads), in clock ticks. Fields 14 and 15 of
 * /proc/<pid>/stat, counted after the ")" that ends the command name.
 */
export function cpuTicks(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state), so field n is f[n - 3]
  return Number(f[11]) + Number(f[12]);
}

/** VmRSS and VmHWM (peak) in KiB from /proc/<pid>/status. */
export function memoryKiB(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

import { readFileSync } from 'node:fs';

/** Linux clock ticks per second for /proc/<pid>/stat times (USER_HZ, 100 on every mainstream kernel). */
const TICKS_PER_SECOND = 100;

export interface ProcSample {
  /** CPU seconds used so far (user + system). */
  readonly cpuSeconds: number;
  /** Resident set size, bytes. */
  readonly rssBytes: number;
  /** When the sample was taken, ms (monotonic). */
  readonly at: number;
}

/** Reads CPU time and RSS of a process from /proc; undefined once it is gone. */
export function sampleProcess(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuSeconds: ticks / TICKS_PER_SECOND, rssBytes: rssKb * 1024, at: performance.now() };
  } catch {
    return undefined;
  }
}

/** Share of one core used between two samples, in percent. */
export function cpuPercent(before: ProcSample | undefined, after: ProcSample | undefined): number {
  if (before === undefined || after === undefined || after.at <= before.at) return 0;
  return (100 * (after.cpuSeconds - before.cpuSeconds)) / ((after.at - before.at) / 1000);
}

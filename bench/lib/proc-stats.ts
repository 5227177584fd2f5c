import { readdirSync, readFileSync } from 'node:fs';

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

/** One process of a tree sample. */
export interface TreeMember extends ProcSample {
  readonly pid: number;
  /** Open file descriptors (`/proc/<pid>/fd`), when asked for. */
  readonly fds?: number;
}

/** A process and all its descendants (a broker and its socket workers), summed. */
export interface TreeSample extends ProcSample {
  /** The root process alone. */
  readonly main: TreeMember;
  /** Every process of the tree, the root first. */
  readonly members: readonly TreeMember[];
}

/** Child pids of a process: `/proc/<pid>/task/<tid>/children` of each of its threads. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out; // gone
  }
  for (const tid of tasks) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text !== '') for (const child of text.split(' ')) out.push(Number(child));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** The pids of a process tree, root first (depth-first; bounded against pid reuse loops). */
export function treePids(root: number): number[] {
  const seen = new Set<number>();
  const stack = [root];
  while (stack.length > 0 && seen.size < 1024) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    stack.push(...childPids(pid));
  }
  return [...seen];
}

function countFds(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

/**
 * CPU and RSS of a process and its descendants (undefined once the root is gone). RSS is summed,
 * so pages shared between the processes (the node binary) count once per process: compare two
 * samples of the same tree, where that base cancels out.
 */
export function sampleTree(root: number, options: { fds?: boolean } = {}): TreeSample | undefined {
  const members: TreeMember[] = [];
  for (const pid of treePids(root)) {
    const sample = sampleProcess(pid);
    if (sample === undefined) continue;
    const fds = options.fds === true ? countFds(pid) : undefined;
    members.push({ ...sample, pid, ...(fds === undefined ? {} : { fds }) });
  }
  const main = members[0];
  if (main === undefined || main.pid !== root) return undefined;
  let cpuSeconds = 0;
  let rssBytes = 0;
  for (const m of members) {
    cpuSeconds += m.cpuSeconds;
    rssBytes += m.rssBytes;
  }
  return { cpuSeconds, rssBytes, at: main.at, main, members };
}

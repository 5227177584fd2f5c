import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PRIVATE_FILE_MODE } from './private-files.js';

/** `<dataDir>/devgate.lock`: which process owns the data directory (decision 0012). */
export const LOCK_FILE = 'devgate.lock';

/** What the lock file records about its owner. */
export interface LockOwner {
  readonly pid: number;
  /** `start`, `broker` or `cli` (an --offline management command). */
  readonly command: string;
  readonly host: string;
  /** Linux: the process start time in clock ticks since boot (/proc/PID/stat), to tell pid reuse. */
  readonly startTicks?: number;
}

/** Another live process holds the data directory. An operator error: exit code 2. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner,
    hint: string,
  ) {
    const where = owner.host === hostname() ? '' : ` on host ${owner.host}`;
    super(
      `data directory ${dataDir} is in use by devgate ${owner.command} (pid ${owner.pid}${where}); ${hint}`,
    );
    this.name = 'DataDirLockedError';
  }
}

/** A held lock. `release` is idempotent and synchronous, so it also runs from an 'exit' handler. */
export interface DataDirLock {
  readonly path: string;
  release(): void;
}

/** Field 22 of /proc/PID/stat (the comm field may hold spaces and parentheses: count from its end). */
function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const afterComm = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(afterComm[19]);
    return Number.isSafeInteger(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A lock is stale when its owner is gone: the pid is dead, or (Linux) it now belongs to a process
 * started at another time, i.e. the pid was reused by something that is not that devgate. A lock
 * from another host cannot be checked and counts as held.
 */
export function isStale(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return false;
  if (!alive(owner.pid)) return true;
  if (owner.startTicks === undefined) return false;
  const ticks = processStartTicks(owner.pid);
  return ticks !== undefined && ticks !== owner.startTicks;
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (!Number.isSafeInteger(value.pid) || (value.pid ?? 0) <= 0) return undefined;
    return {
      pid: value.pid as number,
      command: typeof value.command === 'string' ? value.command : 'process',
      host: typeof value.host === 'string' ? value.host : hostname(),
      ...(typeof value.startTicks === 'number' ? { startTicks: value.startTicks } : {}),
    };
  } catch {
    return undefined;
  }
}

function readLock(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The live process that holds `dataDir`, or undefined when none does (no lock, or a stale one). */
export function dataDirOwner(dataDir: string): LockOwner | undefined {
  let text: string | undefined;
  try {
    text = readLock(join(dataDir, LOCK_FILE));
  } catch {
    return undefined;
  }
  const owner = text === undefined ? undefined : parseOwner(text);
  return owner === undefined || isStale(owner) ? undefined : owner;
}

/** Creates the lock file only if absent (O_CREAT|O_EXCL), 0600; false when it exists. */
function createExclusive(path: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', PRIVATE_FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return true;
}

export interface LockOptions {
  readonly command: string;
  /** What the refusal tells the operator to do, after the owner. */
  readonly hint: string;
}

/**
 * Takes the data directory (which must exist) for this process, or throws DataDirLockedError
 * naming the owner. A stale lock (SIGKILLed owner) is replaced. A lock file left half-written by a
 * crash between create and write is empty: it names no pid and counts as stale.
 */
export function acquireDataDirLock(dataDir: string, options: LockOptions): DataDirLock {
  const path = join(dataDir, LOCK_FILE);
  const ticks = processStartTicks(process.pid);
  const mine: LockOwner = {
    pid: process.pid,
    command: options.command,
    host: hostname(),
    ...(ticks === undefined ? {} : { startTicks: ticks }),
  };
  const text = `${JSON.stringify(mine)}\n`;
  // Two processes may both find the same stale lock: each removes it only if it still reads as
  // they found it, then both race on O_EXCL and exactly one wins. Three rounds are plenty.
  for (let round = 0; round < 3; round++) {
    if (createExclusive(path, text)) return heldLock(path, text);
    const found = readLock(path);
    if (found === undefined) continue;
    const owner = parseOwner(found);
    if (owner !== undefined && !isStale(owner)) throw new DataDirLockedError(dataDir, owner, options.hint);
    if (readLock(path) === found) unlinkSync(path);
  }
  throw new Error(`could not take ${path}: it keeps changing`);
}

function heldLock(path: string, text: string): DataDirLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    // Only our own lock: never remove one another process took after a stale takeover.
    try {
      if (readLock(path) === text) unlinkSync(path);
    } catch {
      // Gone already, or the directory went away: nothing left to release.
    }
  };
  // A process.exit() (second signal, fatal error) still removes it.
  process.on('exit', release);
  return { path, release };
}

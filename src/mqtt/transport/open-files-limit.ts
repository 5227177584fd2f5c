import { readFileSync } from 'node:fs';

/**
 * This process's soft limit on open files (Linux, from /proc/self/limits); Infinity where it
 * cannot be read or is unlimited. Node has no getrlimit, and the limit only matters on hosts
 * that have /proc.
 */
export function openFilesLimit(limitsFile = '/proc/self/limits'): number {
  try {
    const line = readFileSync(limitsFile, 'utf8')
      .split('\n')
      .find((row) => row.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    const value = Number(soft);
    return Number.isInteger(value) && value > 0 ? value : Number.POSITIVE_INFINITY;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

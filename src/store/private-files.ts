import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { chmod, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';

/** Owner read/write only: every file devgate writes in its data directory. */
export const PRIVATE_FILE_MODE = 0o600;
/** Owner only: the data directory and the directories devgate makes in it. */
export const PRIVATE_DIR_MODE = 0o700;

/** Group and other permission bits. */
const SHARED_BITS = 0o077;

/**
 * The data directory is open to group or others and could not be made owner-only (another user
 * owns it, or a read-only mount): it would hand the device tokens' key and the databases to them.
 */
export class DataDirError extends Error {
  constructor(
    readonly dir: string,
    readonly mode: number,
  ) {
    super(
      `data directory ${dir} is accessible to group/others (mode ${octal(mode)}) and cannot be made ` +
        `owner-only; it holds secrets (token key, databases): run 'chmod 700 ${dir}' as its owner, ` +
        'or choose another --data-dir',
    );
    this.name = 'DataDirError';
  }
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}

/**
 * Makes `dir` (and missing parents) and leaves it 0700: a new one is made so, an existing one
 * open to group/others is tightened (we own what is in it). Throws DataDirError when it cannot be.
 */
export async function preparePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const { mode } = await stat(dir);
  if ((mode & SHARED_BITS) === 0) return;
  try {
    await chmod(dir, PRIVATE_DIR_MODE);
  } catch {
    throw new DataDirError(dir, mode);
  }
  // chmod on some file systems (e.g. a mounted share) succeeds without changing anything.
  if (((await stat(dir)).mode & SHARED_BITS) !== 0) throw new DataDirError(dir, mode);
}

/**
 * Creates `file` 0600 if missing and tightens it if it exists, before SQLite opens it: SQLite
 * gives its `-wal` and `-shm` files the database file's mode, so they follow. Existing `-wal` /
 * `-shm` files (from an older devgate) are tightened too.
 */
export function preparePrivateDatabaseFile(file: string): void {
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    if (path === file) closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
    else if (!exists(path)) continue;
    // The create mode is subject to the umask, and an existing file keeps its mode: set it.
    chmodSync(path, PRIVATE_FILE_MODE);
  }
}

/** `mkdirSync` with the owner-only mode for directories devgate makes. */
export function makePrivateDirSync(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes `text` to `path` 0600 through a temporary file and a rename (readers never see half). */
export async function writePrivateFileAtomic(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temp, text, { mode: PRIVATE_FILE_MODE });
    await chmod(temp, PRIVATE_FILE_MODE); // the create mode is subject to the umask; this is not
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

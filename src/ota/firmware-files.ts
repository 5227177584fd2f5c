import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** `{64 hex}.bin`: the only names the download route serves. */
export const FIRMWARE_FILE = /^([0-9a-f]{64})\.bin$/;

export const FIRMWARE_DIR = 'firmware';

/**
 * Firmware files under `<data-dir>/firmware/`, named by their SHA-256 so identical uploads share
 * one file. Writes go to a temporary name and are renamed into place, so a reader never sees half
 * a file.
 */
export interface FirmwareFiles {
  readonly dir: string;
  fileName(sha256: string): string;
  pathOf(sha256: string): string;
  save(sha256: string, bytes: Buffer): Promise<void>;
  /** Removes the file; a missing one is fine. */
  remove(sha256: string): Promise<void>;
  /** Removes files no row uses (and leftovers of interrupted writes); returns how many. */
  sweep(keep: ReadonlySet<string>): Promise<number>;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function removeQuietly(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

export function firmwareFiles(dataDir: string): FirmwareFiles {
  const dir = join(dataDir, FIRMWARE_DIR);
  const fileName = (sha256: string): string => `${sha256}.bin`;
  const pathOf = (sha256: string): string => join(dir, fileName(sha256));
  return {
    dir,
    fileName,
    pathOf,
    async save(sha256, bytes) {
      const target = pathOf(sha256);
      if (await exists(target)) return;
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const temp = join(dir, `.${sha256}.${randomBytes(6).toString('hex')}.tmp`);
      try {
        await writeFile(temp, bytes, { mode: 0o600 });
        await rename(temp, target);
      } catch (err) {
        await removeQuietly(temp);
        throw err;
      }
    },
    remove: (sha256) => removeQuietly(pathOf(sha256)),
    async sweep(keep) {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        return 0;
      }
      const stale = names.filter((name) => {
        const sha = FIRMWARE_FILE.exec(name)?.[1];
        return sha === undefined ? name.endsWith('.tmp') : !keep.has(sha);
      });
      for (const name of stale) await removeQuietly(join(dir, name));
      return stale.length;
    },
  };
}

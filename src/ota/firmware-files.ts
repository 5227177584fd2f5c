import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FIRMWARE_FILE, type FirmwareBlobs, firmwareFileName } from './firmware-blobs.js';

export { FIRMWARE_FILE } from './firmware-blobs.js';

export const FIRMWARE_DIR = 'firmware';

/**
 * Firmware bytes as files under `<data-dir>/firmware/`, named `{sha256}.bin`. Writes go to a
 * temporary name and are renamed into place, so a reader never sees half a file. Backups read and
 * write these files directly (`dir`, `pathOf`).
 */
export interface FirmwareFiles extends FirmwareBlobs {
  readonly dir: string;
  pathOf(sha256: string): string;
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
  const pathOf = (sha256: string): string => join(dir, firmwareFileName(sha256));
  return {
    dir,
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
    async stream(sha256) {
      // Opened before answering: a file removed later stays readable through this handle.
      try {
        return (await open(pathOf(sha256))).createReadStream();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
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

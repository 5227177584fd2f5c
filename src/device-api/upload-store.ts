import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  isStoredName,
  isUploadKey,
  serialPerKey,
  storedUploadName,
  type UploadStore,
  type UploadStoreOptions,
} from '../platform/uploads/upload-store.js';

/**
 * Device uploads as files, one directory per device under `<data-dir>/uploads/{deviceId}/`.
 * `.index.json` lists the stored names oldest first, so the oldest is evicted past `maxFiles`.
 */
export interface FileUploadStoreOptions extends UploadStoreOptions {
  /** `<data-dir>/uploads` */
  readonly dir: string;
}

const INDEX = '.index.json';

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/** Writes through a temporary file and a rename, so readers never see half a file. */
async function writeAtomic(path: string, data: Buffer | string): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, data, { mode: 0o600 });
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

export class FileUploadStore implements UploadStore {
  /** A device's saves run one after another (index updates must not interleave). */
  private readonly serial = serialPerKey<number>();

  constructor(readonly options: FileUploadStoreOptions) {}

  get maxFiles(): number {
    return this.options.maxFiles;
  }

  save(deviceId: number, name: string, data: Buffer): Promise<string> {
    return this.serial(deviceId, () => this.saveNow(deviceId, name, data));
  }

  async read(deviceId: number, stored: string): Promise<Buffer | undefined> {
    if (!isUploadKey(deviceId, stored)) return undefined;
    try {
      return await readFile(join(this.deviceDir(deviceId), stored));
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  private deviceDir(deviceId: number): string {
    return join(this.options.dir, String(deviceId));
  }

  private async saveNow(deviceId: number, name: string, data: Buffer): Promise<string> {
    const dir = this.deviceDir(deviceId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const stored = storedUploadName(this.options.key, deviceId, name);
    await writeAtomic(join(dir, stored), data);
    const index = (await this.readIndex(dir)).filter((n) => n !== stored);
    index.push(stored);
    // spec §6.2 row 14: past the limit, the oldest files go.
    const evicted = index.splice(0, Math.max(0, index.length - this.options.maxFiles));
    await writeAtomic(join(dir, INDEX), JSON.stringify(index));
    await Promise.all(evicted.map((n) => rm(join(dir, n), { force: true })));
    return stored;
  }

  /** The index; missing or unreadable, rebuilt from the files there (by modification time). */
  private async readIndex(dir: string): Promise<string[]> {
    try {
      const parsed: unknown = JSON.parse(await readFile(join(dir, INDEX), 'utf8'));
      if (Array.isArray(parsed) && parsed.every((n) => typeof n === 'string' && isStoredName(n)))
        return parsed as string[];
    } catch (err) {
      if (!isMissing(err) && !(err instanceof SyntaxError)) throw err;
    }
    return this.scan(dir);
  }

  private async scan(dir: string): Promise<string[]> {
    let names: string[];
    try {
      names = (await readdir(dir)).filter(isStoredName);
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
    const dated = await Promise.all(names.map(async (n) => ({ n, at: (await stat(join(dir, n))).mtimeMs })));
    return dated.sort((a, b) => a.at - b.at || a.n.localeCompare(b.n)).map((d) => d.n);
  }
}

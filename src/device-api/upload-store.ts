import { createHmac, randomBytes } from 'node:crypto';
import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Files devices upload through `POST /external/api/upload` (spec §6.2 row 14), one directory per
 * device under `<data-dir>/uploads/{deviceId}/`. The stored name is a keyed hash of the device and
 * the name it gave (plus that name's extension): the same name overwrites the same file and keeps
 * its URL, and no URL can be guessed from a device id and a file name. `.index.json` lists the
 * stored names oldest first, so the oldest is evicted past `maxFiles`.
 */
export interface UploadStoreOptions {
  /** `<data-dir>/uploads` */
  readonly dir: string;
  /** Secret the stored names are derived from (e.g. an HMAC of the server's token key). */
  readonly key: Buffer;
  /** Files kept per device (spec: 10); 0 = uploads off. */
  readonly maxFiles: number;
}

/** A stored name as the URL carries it: 32 URL-safe characters and an optional short extension. */
const STORED_NAME = /^[A-Za-z0-9_-]{32}(\.[a-z0-9]{1,10})?$/;
const INDEX = '.index.json';

/** The stored file `name` of `deviceId`, when it names one. */
export function isStoredName(name: string): boolean {
  return STORED_NAME.test(name);
}

/** The extension kept from a given name: letters and digits only, lower case, up to 10. */
function extensionOf(name: string): string {
  const match = /\.([A-Za-z0-9]{1,10})$/.exec(name);
  return match === null ? '' : `.${(match[1] as string).toLowerCase()}`;
}

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

export class UploadStore {
  /** Per device, the tail of its chain of saves (index updates must not interleave). */
  private readonly chains = new Map<number, Promise<unknown>>();

  constructor(readonly options: UploadStoreOptions) {}

  /** Stores `data` as the device's file `name` and answers the stored name (the URL's last part). */
  save(deviceId: number, name: string, data: Buffer): Promise<string> {
    const previous = this.chains.get(deviceId) ?? Promise.resolve();
    const next = previous.then(
      () => this.saveNow(deviceId, name, data),
      () => this.saveNow(deviceId, name, data),
    );
    this.chains.set(deviceId, next);
    // Bounded: the entry goes once its chain has run out.
    const forget = (): void => {
      if (this.chains.get(deviceId) === next) this.chains.delete(deviceId);
    };
    next.then(forget, forget);
    return next;
  }

  /** A stored file opened for reading, or undefined (unknown device, name or file). */
  async open(deviceId: number, stored: string): Promise<FileHandle | undefined> {
    if (!Number.isSafeInteger(deviceId) || deviceId < 1 || !isStoredName(stored)) return undefined;
    try {
      return await open(join(this.deviceDir(deviceId), stored));
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  /** A keyed hash of the device and the given name, plus that name's extension. */
  private storedName(deviceId: number, name: string): string {
    const hash = createHmac('sha256', this.options.key).update(`${deviceId}\0${name}`).digest('base64url');
    return `${hash.slice(0, 32)}${extensionOf(name)}`;
  }

  private deviceDir(deviceId: number): string {
    return join(this.options.dir, String(deviceId));
  }

  private async saveNow(deviceId: number, name: string, data: Buffer): Promise<string> {
    const dir = this.deviceDir(deviceId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const stored = this.storedName(deviceId, name);
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

import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The key file's name in the data directory when `--secret-key-file` is not given. */
export const SECRET_KEY_FILE = 'secret.key';

/** Length of the platform key; the file holds it base64-encoded. */
export const SECRET_KEY_BYTES = 32;

/** A data file that exists but cannot be used; the message names it, never its content. */
export class DataFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'DataFileError';
  }
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/** The key in `path`; undefined when there is no such file. */
export async function readKeyFile(path: string): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== SECRET_KEY_BYTES) {
    throw new DataFileError(path, `expected ${SECRET_KEY_BYTES} base64-encoded bytes`);
  }
  return key;
}

/**
 * The 32-byte key that encrypts device tokens at rest: read from `path`, or created there (mode
 * 0600, exclusive create so two processes starting together cannot both make one).
 */
export async function loadOrCreateKeyFile(path: string): Promise<{ key: Buffer; created: boolean }> {
  const existing = await readKeyFile(path);
  if (existing !== undefined) return { key: existing, created: false };
  const key = randomBytes(SECRET_KEY_BYTES);
  try {
    await writeNewKeyFile(path, key);
  } catch (err) {
    // Lost a race with another process: use the key it wrote.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateKeyFile(path);
    throw err;
  }
  return { key, created: true };
}

/** Writes `key` to a new file at `path` (mode 0600, its directory 0700); EEXIST when one is there. */
export async function writeNewKeyFile(path: string, key: Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
}

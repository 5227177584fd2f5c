import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataFileError, loadOrCreateKeyFile, SECRET_KEY_FILE } from '../lib/secret-key-file.js';
import { writePrivateFileAtomic } from '../store/private-files.js';

export { DataFileError, SECRET_KEY_FILE };

import { type AdminCredentials, type BootstrapResult, ensureRootAndAdmin } from './bootstrap.js';
import type { Platform } from './platform.js';

export const ADMIN_CREDENTIALS_FILE = 'admin-credentials.json';
export const PLATFORM_DB_FILE = 'platform.sqlite';

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/** Writes JSON readable only by the owner (0600), atomically (temp file + rename). */
export async function writePrivateJson(path: string, value: unknown): Promise<void> {
  await writePrivateFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** The token key of a data directory without --secret-key-file: `<dataDir>/secret.key`. */
export function loadOrCreateTokenKey(dataDir: string): Promise<{ key: Buffer; created: boolean }> {
  return loadOrCreateKeyFile(join(dataDir, SECRET_KEY_FILE));
}

function isCredentials(value: unknown): value is AdminCredentials {
  const v = value as Partial<AdminCredentials> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    Number.isSafeInteger(v.orgId) &&
    typeof v.clientId === 'string' &&
    typeof v.clientSecret === 'string'
  );
}

/** `<dataDir>/admin-credentials.json`, or undefined when absent. DataFileError when unreadable. */
export async function readAdminCredentials(dataDir: string): Promise<AdminCredentials | undefined> {
  const path = join(dataDir, ADMIN_CREDENTIALS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DataFileError(path, 'not valid JSON');
  }
  if (!isCredentials(value)) throw new DataFileError(path, 'expected {"orgId", "clientId", "clientSecret"}');
  return { orgId: value.orgId, clientId: value.clientId, clientSecret: value.clientSecret };
}

export interface AdminBootstrap extends BootstrapResult {
  readonly credentialsPath: string;
}

/**
 * First start (and every start): root organization plus admin client, with the credentials kept
 * in `<dataDir>/admin-credentials.json` (0600). Reuses the file while its credentials work.
 */
export async function bootstrapAdmin(
  platform: Pick<Platform, 'orgs' | 'oauth'>,
  dataDir: string,
  rootOrg: { readonly name: string; readonly tz: string },
): Promise<AdminBootstrap> {
  const credentialsPath = join(dataDir, ADMIN_CREDENTIALS_FILE);
  const existing = await readAdminCredentials(dataDir).catch((err: unknown) => {
    if (err instanceof DataFileError) return undefined; // unusable: replaced below
    throw err;
  });
  const result = await ensureRootAndAdmin(platform, {
    rootOrg,
    ...(existing === undefined ? {} : { existing }),
  });
  if (result.clientCreated) await writePrivateJson(credentialsPath, result.credentials);
  return { ...result, credentialsPath };
}

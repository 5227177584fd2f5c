import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_ADMIN_EMAIL } from '../config/start-config.js';
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
  const { email, password } = value;
  return {
    orgId: value.orgId,
    clientId: value.clientId,
    clientSecret: value.clientSecret,
    ...(typeof email === 'string' && typeof password === 'string' ? { email, password } : {}),
  };
}

export interface AdminBootstrap extends BootstrapResult {
  readonly credentialsPath: string;
  /** The console admin user was made now (first start, or a data directory without users). */
  readonly userCreated: boolean;
}

/** 18 random bytes: a 24-character password. */
const ADMIN_PASSWORD_BYTES = 18;

/**
 * The console's first user: an Admin of the root org with a random password, made whenever the
 * platform has no user at all. Returns its sign-in when made, else the one the file kept.
 */
async function ensureAdminUser(
  platform: Pick<Platform, 'users'>,
  rootId: number,
  email: string,
  existing: AdminCredentials | undefined,
): Promise<{ login: { email?: string; password?: string }; created: boolean }> {
  if (await platform.users.hasUsers()) {
    const kept = existing?.email === undefined ? {} : { email: existing.email, password: existing.password };
    return { login: kept, created: false };
  }
  const password = randomBytes(ADMIN_PASSWORD_BYTES).toString('base64url');
  await platform.users.createSystemAdmin(rootId, email, password);
  return { login: { email, password }, created: true };
}

/**
 * First start (and every start): root organization, admin client and (when there is no user) the
 * console admin user, with the credentials kept in `<dataDir>/admin-credentials.json` (0600).
 * Reuses the file while its client credentials work.
 */
export async function bootstrapAdmin(
  platform: Pick<Platform, 'orgs' | 'oauth' | 'users'>,
  dataDir: string,
  rootOrg: { readonly name: string; readonly tz: string },
  adminEmail = DEFAULT_ADMIN_EMAIL,
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
  const user = await ensureAdminUser(platform, result.root.id, adminEmail, existing);
  const credentials = { ...result.credentials, ...user.login } as AdminCredentials;
  if (result.clientCreated || user.created) await writePrivateJson(credentialsPath, credentials);
  return { ...result, credentials, credentialsPath, userCreated: user.created };
}

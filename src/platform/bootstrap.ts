import { type Organization, OrgType } from './model.js';
import type { Platform } from './platform.js';
import type { OrgInput } from './services.js';

/** What `<data-dir>/admin-credentials.json` holds: the admin OAuth client of the root org. */
export interface AdminCredentials {
  readonly orgId: number;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The console admin user made on first start (absent in files of earlier versions). */
  readonly email?: string;
  /** Its password as first set; changing it in the console does not update this file. */
  readonly password?: string;
}

export interface BootstrapInput {
  /** The root organization to create when there is none yet. */
  readonly rootOrg: OrgInput;
  /** Credentials from an earlier start, if any; reused when they still verify. */
  readonly existing?: AdminCredentials;
  /** Name of the admin OAuth client. */
  readonly clientName?: string;
}

export interface BootstrapResult {
  readonly root: Organization;
  readonly credentials: AdminCredentials;
  readonly rootCreated: boolean;
  /** A new admin client was made: first start, or the old credentials were missing or stopped working. */
  readonly clientCreated: boolean;
}

export const ADMIN_CLIENT_NAME = 'devgate admin';

async function stillValid(
  oauth: Platform['oauth'],
  root: Organization,
  existing: AdminCredentials | undefined,
): Promise<boolean> {
  if (existing === undefined || existing.orgId !== root.id) return false;
  const client = await oauth.verifyClient(existing.clientId, existing.clientSecret);
  return client?.isActive === true && client.orgId === root.id;
}

/**
 * First-start logic, idempotent: creates the root organization when there is none, and an admin
 * OAuth client in it unless the given credentials still work (spec §5.1, §5.8).
 */
export async function ensureRootAndAdmin(
  platform: Pick<Platform, 'orgs' | 'oauth'>,
  input: BootstrapInput,
): Promise<BootstrapResult> {
  let root = await platform.orgs.root();
  const rootCreated = root === undefined;
  root ??= await platform.orgs.createRoot({ ...input.rootOrg, type: OrgType.Root });
  if (input.existing !== undefined && (await stillValid(platform.oauth, root, input.existing))) {
    return { root, credentials: input.existing, rootCreated, clientCreated: false };
  }
  const { client, secret } = await platform.oauth.createSystemClient(
    root.id,
    input.clientName ?? ADMIN_CLIENT_NAME,
  );
  const credentials = { orgId: root.id, clientId: client.clientId, clientSecret: secret };
  return { root, credentials, rootCreated, clientCreated: true };
}

import type { Authenticator, Authorizer } from '../broker/auth.js';
import { allowAll } from '../broker/auth.js';
import type { BrokerAuthConfig } from '../config/server-config.js';
import { AclAuthorizer } from './acl-authorizer.js';
import { loadAclFile } from './acl-file.js';
import { FileAuthenticator } from './file-authenticator.js';
import { loadPasswordFile } from './password-file.js';

export interface FileAuth {
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
}

/** Builds the plain broker's auth from its files; throws AuthFileError on an unusable file. */
export async function createFileAuth(config: BrokerAuthConfig): Promise<FileAuth> {
  const passwords =
    config.passwordFile === undefined ? undefined : await loadPasswordFile(config.passwordFile);
  const authenticator = new FileAuthenticator({
    allowAnonymous: config.allowAnonymous,
    ...(passwords === undefined ? {} : { passwords }),
  });
  const authorizer =
    config.aclFile === undefined ? allowAll : new AclAuthorizer(await loadAclFile(config.aclFile));
  return { authenticator, authorizer };
}

/** True when no client at all can get in: no anonymous access and no password file. */
export function refusesEveryone(config: BrokerAuthConfig): boolean {
  return !config.allowAnonymous && config.passwordFile === undefined;
}

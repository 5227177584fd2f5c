import type { Authenticator, Authorizer } from '../broker/auth.js';
import { allowAll } from '../broker/auth.js';
import type { BrokerAuthConfig } from '../config/server-config.js';
import type { Logger } from '../observability/logger.js';
import { AclAuthorizer } from './acl-authorizer.js';
import { loadAclFile } from './acl-file.js';
import { FileAuthenticator } from './file-authenticator.js';
import { loadPasswordFile } from './password-file.js';

/** What a reload did to one file: swapped in, or kept the previous table (the reason is logged). */
export type FileReloadOutcome = 'reloaded' | 'failed';

export interface FileReport {
  readonly passwordFile?: FileReloadOutcome;
  readonly aclFile?: FileReloadOutcome;
}

export interface FileAuth {
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  /**
   * Re-reads the password and ACL files (SIGHUP). Each file is swapped on its own, and only when
   * it parses completely: a broken file keeps its previous table, so a typo never locks out
   * every user nor opens every topic. Connections are kept; later checks use the new tables.
   */
  reload(logger: Logger): Promise<FileReport>;
}

/** Loads one file into its holder; on failure logs the reason (file and line, never a secret). */
async function reloadOne<T>(
  what: 'password file' | 'acl file',
  file: string,
  load: (file: string) => Promise<T>,
  apply: (table: T) => string,
  logger: Logger,
): Promise<FileReloadOutcome> {
  let table: T;
  try {
    table = await load(file);
  } catch (err) {
    logger.error({ file, reason: (err as Error).message }, `${what} reload failed; keeping the previous one`);
    return 'failed';
  }
  logger.info({ file }, `${what} reloaded: ${apply(table)}`);
  return 'reloaded';
}

/** Builds the plain broker's auth from its files; throws AuthFileError on an unusable file. */
export async function createFileAuth(config: BrokerAuthConfig): Promise<FileAuth> {
  const { passwordFile, aclFile } = config;
  const passwords = passwordFile === undefined ? undefined : await loadPasswordFile(passwordFile);
  const authenticator = new FileAuthenticator({
    allowAnonymous: config.allowAnonymous,
    ...(passwords === undefined ? {} : { passwords }),
  });
  const acl = aclFile === undefined ? undefined : new AclAuthorizer(await loadAclFile(aclFile));
  const reload = async (logger: Logger): Promise<FileReport> => {
    const report: { passwordFile?: FileReloadOutcome; aclFile?: FileReloadOutcome } = {};
    if (passwordFile !== undefined) {
      report.passwordFile = await reloadOne(
        'password file',
        passwordFile,
        loadPasswordFile,
        (table) => {
          authenticator.replacePasswords(table);
          return `${table.size} users`;
        },
        logger,
      );
    }
    if (acl !== undefined && aclFile !== undefined) {
      report.aclFile = await reloadOne(
        'acl file',
        aclFile,
        loadAclFile,
        (table) => {
          acl.replaceTable(table);
          return `${table.users.size} user blocks, ${table.patterns.length} patterns`;
        },
        logger,
      );
    }
    return report;
  };
  return { authenticator, authorizer: acl ?? allowAll, reload };
}

/** True when no client at all can get in: no anonymous access and no password file. */
export function refusesEveryone(config: BrokerAuthConfig): boolean {
  return !config.allowAnonymous && config.passwordFile === undefined;
}

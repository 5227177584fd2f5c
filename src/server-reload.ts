import type { FileAuth, FileReport } from './auth/file-auth.js';
import type { ReloadOutcome, TlsCredentials } from './mqtt/transport/tls-credentials.js';
import type { Logger } from './observability/logger.js';

/** What one reload (SIGHUP) did, per part; a part the process does not have is left out. */
export interface ReloadReport extends FileReport {
  readonly tls?: ReloadOutcome;
}

export interface Reloadable {
  /** The plain broker's password/ACL files; absent when auth comes from elsewhere (the platform). */
  readonly files: FileAuth | undefined;
  readonly tls: TlsCredentials | undefined;
  readonly logger: Logger;
}

/**
 * Reads the auth files and the TLS pair again. Each part keeps its previous state when its new
 * files are unusable, and nothing here closes a connection. Reloads never overlap: a second
 * request waits for the first and then reads the files again (they may have changed since).
 */
export function reloader(parts: Reloadable): () => Promise<ReloadReport> {
  let last: Promise<unknown> = Promise.resolve();
  const once = async (): Promise<ReloadReport> => {
    const files = parts.files === undefined ? {} : await parts.files.reload(parts.logger);
    const report: ReloadReport =
      parts.tls === undefined ? files : { ...files, tls: await parts.tls.reload() };
    const failed = Object.values(report).includes('failed');
    parts.logger[failed ? 'warn' : 'info'](
      { reloaded: report },
      failed ? 'reload done; some files were kept as they were' : 'reload done',
    );
    return report;
  };
  return () => {
    const next = last.then(once, once);
    last = next.catch(() => undefined);
    return next;
  };
}

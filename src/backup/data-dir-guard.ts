import { acquireDataDirLock, type DataDirLock, DataDirLockedError } from '../store/data-dir-lock.js';
import { preparePrivateDir } from '../store/private-files.js';
import { ArchiveError } from './archive-format.js';

/**
 * Takes the data directory's lock for the length of an import or a migration: a server started
 * meanwhile is refused, and a running one refuses the command (its caches would not see the
 * change, and its writes would mix with the import's or be left behind by the migration).
 */
export async function lockDataDir(dataDir: string, command: 'import' | 'migrate-to'): Promise<DataDirLock> {
  await preparePrivateDir(dataDir);
  try {
    const hint = command === 'import' ? 'stop it before importing into it' : 'stop it before migrating it';
    return acquireDataDirLock(dataDir, { command, hint });
  } catch (err) {
    if (err instanceof DataDirLockedError) throw new ArchiveError(err.message);
    throw err;
  }
}

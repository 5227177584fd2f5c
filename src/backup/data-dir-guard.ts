import { acquireDataDirLock, type DataDirLock, DataDirLockedError } from '../store/data-dir-lock.js';
import { preparePrivateDir } from '../store/private-files.js';
import { ArchiveError } from './archive-format.js';

/**
 * Takes the data directory's lock for the length of an import: a server started meanwhile is
 * refused, and a running one refuses the import (its caches would not see the change and its
 * writes would mix with the import's).
 */
export async function lockDataDirForImport(dataDir: string): Promise<DataDirLock> {
  await preparePrivateDir(dataDir);
  try {
    return acquireDataDirLock(dataDir, { command: 'import', hint: 'stop it before importing into it' });
  } catch (err) {
    if (err instanceof DataDirLockedError) throw new ArchiveError(err.message);
    throw err;
  }
}

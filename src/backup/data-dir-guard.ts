import { serverRunning } from '../cli/manage-offline.js';
import { ArchiveError } from './archive-format.js';

/**
 * Refuses to change a data directory a server is using: its caches would not see the change and
 * its writes would mix with the import's. Today a live server is recognised by the ports in its
 * listeners.json answering; the single place to ask a data-directory lock instead.
 */
export async function assertDataDirIdle(dataDir: string): Promise<void> {
  if (await serverRunning(dataDir))
    throw new ArchiveError(`a server is running on ${dataDir}: stop it before importing into it`);
}

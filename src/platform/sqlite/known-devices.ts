import type { Database } from 'better-sqlite3';
import type { CommitBatch } from './value-write-queue.js';

/**
 * Device ids remembered as existing. A gateway's batch holds one write per device, so checking
 * every device of every commit cost one b-tree seek per value; at this bound the set starts over
 * (each device is looked up once more). 100,000 small integers take a few MB.
 */
export const MAX_KNOWN_DEVICES = 100_000;

export interface KnownDevices {
  /** Whether the device exists: a lookup the first time, a Set hit after (inside a commit). */
  exists(deviceId: number): boolean;
  /** `commit`, run once more with every device looked up again if a device was deleted meanwhile. */
  retryOnDeleted(commit: CommitBatch): CommitBatch;
}

/**
 * The value store's device check. Remembering a device is safe because the value tables reference
 * `devices(id)` with foreign keys: rows for a device deleted meanwhile (by any connection) fail the
 * commit instead of being stored, and the commit is retried with the device looked up again, so
 * its write resolves false ("device not found") exactly as before. Device ids are never reused
 * (AUTOINCREMENT), so a remembered id cannot stand for another device. Without foreign keys
 * nothing is remembered.
 */
export function knownDevices(db: Database, limit = MAX_KNOWN_DEVICES): KnownDevices {
  const lookup = db.prepare<[number], { id: number }>('SELECT id FROM devices WHERE id = ?');
  const remember = db.pragma('foreign_keys', { simple: true }) === 1;
  const known = new Set<number>();
  return {
    exists(deviceId) {
      if (known.has(deviceId)) return true;
      if (lookup.get(deviceId) === undefined) return false;
      if (remember) {
        if (known.size >= limit) known.clear();
        known.add(deviceId);
      }
      return true;
    },
    retryOnDeleted: (commit) => (batch) => {
      try {
        commit(batch);
      } catch (err) {
        if (known.size === 0 || !isForeignKeyError(err)) throw err;
        known.clear();
        commit(batch);
      }
    },
  };
}

function isForeignKeyError(err: unknown): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

import type pg from 'pg';
import { NotFoundError } from '../errors.js';
import {
  isUploadKey,
  serialPerKey,
  storedUploadName,
  type UploadStore,
  type UploadStoreOptions,
} from '../uploads/upload-store.js';
import { lockIds } from './pg-advisory-locks.js';
import { FOREIGN_KEY_VIOLATION, isPgError, withTransaction } from './pg-store-sql.js';

/** Advisory-lock namespace of a device's uploads (saves of one device take turns across processes). */
const UPLOAD_DEVICE_LOCK = 0x0a7b;

const statements = {
  // Saving a name again makes it the newest (a fresh seq), as a rewritten file would be.
  save: `INSERT INTO device_uploads (device_id, stored_name, bytes) VALUES ($1, $2, $3)
    ON CONFLICT (device_id, stored_name) DO UPDATE SET bytes = EXCLUDED.bytes, seq = DEFAULT`,
  // spec §6.2 row 14: past the limit, the oldest files go.
  evict: `DELETE FROM device_uploads WHERE device_id = $1 AND seq NOT IN (
    SELECT seq FROM device_uploads WHERE device_id = $1 ORDER BY seq DESC LIMIT $2)`,
  read: 'SELECT bytes FROM device_uploads WHERE device_id = $1 AND stored_name = $2',
};

/**
 * Device uploads as rows of `device_uploads`: the same stored names as the files, the newest save
 * has the highest `seq`, and past `maxFiles` the rows with the lowest go. A device's saves run one
 * after another in this process (no pooled connection waits on another's lock) and under the
 * device's advisory lock across processes.
 */
export function createPostgresUploadStore(pool: pg.Pool, options: UploadStoreOptions): UploadStore {
  const serial = serialPerKey<number>();
  const saveNow = (deviceId: number, stored: string, data: Buffer) =>
    withTransaction(pool, async (client) => {
      await lockIds(client, UPLOAD_DEVICE_LOCK, [deviceId]);
      await client.query(statements.save, [deviceId, stored, data]);
      await client.query(statements.evict, [deviceId, options.maxFiles]);
      return stored;
    }).catch((err: unknown) => {
      // The device was deleted meanwhile (its rows go with it).
      throw isPgError(err, FOREIGN_KEY_VIOLATION) ? new NotFoundError('Device not found.') : err;
    });
  return {
    maxFiles: options.maxFiles,
    save(deviceId, name, data) {
      const stored = storedUploadName(options.key, deviceId, name);
      return serial(deviceId, () => saveNow(deviceId, stored, data));
    },
    async read(deviceId, storedName) {
      if (!isUploadKey(deviceId, storedName)) return undefined;
      const { rows } = await pool.query<{ bytes: Buffer }>(statements.read, [deviceId, storedName]);
      return rows[0]?.bytes;
    },
  };
}

import type pg from 'pg';
import { NotFoundError } from '../errors.js';
import {
  isUploadKey,
  serialPerKey,
  storedUploadName,
  type UploadStore,
  type UploadStoreOptions,
} from '../uploads/upload-store.js';
import { isForeignKeyViolation } from './pg-error-codes.js';
import { lockIds, withPgTransaction } from './pg-transaction.js';

/** Advisory-lock namespace of a device's uploads (saves of one device take turns across processes). */
const UPLOAD_DEVICE_LOCK = 0x0a7b;

/**
 * Device uploads as rows of `device_uploads`: the same stored names as the files, the newest save
 * has the highest `seq`, and past `maxFiles` the rows with the lowest go. A device's saves run one
 * after another in this process (no pooled connection waits on another's lock) and under the
 * device's advisory lock across processes.
 */
export class PostgresUploadStore implements UploadStore {
  private readonly serial = serialPerKey<number>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: UploadStoreOptions,
  ) {}

  get maxFiles(): number {
    return this.options.maxFiles;
  }

  save(deviceId: number, name: string, data: Buffer): Promise<string> {
    const stored = storedUploadName(this.options.key, deviceId, name);
    return this.serial(deviceId, () =>
      withPgTransaction(this.pool, async (client) => {
        await lockIds(client, UPLOAD_DEVICE_LOCK, [deviceId]);
        // Saving a name again makes it the newest (a fresh seq), as a rewritten file would be.
        await client.query(
          `INSERT INTO device_uploads (device_id, stored_name, bytes) VALUES ($1, $2, $3)
           ON CONFLICT (device_id, stored_name) DO UPDATE SET bytes = EXCLUDED.bytes, seq = DEFAULT`,
          [deviceId, stored, data],
        );
        // spec §6.2 row 14: past the limit, the oldest files go.
        await client.query(
          `DELETE FROM device_uploads WHERE device_id = $1 AND seq NOT IN (
             SELECT seq FROM device_uploads WHERE device_id = $1 ORDER BY seq DESC LIMIT $2)`,
          [deviceId, this.options.maxFiles],
        );
        return stored;
      }).catch((err: unknown) => {
        // The device was deleted meanwhile (its rows go with it).
        throw isForeignKeyViolation(err) ? new NotFoundError('Device not found.') : err;
      }),
    );
  }

  async read(deviceId: number, storedName: string): Promise<Buffer | undefined> {
    if (!isUploadKey(deviceId, storedName)) return undefined;
    const { rows } = await this.pool.query<{ bytes: Buffer }>(
      'SELECT bytes FROM device_uploads WHERE device_id = $1 AND stored_name = $2',
      [deviceId, storedName],
    );
    return rows[0]?.bytes;
  }
}

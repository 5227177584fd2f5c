import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import {
  type DeviceRow,
  deviceColumns,
  duplicateDeviceToken,
  duplicateStaticToken,
  toDevice,
} from '../devices/device-row-mapping.js';
import type { NewDevice } from '../devices/device-store.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { Device } from '../model.js';

/** Statements shared by the device and static-token stores. */
export interface DeviceStatements {
  readonly insert: Statement;
  readonly get: Statement<[number], DeviceRow>;
}

export function prepareDeviceStatements(db: Database): DeviceStatements {
  return {
    insert: db.prepare(`
      INSERT INTO devices (name, template_id, org_id, owner_user_id, status, token_hash, token_enc,
        activated_at, created_at, last_modified_ts)
      VALUES (@name, @templateId, @orgId, @ownerUserId, @status, @tokenHash, @tokenCipher,
        @activatedAt, @createdAt, @createdAt)`),
    get: db.prepare(`SELECT ${deviceColumns} FROM devices WHERE id = ?`),
  };
}

/** Inserts a device (inside the caller's transaction, if any) and reads it back. */
export function insertDevice(statements: DeviceStatements, device: NewDevice): Device {
  const { lastInsertRowid } = statements.insert.run({ ...device, activatedAt: device.activatedAt ?? null });
  const row = statements.get.get(Number(lastInsertRowid));
  if (row === undefined) throw new Error('device row vanished after insert');
  return toDevice(row);
}

/**
 * The typed error for a broken constraint of the device tables (the PostgreSQL stores raise the
 * same): a taken token hash is a ConflictError, a missing org/template a NotFoundError. Anything
 * else is returned unchanged.
 */
export function deviceWriteError(err: unknown): unknown {
  if (!(err instanceof BetterSqlite3.SqliteError)) return err;
  if (err.code === 'SQLITE_CONSTRAINT_UNIQUE') {
    if (err.message.includes('static_tokens.token_hash')) return new ConflictError(duplicateStaticToken);
    if (err.message.includes('devices.token_hash')) return new ConflictError(duplicateDeviceToken);
  }
  if (err.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new NotFoundError('The organization, template or device referenced does not exist.');
  }
  return err;
}

/** Runs `work`, rethrowing a constraint failure as its typed error. */
export function mappingDeviceErrors<T>(work: () => T): T {
  try {
    return work();
  } catch (err) {
    throw deviceWriteError(err);
  }
}

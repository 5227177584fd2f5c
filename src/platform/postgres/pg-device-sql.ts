import type pg from 'pg';
import { deviceColumns, duplicateDeviceToken, duplicateStaticToken } from '../devices/device-row-mapping.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { Page } from '../model.js';
import { FOREIGN_KEY_VIOLATION, sqlState, UNIQUE_VIOLATION, withTransaction } from './pg-store-sql.js';

/**
 * The typed error the SQLite stores raise for the same broken rule: a taken token hash is a
 * ConflictError, a missing org/template/device a NotFoundError. Anything else (a connection
 * failure above all) is returned unchanged, for the caller to rethrow.
 */
export function deviceWriteError(err: unknown): unknown {
  const state = sqlState(err);
  if (state === UNIQUE_VIOLATION) {
    const constraint = (err as pg.DatabaseError).constraint ?? '';
    if (constraint.startsWith('devices_')) return new ConflictError(duplicateDeviceToken);
    if (constraint.startsWith('static_tokens_')) return new ConflictError(duplicateStaticToken);
  }
  if (state === FOREIGN_KEY_VIOLATION) {
    return new NotFoundError('The organization, template or device referenced does not exist.');
  }
  return err;
}

/** Runs `work`, rethrowing a constraint failure as its typed error. */
export async function mappingDeviceErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw deviceWriteError(err);
  }
}

/**
 * Deletes the device that `deviceIdSql` (with `$1`) names and its history, in one transaction;
 * the other per-device tables cascade. `history` is partitioned and has no foreign key, so its
 * rows go by hand, in a statement run after the device row is locked and gone: a value write
 * that holds the device row (FOR KEY SHARE, as the current_values foreign key takes) commits
 * first and its history is seen and deleted; one that comes later finds no device.
 */
export function deleteDeviceWithHistory(
  pool: pg.Pool,
  deviceIdSql: string,
  param: unknown,
): Promise<boolean> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ id: number }>(
      `DELETE FROM devices WHERE id = (${deviceIdSql}) RETURNING id`,
      [param],
    );
    const deleted = rows[0];
    if (deleted === undefined) return false;
    await client.query('DELETE FROM history WHERE device_id = $1', [deleted.id]);
    return true;
  });
}

/** The device columns prefixed with a table name (for UPDATE … FROM … RETURNING). */
export function qualifiedDeviceColumns(table: string): string {
  return deviceColumns
    .split(',')
    .map((column) => `${table}.${column.trim()}`)
    .join(', ');
}

/**
 * A page from rows that carry `count(*) OVER ()` as `total`: one round trip, unless the window
 * lies past the last row (no row to carry the total), when `count` is asked.
 */
export async function pageOf<R extends { total: number }, T>(
  rows: readonly R[],
  offset: number,
  map: (row: R) => T,
  count: () => Promise<number>,
): Promise<Page<T>> {
  const first = rows[0];
  const totalElements = first !== undefined ? first.total : offset > 0 ? await count() : 0;
  return { content: rows.map(map), totalElements };
}

import type pg from 'pg';
import type { AttributeStore } from '../devices/attribute-store.js';
import { type PropertyColumns, toMetaValueRow, toPropertyRow } from '../devices/device-row-mapping.js';
import { FOREIGN_KEY_VIOLATION, sqlState } from './pg-store-sql.js';

const statements = {
  setProperty: `
    INSERT INTO properties (device_id, datastream_id, name, value_list) VALUES ($1, $2, $3, $4)
    ON CONFLICT (device_id, datastream_id, name) DO UPDATE SET value_list = EXCLUDED.value_list`,
  // Erasing answers whether the device exists in the same statement.
  eraseProperty: `
    WITH erased AS (DELETE FROM properties WHERE device_id = $1 AND datastream_id = $2 AND name = $3)
    SELECT EXISTS (SELECT 1 FROM devices WHERE id = $1) AS known`,
  properties:
    'SELECT datastream_id, name, value_list FROM properties WHERE device_id = $1 ORDER BY datastream_id, name',
  setMeta: `
    INSERT INTO meta_values (device_id, meta_field_id, value) VALUES ($1, $2, $3)
    ON CONFLICT (device_id, meta_field_id) DO UPDATE SET value = EXCLUDED.value`,
  meta: 'SELECT meta_field_id, value FROM meta_values WHERE device_id = $1 ORDER BY meta_field_id',
  clear: `
    WITH cleared AS (DELETE FROM properties WHERE device_id = $1)
    DELETE FROM meta_values WHERE device_id = $1`,
} as const;

/** AttributeStore on PostgreSQL: properties keep their value list as JSON text. */
export function createPostgresAttributeStore(pool: pg.Pool): AttributeStore {
  /** true once written; false when the foreign key finds no such device. */
  const upsert = async (sql: string, params: unknown[]): Promise<boolean> => {
    try {
      await pool.query(sql, params);
      return true;
    } catch (err) {
      if (sqlState(err) === FOREIGN_KEY_VIOLATION) return false;
      throw err;
    }
  };

  return {
    setProperty: async (deviceId, dataStreamId, name, values) => {
      if (values.length > 0) {
        return upsert(statements.setProperty, [deviceId, dataStreamId, name, JSON.stringify(values)]);
      }
      const { rows } = await pool.query<{ known: boolean }>(statements.eraseProperty, [
        deviceId,
        dataStreamId,
        name,
      ]);
      return rows[0]?.known === true;
    },
    properties: async (deviceId) =>
      (await pool.query<PropertyColumns>(statements.properties, [deviceId])).rows.map(toPropertyRow),
    setMetaValue: (deviceId, metaFieldId, value) =>
      upsert(statements.setMeta, [deviceId, metaFieldId, value]),
    metaValues: async (deviceId) =>
      (await pool.query<{ meta_field_id: number; value: string }>(statements.meta, [deviceId])).rows.map(
        toMetaValueRow,
      ),
    clear: async (deviceId) => {
      await pool.query(statements.clear, [deviceId]);
    },
  };
}

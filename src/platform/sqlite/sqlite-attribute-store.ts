import type { Database } from 'better-sqlite3';
import type { AttributeStore } from '../devices/attribute-store.js';
import { type PropertyColumns, toMetaValueRow, toPropertyRow } from '../devices/device-row-mapping.js';

/** AttributeStore on SQLite: properties keep their value list as JSON text. */
export function createSqliteAttributeStore(db: Database): AttributeStore {
  const s = {
    exists: db.prepare<[number], { id: number }>('SELECT id FROM devices WHERE id = ?'),
    setProperty: db.prepare(`
      INSERT INTO properties (device_id, datastream_id, name, value_list) VALUES (?, ?, ?, ?)
      ON CONFLICT (device_id, datastream_id, name) DO UPDATE SET value_list = excluded.value_list`),
    eraseProperty: db.prepare(
      'DELETE FROM properties WHERE device_id = ? AND datastream_id = ? AND name = ?',
    ),
    properties: db.prepare<[number], PropertyColumns>(
      'SELECT datastream_id, name, value_list FROM properties WHERE device_id = ? ORDER BY datastream_id, name',
    ),
    setMeta: db.prepare(`
      INSERT INTO meta_values (device_id, meta_field_id, value) VALUES (?, ?, ?)
      ON CONFLICT (device_id, meta_field_id) DO UPDATE SET value = excluded.value`),
    meta: db.prepare<[number], { meta_field_id: number; value: string }>(
      'SELECT meta_field_id, value FROM meta_values WHERE device_id = ? ORDER BY meta_field_id',
    ),
    clearProperties: db.prepare('DELETE FROM properties WHERE device_id = ?'),
    clearMeta: db.prepare('DELETE FROM meta_values WHERE device_id = ?'),
  };
  const setProperty = db.transaction(
    (deviceId: number, dataStreamId: number, name: string, values: readonly string[]) => {
      if (s.exists.get(deviceId) === undefined) return false;
      if (values.length === 0) s.eraseProperty.run(deviceId, dataStreamId, name);
      else s.setProperty.run(deviceId, dataStreamId, name, JSON.stringify(values));
      return true;
    },
  );
  const setMeta = db.transaction((deviceId: number, metaFieldId: number, value: string) => {
    if (s.exists.get(deviceId) === undefined) return false;
    s.setMeta.run(deviceId, metaFieldId, value);
    return true;
  });
  const clear = db.transaction((deviceId: number) => {
    s.clearProperties.run(deviceId);
    s.clearMeta.run(deviceId);
  });

  return {
    setProperty: async (deviceId, dataStreamId, name, values) =>
      setProperty(deviceId, dataStreamId, name, values),
    properties: async (deviceId) => s.properties.all(deviceId).map(toPropertyRow),
    setMetaValue: async (deviceId, metaFieldId, value) => setMeta(deviceId, metaFieldId, value),
    metaValues: async (deviceId) => s.meta.all(deviceId).map(toMetaValueRow),
    clear: async (deviceId) => clear(deviceId),
  };
}

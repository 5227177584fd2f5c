import type { Database } from 'better-sqlite3';
import { type EventRow, toEventRecord } from '../devices/device-row-mapping.js';
import type { EventLogQuery, EventLogStore } from '../devices/event-log-store.js';
import type { DeviceEventRecord } from '../model.js';

const window = 'device_id = @deviceId AND ts BETWEEN @from AND @to';

/** EventLogStore on SQLite. */
export function createSqliteEventLogStore(db: Database): EventLogStore {
  const s = {
    exists: db.prepare<[number], { id: number }>('SELECT id FROM devices WHERE id = ?'),
    insert: db.prepare(
      'INSERT INTO device_events (device_id, event_id, code, description, ts) VALUES (@deviceId, @eventId, @code, @description, @ts)',
    ),
    page: db.prepare<object, EventRow>(
      `SELECT * FROM device_events WHERE ${window} ORDER BY ts DESC, id DESC LIMIT @limit OFFSET @offset`,
    ),
    count: db.prepare<object, { n: number }>(`SELECT count(*) AS n FROM device_events WHERE ${window}`),
    clear: db.prepare('DELETE FROM device_events WHERE device_id = ?'),
  };
  const append = db.transaction((event: Omit<DeviceEventRecord, 'id'>): DeviceEventRecord | undefined => {
    if (s.exists.get(event.deviceId) === undefined) return undefined;
    const { lastInsertRowid } = s.insert.run(event);
    return { id: Number(lastInsertRowid), ...event };
  });

  return {
    append: async (event) => append(event),
    query: async (deviceId, query: EventLogQuery) => {
      const params = {
        deviceId,
        from: query.from ?? Number.MIN_SAFE_INTEGER,
        to: query.to ?? Number.MAX_SAFE_INTEGER,
        limit: query.limit,
        offset: query.offset,
      };
      return { content: s.page.all(params).map(toEventRecord), totalElements: s.count.get(params)?.n ?? 0 };
    },
    clear: async (deviceId) => {
      s.clear.run(deviceId);
    },
  };
}

import type { Database } from 'better-sqlite3';
import type { HistoryQuery, ValuePoint, ValueStore } from '../devices/value-store.js';
import type { DatastreamValue } from '../model.js';

interface CurrentRow {
  datastream_id: number;
  value: string;
  updated_at: number;
}

const window = 'device_id = @deviceId AND datastream_id = @dataStreamId AND ts BETWEEN @from AND @to';

/**
 * ValueStore on SQLite. `write` is the device API's hot path: one transaction per call over
 * statements prepared once; values are JSON text.
 */
export function createSqliteValueStore(db: Database): ValueStore {
  const s = {
    exists: db.prepare<[number], { id: number }>('SELECT id FROM devices WHERE id = ?'),
    history: db.prepare('INSERT INTO history (device_id, datastream_id, ts, value) VALUES (?, ?, ?, ?)'),
    // The newest point wins; a tie goes to the later write.
    current: db.prepare(`
      INSERT INTO current_values (device_id, datastream_id, value, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (device_id, datastream_id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
      WHERE excluded.updated_at >= current_values.updated_at`),
    erase: db.prepare('DELETE FROM current_values WHERE device_id = ? AND datastream_id = ?'),
    list: db.prepare<[number], CurrentRow>(
      'SELECT datastream_id, value, updated_at FROM current_values WHERE device_id = ? ORDER BY datastream_id',
    ),
    page: db.prepare<object, { ts: number; value: string }>(
      `SELECT ts, value FROM history WHERE ${window} ORDER BY ts DESC, rowid DESC LIMIT @limit OFFSET @offset`,
    ),
    count: db.prepare<object, { n: number }>(`SELECT count(*) AS n FROM history WHERE ${window}`),
    prune: db.prepare('DELETE FROM history WHERE ts < ?'),
    clearCurrent: db.prepare('DELETE FROM current_values WHERE device_id = ?'),
    clearHistory: db.prepare('DELETE FROM history WHERE device_id = ?'),
  };
  const write = db.transaction((deviceId: number, points: readonly ValuePoint[]): boolean => {
    if (s.exists.get(deviceId) === undefined) return false;
    for (const point of points) {
      const json = JSON.stringify(point.value);
      s.history.run(deviceId, point.dataStreamId, point.ts, json);
      s.current.run(deviceId, point.dataStreamId, json, point.ts);
    }
    return true;
  });
  const clear = db.transaction((deviceId: number) => {
    s.clearCurrent.run(deviceId);
    s.clearHistory.run(deviceId);
  });

  return {
    write: async (deviceId, points) => write(deviceId, points),
    erase: async (deviceId, dataStreamId) => {
      s.erase.run(deviceId, dataStreamId);
    },
    current: async (deviceId) =>
      s.list.all(deviceId).map((row) => ({
        dataStreamId: row.datastream_id,
        value: JSON.parse(row.value) as DatastreamValue,
        updatedAt: row.updated_at,
      })),
    history: async (deviceId, query: HistoryQuery) => {
      const params = {
        deviceId,
        dataStreamId: query.dataStreamId,
        from: query.from ?? Number.MIN_SAFE_INTEGER,
        to: query.to ?? Number.MAX_SAFE_INTEGER,
        limit: query.limit,
        offset: query.offset,
      };
      const content = s.page
        .all(params)
        .map((row) => ({ ts: row.ts, value: JSON.parse(row.value) as DatastreamValue }));
      return { content, totalElements: s.count.get(params)?.n ?? 0 };
    },
    pruneBefore: async (before) => s.prune.run(before).changes,
    clear: async (deviceId) => clear(deviceId),
  };
}

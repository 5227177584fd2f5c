import type pg from 'pg';
import { type EventRow, toEventRecord } from '../devices/device-row-mapping.js';
import type { EventLogQuery, EventLogStore } from '../devices/event-log-store.js';
import { pageOf } from './pg-device-sql.js';
import { FOREIGN_KEY_VIOLATION, sqlState } from './pg-store-sql.js';

const window = 'device_id = $1 AND ts BETWEEN $2 AND $3';

const statements = {
  append: `
    INSERT INTO device_events (device_id, event_id, code, description, ts) VALUES ($1, $2, $3, $4, $5)
    RETURNING id`,
  // Newest first; ties: latest logged first (ids only grow).
  page: `
    SELECT *, count(*) OVER () AS total FROM device_events WHERE ${window}
    ORDER BY ts DESC, id DESC LIMIT $4 OFFSET $5`,
  count: `SELECT count(*) AS n FROM device_events WHERE ${window}`,
  clear: 'DELETE FROM device_events WHERE device_id = $1',
} as const;

/** EventLogStore on PostgreSQL. */
export function createPostgresEventLogStore(pool: pg.Pool): EventLogStore {
  return {
    append: async (event) => {
      try {
        const { rows } = await pool.query<{ id: number }>(statements.append, [
          event.deviceId,
          event.eventId,
          event.code,
          event.description,
          event.ts,
        ]);
        const row = rows[0];
        if (row === undefined) throw new Error('device_events INSERT returned no row');
        return { id: row.id, ...event };
      } catch (err) {
        // The foreign key is the device check: an unknown device logs nothing.
        if (sqlState(err) === FOREIGN_KEY_VIOLATION) return undefined;
        throw err;
      }
    },
    query: async (deviceId, query: EventLogQuery) => {
      const window = [deviceId, query.from ?? Number.MIN_SAFE_INTEGER, query.to ?? Number.MAX_SAFE_INTEGER];
      const { rows } = await pool.query<EventRow & { total: number }>(statements.page, [
        ...window,
        query.limit,
        query.offset,
      ]);
      return pageOf(rows, query.offset, toEventRecord, async () => {
        return (await pool.query<{ n: number }>(statements.count, window)).rows[0]?.n ?? 0;
      });
    },
    clear: async (deviceId) => {
      await pool.query(statements.clear, [deviceId]);
    },
  };
}

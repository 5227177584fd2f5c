import type pg from 'pg';
import type { ValuePoint } from '../devices/value-store.js';

/** History rows one batch may hold at most: the step of the `seq` identity (schema/values.ts). */
export const SEQ_BLOCK = 1_048_576;

/** One `ValueStore.write` call, as a batch holds it. */
export interface BatchedWrite {
  readonly deviceId: number;
  readonly points: readonly ValuePoint[];
}

/**
 * One statement for a whole batch, committed on its own (autocommit: its completion is the
 * COMMIT, one round trip). `known` locks the batch's devices that exist (FOR KEY SHARE: a device
 * cannot be deleted until the commit, and one deleted meanwhile is skipped); only their points are
 * inserted, so an unknown device fails alone instead of failing the batch on a foreign key. History
 * rows take `seq` = one value of the identity sequence (whose step is SEQ_BLOCK) + their position
 * in the batch: write order, without a sequence call per row or a sort. Current values are reduced
 * to one row per stream beforehand (ON CONFLICT cannot touch a row twice).
 */
const WRITE_BATCH = `
WITH known AS (
  SELECT id FROM devices WHERE id = ANY($1::bigint[]) FOR KEY SHARE
), h AS (
  INSERT INTO history (device_id, datastream_id, ts, seq, value)
  -- An uncorrelated sub-select runs once per statement (an InitPlan): one sequence value per batch.
  SELECT u.d, u.s, u.t, (SELECT nextval(pg_get_serial_sequence('history', 'seq'))) + u.n, u.v
  FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::text[]) WITH ORDINALITY AS u(d, s, t, v, n)
  WHERE u.d IN (SELECT id FROM known)
), c AS (
  INSERT INTO current_values AS cv (device_id, datastream_id, value, updated_at)
  SELECT u.d, u.s, u.v, u.t
  FROM unnest($6::bigint[], $7::bigint[], $8::bigint[], $9::text[]) AS u(d, s, t, v)
  WHERE u.d IN (SELECT id FROM known)
  ON CONFLICT (device_id, datastream_id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
  WHERE cv.updated_at <= excluded.updated_at
)
SELECT id FROM known`;

/**
 * A JSON value as an element of a PostgreSQL array literal: always quoted (`[1,2]` holds a comma,
 * an unquoted `null` would read as NULL), `"` and `\` escaped. Undefined (not JSON) becomes NULL,
 * which the NOT NULL column refuses: that write fails alone.
 */
function arrayElement(json: string | undefined): string {
  if (json === undefined) return 'NULL';
  return /["\\]/.test(json) ? `"${json.replace(/["\\]/g, '\\$&')}"` : `"${json}"`;
}

/** `{1,2,3}`: the text form `$n::bigint[]` / `$n::text[]` parses (elements already quoted). */
const literal = (elements: readonly (number | string)[]): string => `{${elements.join(',')}}`;

/**
 * Column arrays of a batch: every point for history, the newest point per stream for current.
 * Values are kept as array-literal elements and each column is sent as one literal: the driver's
 * generic array serialisation cost more CPU per value than the rest of the batch (profiled).
 */
export class BatchColumns {
  readonly devices: number[] = [];
  readonly hDevice: number[] = [];
  readonly hStream: number[] = [];
  readonly hTs: number[] = [];
  readonly hValue: string[] = [];
  readonly cDevice: number[] = [];
  readonly cStream: number[] = [];
  readonly cTs: number[] = [];
  readonly cValue: string[] = [];
  /** device → stream → index in the c* arrays. */
  readonly #current = new Map<number, Map<number, number>>();

  add(write: BatchedWrite): void {
    const { deviceId } = write;
    let streams = this.#current.get(deviceId);
    if (streams === undefined) {
      streams = new Map();
      this.#current.set(deviceId, streams);
      this.devices.push(deviceId);
    }
    for (const { dataStreamId, ts, value } of write.points) {
      const json = arrayElement(JSON.stringify(value) as string | undefined);
      this.hDevice.push(deviceId);
      this.hStream.push(dataStreamId);
      this.hTs.push(ts);
      this.hValue.push(json);
      const at = streams.get(dataStreamId);
      if (at === undefined) {
        streams.set(dataStreamId, this.cDevice.length);
        this.cDevice.push(deviceId);
        this.cStream.push(dataStreamId);
        this.cTs.push(ts);
        this.cValue.push(json);
      } else if ((this.cTs[at] as number) <= ts) {
        // The newest point of the stream; a tie goes to the later write.
        this.cTs[at] = ts;
        this.cValue[at] = json;
      }
    }
  }
}

export function batchColumns(batch: readonly BatchedWrite[]): BatchColumns {
  const c = new BatchColumns();
  for (const write of batch) c.add(write);
  return c;
}

/**
 * Writes a batch in one statement; returns the ids of the devices that exist (the others' points
 * were not stored). Rejects when the statement fails: nothing of the batch was stored then.
 */
export async function writeBatch(pool: pg.Pool, c: BatchColumns): Promise<Set<number>> {
  if (c.hTs.length > SEQ_BLOCK) throw new RangeError(`a value batch holds more than ${SEQ_BLOCK} points`);
  const { rows } = await pool.query<{ id: number }>({
    name: 'devgate_values_write_batch',
    text: WRITE_BATCH,
    values: [c.devices, c.hDevice, c.hStream, c.hTs, c.hValue, c.cDevice, c.cStream, c.cTs, c.cValue].map(
      literal,
    ),
  });
  return new Set(rows.map((row) => row.id));
}

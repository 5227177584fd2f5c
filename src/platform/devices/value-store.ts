import type { DatastreamCurrentValue, DatastreamValue, HistoryPoint, Page } from '../model.js';

export interface ValuePoint {
  readonly dataStreamId: number;
  readonly value: DatastreamValue;
  readonly ts: number;
}

export interface HistoryQuery {
  readonly dataStreamId: number;
  /** inclusive, epoch ms */
  readonly from?: number;
  /** inclusive, epoch ms */
  readonly to?: number;
  readonly offset: number;
  readonly limit: number;
}

/** Current values and history of datastreams (spec §5.3, §6.4). */
export interface ValueStore {
  /**
   * Appends every point to history and makes it the current value of its datastream unless the
   * current one is newer (a back-filled point never hides a fresher value). All or nothing; false
   * (nothing stored) when the device is unknown.
   */
  write(deviceId: number, points: readonly ValuePoint[]): Promise<boolean>;
  /** Drops the current value; history stays. */
  erase(deviceId: number, dataStreamId: number): Promise<void>;
  current(deviceId: number): Promise<readonly DatastreamCurrentValue[]>;
  /** Newest first (ties: latest written first). */
  history(deviceId: number, query: HistoryQuery): Promise<Page<HistoryPoint>>;
  /** Deletes history points with `ts < before`; returns how many. */
  pruneBefore(before: number): Promise<number>;
  /** Drops current values and history of a device (its data is erased). */
  clear(deviceId: number): Promise<void>;
  /** Makes every write issued so far durable (before the database closes). */
  flush(): Promise<void>;
}

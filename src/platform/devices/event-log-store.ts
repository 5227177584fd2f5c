import type { DeviceEventRecord, Page } from '../model.js';

export interface EventLogQuery {
  /** inclusive, epoch ms */
  readonly from?: number;
  /** inclusive, epoch ms */
  readonly to?: number;
  readonly offset: number;
  readonly limit: number;
}

/** Device event occurrences (spec §5.6). */
export interface EventLogStore {
  /** undefined when the device is unknown. */
  append(event: Omit<DeviceEventRecord, 'id'>): Promise<DeviceEventRecord | undefined>;
  /** Newest first (ties: latest logged first). */
  query(deviceId: number, query: EventLogQuery): Promise<Page<DeviceEventRecord>>;
  clear(deviceId: number): Promise<void>;
}

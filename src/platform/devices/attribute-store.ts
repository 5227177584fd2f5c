export interface PropertyRow {
  readonly dataStreamId: number;
  readonly name: string;
  readonly values: readonly string[];
}

export interface MetaValueRow {
  readonly metaFieldId: number;
  readonly value: string;
}

/** Per-device widget properties (spec §5.7) and metadata values (spec §5.5). */
export interface AttributeStore {
  /** Sets (non-empty list) or erases (empty list) one property; false when the device is unknown. */
  setProperty(
    deviceId: number,
    dataStreamId: number,
    name: string,
    values: readonly string[],
  ): Promise<boolean>;
  /** Ordered by datastream id, then name. */
  properties(deviceId: number): Promise<readonly PropertyRow[]>;
  /** false when the device is unknown. */
  setMetaValue(deviceId: number, metaFieldId: number, value: string): Promise<boolean>;
  /** Only the fields that were set, ordered by field id. */
  metaValues(deviceId: number): Promise<readonly MetaValueRow[]>;
  /** Drops every property and metadata value of a device. */
  clear(deviceId: number): Promise<void>;
}

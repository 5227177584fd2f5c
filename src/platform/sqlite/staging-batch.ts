import type { ValuePoint } from '../devices/value-store.js';

/**
 * The history rows of one value commit (4 columns each, flattened), and for each datastream the
 * one row that may become its current value: the newest point, a tie going to the later write.
 * A device connection's commit often holds many points of one stream, of which only one needs a
 * current-value upsert; a gateway's holds one point of each of many devices, so every row does,
 * and the commit is then one range of rows (no list to build).
 */
export class StagingBatch {
  readonly rows: Array<number | string> = [];
  /** deviceId → [dataStreamId, row, dataStreamId, row, …] (a device has few streams). */
  readonly #streams = new Map<number, number[]>();
  #superseded = false;

  add(deviceId: number, point: ValuePoint): void {
    const row = this.rows.length >> 2;
    this.rows.push(deviceId, point.dataStreamId, point.ts, JSON.stringify(point.value));
    const slots = this.#streams.get(deviceId);
    if (slots === undefined) {
      this.#streams.set(deviceId, [point.dataStreamId, row]);
      return;
    }
    let k = 0;
    while (k < slots.length && slots[k] !== point.dataStreamId) k += 2;
    if (k === slots.length) {
      slots.push(point.dataStreamId, row);
      return;
    }
    this.#superseded = true;
    if ((this.rows[(slots[k + 1] as number) * 4 + 2] as number) <= point.ts) slots[k + 1] = row;
  }

  get size(): number {
    return this.rows.length >> 2;
  }

  /** Rows (0-based, ascending) that may become current; undefined when every row may. */
  candidates(): number[] | undefined {
    if (!this.#superseded) return undefined;
    const rows: number[] = [];
    for (const slots of this.#streams.values())
      for (let k = 1; k < slots.length; k += 2) rows.push(slots[k] as number);
    return rows.sort((a, b) => a - b);
  }
}

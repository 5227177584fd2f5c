/**
 * Runs the writes of one device's row one after another within this process.
 *
 * Each write returns the row as the database committed it, and that row refreshes the token
 * cache. Two writes of the same row in flight at once on two pool connections may answer in the
 * other order than they committed (PostgreSQL): the older row would then overwrite the newer one
 * in the cache (a device activated by `info/mcu` read back as still pending, because the
 * connection time written at its CONNECT answered last). In step, the cache sees rows in commit
 * order. Other processes' writes reach the cache through the change feed, which re-reads the row.
 */
export class DeviceWriteOrder {
  /** The last write queued per device; an entry goes when that write ends and none follows it. */
  readonly #tails = new Map<number, Promise<void>>();

  /** Runs `write` once every earlier write of any of `deviceIds` has ended (failed ones too). */
  run<T>(deviceIds: readonly number[], write: () => Promise<T>): Promise<T> {
    const earlier = new Set<Promise<void>>();
    for (const id of deviceIds) {
      const tail = this.#tails.get(id);
      if (tail !== undefined) earlier.add(tail);
    }
    const result = earlier.size === 0 ? write() : Promise.allSettled(earlier).then(write);
    const ended = result.then(
      () => undefined,
      () => undefined,
    );
    for (const id of deviceIds) this.#tails.set(id, ended);
    void ended.then(() => {
      for (const id of deviceIds) if (this.#tails.get(id) === ended) this.#tails.delete(id);
    });
    return result;
  }
}

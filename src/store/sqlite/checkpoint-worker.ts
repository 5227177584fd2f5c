import { parentPort } from 'node:worker_threads';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import type { CheckpointReply, CheckpointRequest } from './checkpoint-protocol.js';

/**
 * The background checkpointer (a worker thread, see wal-checkpointer.ts): one read-only-in-practice
 * connection per database file, running `wal_checkpoint(PASSIVE)` when asked. PASSIVE never takes
 * the writer lock and never waits for a lock, so the connection that writes is never held up; the
 * page copying and both fsyncs happen on this thread instead of inside a commit.
 */
interface Held {
  readonly db: Database;
  readonly watchers: Set<number>;
}

const held = new Map<string, Held>();

function connection(file: string, watcher: number): Database {
  let entry = held.get(file);
  if (entry === undefined) {
    const db = new BetterSqlite3(file, { fileMustExist: true });
    // The checkpoint's fsyncs follow this connection's setting: NORMAL, as the writer's
    // (WAL synced before pages are copied back, database synced before the WAL may restart).
    db.pragma('synchronous = NORMAL');
    // Never wait: a checkpoint that finds a lock busy is simply retried at the next tick.
    db.pragma('busy_timeout = 0');
    entry = { db, watchers: new Set() };
    held.set(file, entry);
  }
  entry.watchers.add(watcher);
  return entry.db;
}

function checkpoint(request: Extract<CheckpointRequest, { op: 'checkpoint' }>): CheckpointReply {
  const started = performance.now();
  try {
    const db = connection(request.file, request.watcher);
    const [row] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number; checkpointed: number }>;
    return {
      op: 'checkpointed',
      watcher: request.watcher,
      logPages: row?.log ?? -1,
      checkpointedPages: row?.checkpointed ?? -1,
      ms: performance.now() - started,
    };
  } catch (err) {
    return { op: 'failed', watcher: request.watcher, message: (err as Error).message };
  }
}

/** Closes the file's connection once its last watcher is gone, then wakes the waiting closer. */
function release(request: Extract<CheckpointRequest, { op: 'release' }>): void {
  const entry = held.get(request.file);
  if (entry !== undefined) {
    entry.watchers.delete(request.watcher);
    if (entry.watchers.size === 0) {
      held.delete(request.file);
      entry.db.close();
    }
  }
  Atomics.store(request.done, 0, 1);
  Atomics.notify(request.done, 0);
}

parentPort?.on('message', (request: CheckpointRequest) => {
  if (request.op === 'checkpoint') parentPort?.postMessage(checkpoint(request));
  else release(request);
});

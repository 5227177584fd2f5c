/** Messages between a database's WalCheckpointer and the checkpoint worker thread. */
export type CheckpointRequest =
  | { readonly op: 'checkpoint'; readonly watcher: number; readonly file: string }
  /** `done[0]` becomes 1 (and is notified) once the worker no longer holds the file for `watcher`. */
  | { readonly op: 'release'; readonly watcher: number; readonly file: string; readonly done: Int32Array };

export type CheckpointReply =
  | {
      readonly op: 'checkpointed';
      readonly watcher: number;
      /** Frames in the WAL when the checkpoint ran (`-1`: not in WAL mode). */
      readonly logPages: number;
      /** Of those, frames now copied back into the database file. */
      readonly checkpointedPages: number;
      readonly ms: number;
    }
  | { readonly op: 'failed'; readonly watcher: number; readonly message: string };

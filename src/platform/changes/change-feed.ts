import Denque from 'denque';
import type { Logger } from 'pino';
import type { PlatformChange } from './platform-change.js';

/** Handles one change; the next is handed over once the returned promise settles. */
export type ChangeHandler = (change: PlatformChange) => void | Promise<void>;

/**
 * Committed platform changes, as every process sharing the database sees them (its own included).
 * Publishing is the database's job: triggers on the tables the caches copy call the backend's
 * notify in the writing transaction, so no write path can forget it and a rolled-back change
 * sends nothing (PostgreSQL: `pg_notify` on a channel, delivered on commit over a dedicated
 * LISTEN connection; SQLite, one process: a connection-local function, delivered in-process once
 * the synchronous statement or transaction has ended).
 */
export interface ChangeFeed {
  /** Adds a handler; changes received before the first one was added are handed to it. */
  subscribe(handler: ChangeHandler): () => void;
  /** Resolves once every change received so far has been handled. */
  settled(): Promise<void>;
  /** Stops listening, then waits for the changes already received to be handled. */
  close(): Promise<void>;
}

/** Changes waiting to be handled at most; beyond this they collapse into one `resync`. */
export const CHANGE_QUEUE_MAX = 10_000;

/**
 * Hands changes to the handlers one at a time, in the order received (commit order on
 * PostgreSQL), so a reload never overtakes an earlier eviction. Holds them until a handler is
 * subscribed (the caches load between the LISTEN and the subscription: nothing in that window is
 * lost). Bounded: an overflowing queue is replaced by one `resync`, which drops every cache.
 */
export class ChangeDelivery {
  readonly #logger: Logger | undefined;
  readonly #max: number;
  readonly #queue = new Denque<PlatformChange>();
  readonly #handlers = new Set<ChangeHandler>();
  #draining: Promise<void> | undefined;

  constructor(logger?: Logger, max = CHANGE_QUEUE_MAX) {
    this.#logger = logger;
    this.#max = Math.max(1, max);
  }

  push(change: PlatformChange): void {
    const last = this.#queue.peekBack();
    if (last !== undefined && sameChange(last, change)) return;
    if (change.kind === 'resync' || this.#queue.length >= this.#max) {
      if (change.kind !== 'resync')
        this.#logger?.warn('platform changes: queue full; every cache is dropped');
      this.#queue.clear();
      this.#queue.push({ kind: 'resync' });
    } else {
      this.#queue.push(change);
    }
    this.#kick();
  }

  subscribe(handler: ChangeHandler): () => void {
    this.#handlers.add(handler);
    this.#kick();
    return () => {
      this.#handlers.delete(handler);
    };
  }

  async settled(): Promise<void> {
    while (this.#draining !== undefined) await this.#draining;
  }

  #kick(): void {
    if (this.#draining !== undefined || this.#handlers.size === 0 || this.#queue.isEmpty()) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      this.#kick();
    });
  }

  async #drain(): Promise<void> {
    for (let change = this.#queue.shift(); change !== undefined; change = this.#queue.shift()) {
      for (const handler of [...this.#handlers]) {
        try {
          await handler(change);
        } catch (err) {
          // A failed reload leaves that copy as it was until the next change of it or a resync.
          this.#logger?.error({ err, change }, 'platform changes: a cache could not follow a change');
        }
      }
    }
  }
}

function sameChange(a: PlatformChange, b: PlatformChange): boolean {
  return a.kind === b.kind && (a.kind === 'resync' || (b.kind !== 'resync' && a.id === b.id));
}

/** A service keeping an in-memory copy: brings it in line with one committed change (idempotent). */
export interface ChangeFollower {
  follow(change: PlatformChange): void | Promise<void>;
}

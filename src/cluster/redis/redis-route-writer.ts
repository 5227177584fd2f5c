import { randomBytes } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { routeKey } from '../route-key.js';
import type { NodeId, Route, RouteChange } from '../types.js';
import { encodeMessage, encodeVersion, type RouteKeys, type RouteMessage } from './redis-route-wire.js';

/**
 * Most route keys waiting to be written. Beyond it the pending changes are dropped and the next
 * write replaces the whole set instead: the backlog never grows past this while Redis is slow or
 * away, and the full set is what a rewrite sends anyway.
 */
export const MAX_PENDING_ROUTES = 50_000;
/** Most routes listed in one change message; a larger batch is published as several. */
export const MAX_ROUTES_PER_MESSAGE = 2_000;
/** Members per SADD/SREM command inside a MULTI. */
const CHUNK = 1_000;
/** Pause before writing again after a failed write. */
const RETRY_MS = 1_000;

/**
 * This node's side of route replication: the node's own route set (a mirror of LocalRoutes, so
 * a rewrite needs nobody else) and the changes not yet written. One MULTI at a time is in flight;
 * changes announced meanwhile are merged per route and go in the next one, so any burst costs
 * one round trip per in-flight write, not one per change.
 */
export class RouteWriter {
  /** This incarnation of the node: receivers see a new run as "reload this node". */
  readonly run = randomBytes(8).toString('hex');
  readonly #own = new Map<string, Route>();
  /** Route key → true (added) / false (removed) since the last write. */
  readonly #pending = new Map<string, boolean>();
  #seq = 0;
  #needsRewrite = true;
  #active = false;
  #inFlight: Promise<void> | undefined;
  #retry: NodeJS.Timeout | undefined;
  #lastWriteFailed = false;
  #kickQueued = false;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RouteKeys,
    private readonly nodeId: NodeId,
    private readonly logger: Logger,
  ) {}

  /** Whether the last write failed (a retry is scheduled). */
  get lastWriteFailed(): boolean {
    return this.#lastWriteFailed;
  }

  /** Starts writing, beginning with `initial` as the whole set (a restarted node starts clean). */
  activate(initial: readonly Route[]): void {
    this.#own.clear();
    this.#pending.clear();
    for (const route of initial) this.#own.set(routeKey(route), route);
    this.#needsRewrite = true;
    this.#active = true;
    this.#kick();
  }

  /** Stops writing; what is pending stays unwritten. */
  deactivate(): void {
    this.#active = false;
    clearTimeout(this.#retry);
  }

  announce(change: RouteChange): void {
    for (const route of change.removed) this.#stage(routeKey(route), undefined);
    for (const route of change.added) this.#stage(routeKey(route), route);
    if (this.#pending.size > MAX_PENDING_ROUTES) {
      this.#pending.clear();
      this.#needsRewrite = true;
    }
    // Announcements made in the same synchronous run share one write.
    if (this.#kickQueued) return;
    this.#kickQueued = true;
    queueMicrotask(() => {
      this.#kickQueued = false;
      this.#kick();
    });
  }

  /** Writes the whole set again (Redis lost it, or someone dropped this node). */
  rewrite(): void {
    this.#needsRewrite = true;
    this.#kick();
  }

  /** Resolves once nothing is being written (pending changes of an inactive writer stay pending). */
  async settled(): Promise<void> {
    await Promise.resolve(); // let a queued kick start its write
    while (this.#inFlight !== undefined) await this.#inFlight;
  }

  #stage(key: string, route: Route | undefined): void {
    if (route === undefined) this.#own.delete(key);
    else this.#own.set(key, route);
    if (!this.#needsRewrite) this.#pending.set(key, route !== undefined);
  }

  #kick(): void {
    if (!this.#active || this.#inFlight !== undefined || this.#retry !== undefined) return;
    if (!this.#needsRewrite && this.#pending.size === 0) return;
    this.#inFlight = this.#write().finally(() => {
      this.#inFlight = undefined;
      this.#kick();
    });
  }

  async #write(): Promise<void> {
    const multi = this.redis.multi();
    const messages = this.#needsRewrite ? this.#queueRewrite(multi) : this.#queueChanges(multi);
    multi.sadd(this.keys.nodes, this.nodeId);
    multi.hset(this.keys.versions, this.nodeId, encodeVersion({ run: this.run, seq: this.#seq }));
    for (const message of messages) multi.publish(this.keys.channel, encodeMessage(message));
    try {
      const results = await multi.exec();
      const failed = results?.find(([error]) => error !== null)?.[0];
      if (results === null || failed !== undefined) throw failed ?? new Error('transaction aborted');
      this.#lastWriteFailed = false;
    } catch (error) {
      // Whatever reached Redis is unknown: write the whole set once Redis answers again.
      this.#needsRewrite = true;
      this.#pending.clear();
      // Logged once per outage: the retry repeats every RETRY_MS while Redis is away.
      if (!this.#lastWriteFailed) {
        this.logger.warn(
          { err: error },
          'writing cluster routes to Redis failed; retrying with the full set',
        );
      }
      this.#lastWriteFailed = true;
      this.#retry = setTimeout(() => {
        this.#retry = undefined;
        this.#kick();
      }, RETRY_MS).unref();
    }
  }

  #queueRewrite(multi: ChainableCommander): RouteMessage[] {
    this.#needsRewrite = false;
    this.#pending.clear();
    const key = this.keys.routesOf(this.nodeId);
    multi.del(key);
    queueChunked(multi, 'sadd', key, [...this.#own.keys()]);
    return [{ type: 'full', node: this.nodeId, run: this.run, seq: ++this.#seq }];
  }

  /**
   * The pending changes, and their messages: at most MAX_ROUTES_PER_MESSAGE routes each, with
   * consecutive sequence numbers, so a large batch stays a list of changes (no reload anywhere)
   * while no message grows without bound. Removals go first; a route is in one list only.
   */
  #queueChanges(multi: ChainableCommander): RouteMessage[] {
    const added: string[] = [];
    const removed: string[] = [];
    for (const [key, isAdded] of this.#pending) (isAdded ? added : removed).push(key);
    this.#pending.clear();
    const key = this.keys.routesOf(this.nodeId);
    queueChunked(multi, 'srem', key, removed);
    queueChunked(multi, 'sadd', key, added);
    const messages: RouteMessage[] = [];
    const all = [...removed, ...added];
    for (let i = 0; i < all.length; i += MAX_ROUTES_PER_MESSAGE) {
      const part = all.slice(i, i + MAX_ROUTES_PER_MESSAGE);
      messages.push({
        type: 'change',
        node: this.nodeId,
        run: this.run,
        seq: ++this.#seq,
        removed: i < removed.length ? part.slice(0, removed.length - i) : [],
        added: i + part.length > removed.length ? part.slice(Math.max(removed.length - i, 0)) : [],
      });
    }
    return messages;
  }
}

function queueChunked(
  multi: ChainableCommander,
  command: 'sadd' | 'srem',
  key: string,
  members: string[],
): void {
  for (let i = 0; i < members.length; i += CHUNK) multi[command](key, ...members.slice(i, i + CHUNK));
}

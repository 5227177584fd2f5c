import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RemoteRoutes } from '../remote-routes.js';
import type { NodeId } from '../types.js';
import {
  decodeRoutes,
  decodeVersion,
  type RouteKeys,
  type RouteMessage,
  type RouteVersion,
} from './redis-route-wire.js';

/** Messages of one node kept while its set loads; beyond it the load is simply repeated. */
const MAX_BUFFERED_MESSAGES = 1_000;

interface Loading {
  buffer: RouteMessage[];
  /** Set when the answer in flight may predate something: read again before using it. */
  again: boolean;
  done: Promise<void>;
}

/**
 * The other nodes' side of route replication: applies their change messages to RemoteRoutes in
 * sequence order, and reloads a node's whole set (with its version, read in one MULTI) whenever
 * that order cannot be trusted: a gap in the sequence, a new run of the node, a `full` message,
 * or a reconnect of the subscriber connection (pub/sub loses what is published meanwhile).
 * Messages that arrive while a set loads are buffered and replayed on top of it.
 */
export class RouteFollower {
  readonly #versions = new Map<NodeId, RouteVersion>();
  readonly #loading = new Map<NodeId, Loading>();
  #closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RouteKeys,
    private readonly self: NodeId,
    private readonly remote: RemoteRoutes,
    private readonly logger: Logger,
  ) {}

  close(): void {
    this.#closed = true;
  }

  /** Loads every node's set and forgets nodes no longer listed: after start and reconnects. */
  async syncAll(): Promise<void> {
    const listed = new Set(await this.redis.smembers(this.keys.nodes));
    listed.delete(this.self);
    if (this.#closed) return;
    for (const node of this.remote.nodes()) if (!listed.has(node)) this.#forget(node);
    await Promise.all([...listed].map((node) => this.#load(node)));
  }

  /** One message from the channel (not from this node). */
  receive(message: RouteMessage): void {
    if (this.#closed) return;
    const loading = this.#loading.get(message.node);
    if (loading !== undefined) {
      if (loading.buffer.length < MAX_BUFFERED_MESSAGES) loading.buffer.push(message);
      else {
        loading.buffer = [];
        loading.again = true;
      }
      return;
    }
    if (message.type === 'drop') {
      this.#forget(message.node);
      return;
    }
    const known = this.#versions.get(message.node);
    const sameRun = known?.run === message.run;
    if (sameRun && message.seq <= known.seq) return; // already in the set we hold
    if (sameRun && message.type === 'change' && message.seq === known.seq + 1) {
      this.#apply(message.node, message.added, message.removed);
      this.#versions.set(message.node, { run: message.run, seq: message.seq });
      return;
    }
    void this.#load(message.node); // a gap, a new run, or a full rewrite
  }

  /** Forgets a node at once (its drop was written by this node). */
  forget(node: NodeId): void {
    this.#forget(node);
  }

  #forget(node: NodeId): void {
    this.#versions.delete(node);
    this.remote.dropNode(node);
  }

  #apply(node: NodeId, added: readonly string[], removed: readonly string[]): void {
    const adding = decodeRoutes(added);
    const removing = decodeRoutes(removed);
    if (adding.invalid + removing.invalid > 0) {
      this.logger.warn(
        { node, invalid: adding.invalid + removing.invalid },
        'ignored invalid cluster routes',
      );
    }
    this.remote.apply(node, { added: adding.routes, removed: removing.routes });
  }

  #load(node: NodeId): Promise<void> {
    const current = this.#loading.get(node);
    if (current !== undefined) {
      current.again = true;
      return current.done;
    }
    const loading: Loading = { buffer: [], again: false, done: Promise.resolve() };
    this.#loading.set(node, loading);
    loading.done = this.#loadUntilCurrent(node, loading);
    return loading.done;
  }

  async #loadUntilCurrent(node: NodeId, loading: Loading): Promise<void> {
    try {
      let answer: { members: string[]; version: RouteVersion | undefined };
      do {
        loading.again = false;
        answer = await this.#read(node);
      } while (loading.again && !this.#closed);
      this.#loading.delete(node);
      if (this.#closed) return;
      if (answer.version === undefined) this.#forget(node);
      else {
        const { routes, invalid } = decodeRoutes(answer.members);
        if (invalid > 0) this.logger.warn({ node, invalid }, 'ignored invalid cluster routes');
        this.remote.reset(node, routes);
        this.#versions.set(node, answer.version);
      }
      for (const message of loading.buffer) this.receive(message);
    } catch (error) {
      // Keep the routes held (better stale than none); the node's next message reloads it.
      this.#loading.delete(node);
      this.#versions.delete(node);
      if (!this.#closed) this.logger.warn({ err: error, node }, 'loading cluster routes from Redis failed');
    }
  }

  async #read(node: NodeId): Promise<{ members: string[]; version: RouteVersion | undefined }> {
    const results = await this.redis
      .multi()
      .smembers(this.keys.routesOf(node))
      .hget(this.keys.versions, node)
      .exec();
    if (results === null) throw new Error('transaction aborted');
    const [[membersError, members], [versionError, version]] = results as [
      [Error | null, string[]],
      [Error | null, string | null],
    ];
    if (membersError !== null || versionError !== null) throw membersError ?? versionError;
    return { members, version: decodeVersion(version) };
  }
}

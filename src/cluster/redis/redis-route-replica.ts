import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RemoteRoutes } from '../remote-routes.js';
import type { NodeId, Route, RouteChange } from '../types.js';
import { pingAll } from './redis-connection.js';
import { RouteFollower } from './redis-route-follower.js';
import {
  decodeMessage,
  decodeVersion,
  encodeMessage,
  type RouteKeys,
  routeKeys,
} from './redis-route-wire.js';
import { RouteWriter } from './redis-route-writer.js';

/** How long ping waits for both answers. */
const PING_TIMEOUT_MS = 2_000;
/** How long close waits for the last write. */
const CLOSE_FLUSH_MS = 2_000;

export interface RedisRouteReplicaOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://`). */
  readonly url: string;
  readonly nodeId: NodeId;
  /** Key and channel prefix shared by the cluster's nodes. */
  readonly prefix?: string;
  readonly logger: Logger;
}

/**
 * The cluster's route table replicated through Redis: this node's routes are written as a set
 * plus a change message (RouteWriter), the other nodes' are followed into RemoteRoutes
 * (RouteFollower). Two connections: commands, and one in subscriber mode.
 *
 * Recovery: after the subscriber reconnects every node's set is reloaded (pub/sub drops what is
 * published while disconnected); after the command connection reconnects to a Redis that
 * restarted (its run_id changed) or no longer holds this node's version, the whole own set is
 * written again, which makes every other node reload it.
 */
export class RedisRouteReplica {
  readonly #nodeId: NodeId;
  readonly #url: string;
  readonly #keys: RouteKeys;
  readonly #logger: Logger;
  readonly #command: Redis;
  readonly #subscriber: Redis;
  readonly #writer: RouteWriter;
  #follower: RouteFollower | undefined;
  #redisRunId: string | undefined;
  #lastError: string | undefined;
  #closed = false;

  constructor(options: RedisRouteReplicaOptions) {
    this.#nodeId = options.nodeId;
    this.#url = options.url;
    this.#keys = routeKeys(options.prefix ?? 'devgate');
    this.#logger = options.logger.child({ component: 'cluster-routes' });
    // Commands cut off by a disconnect are sent again after it (ioredis' default; without it their
    // promises would never settle). A replayed write is harmless: its set operations are
    // idempotent and receivers ignore a sequence number they have seen.
    this.#command = this.#connection(`devgate-routes:${this.#nodeId}`, {});
    this.#subscriber = this.#connection(`devgate-routes-sub:${this.#nodeId}`, {
      // Resubscribed by hand on 'ready', so the full reload starts only once messages flow again.
      autoResubscribe: false,
    });
    this.#writer = new RouteWriter(this.#command, this.#keys, this.#nodeId, this.#logger);
    this.#subscriber.on('message', (_channel: string, text: string) => this.#onMessage(text));
  }

  /**
   * Replaces this node's stored routes with `initial`, subscribes to changes and loads every
   * other node's routes into `remote`. Changes announced before this call are superseded by
   * `initial` (take it from LocalRoutes.snapshot() when calling); later ones follow it.
   */
  async start(remote: RemoteRoutes, initial: readonly Route[]): Promise<void> {
    if (this.#follower !== undefined || this.#closed) throw new Error('route replica already started');
    const follower = new RouteFollower(this.#command, this.#keys, this.#nodeId, remote, this.#logger);
    this.#follower = follower;
    try {
      await Promise.all([this.#command.connect(), this.#subscriber.connect()]);
      // From now on a 'ready' is a reconnect.
      this.#command.on('ready', () => void this.#afterCommandReconnect());
      this.#subscriber.on('ready', () => void this.#afterSubscriberReconnect());
      await this.#subscriber.subscribe(this.#keys.channel);
      this.#redisRunId = await this.#serverRunId();
      this.#writer.activate(initial);
      await this.#writer.settled();
      if (this.#writer.lastWriteFailed) throw new Error('could not write this node’s routes to Redis');
      await follower.syncAll();
    } catch (error) {
      await this.close(); // no reconnect loop behind a failed start
      throw error;
    }
  }

  /** Queues this node's change for Redis; never throws (failures end in a full rewrite). */
  announce(change: RouteChange): void {
    if (this.#closed) return;
    this.#writer.announce(change);
  }

  /** Resolves once every change announced so far has been written, or its write has failed. */
  settled(): Promise<void> {
    return this.#writer.settled();
  }

  /** Removes a dead node's routes from Redis and from every node's RemoteRoutes. */
  async dropNode(node: NodeId): Promise<void> {
    this.#follower?.forget(node);
    const results = await this.#command
      .multi()
      .del(this.#keys.routesOf(node))
      .srem(this.#keys.nodes, node)
      .hdel(this.#keys.versions, node)
      .publish(this.#keys.channel, encodeMessage({ type: 'drop', node }))
      .exec();
    const failed = results?.find(([error]) => error !== null)?.[0];
    if (results === null || failed !== undefined) throw failed ?? new Error('transaction aborted');
  }

  /**
   * Resolves when Redis answers on both connections within `timeoutMs`; rejects at once while one
   * is down.
   */
  async ping(timeoutMs = PING_TIMEOUT_MS): Promise<void> {
    for (const connection of [this.#command, this.#subscriber]) {
      if (connection.status !== 'ready') throw new Error(`Redis connection is ${connection.status}`);
    }
    await pingAll([this.#command, this.#subscriber], timeoutMs);
  }

  /** Writes what is pending if Redis is there, then disconnects. Stored routes stay (see dropNode). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#follower?.close();
    if (this.#command.status === 'ready') await settledWithin(this.#writer, CLOSE_FLUSH_MS);
    this.#writer.deactivate();
    await Promise.all([quit(this.#command), quit(this.#subscriber)]);
  }

  #connection(name: string, options: { autoResubscribe?: boolean }): Redis {
    const connection = new Redis(this.#url, { ...options, lazyConnect: true, connectionName: name });
    connection.on('error', (error: Error) => this.#onError(name, error));
    connection.on('ready', () => {
      this.#lastError = undefined;
    });
    return connection;
  }

  /** Logs each distinct failure once per outage: ioredis reports every reconnect attempt. */
  #onError(connection: string, error: Error): void {
    if (this.#closed || error.message === this.#lastError) return;
    this.#lastError = error.message;
    this.#logger.warn({ err: error, connection }, 'Redis connection of the route replica failed');
  }

  #onMessage(text: string): void {
    const message = decodeMessage(text);
    if (message === undefined) {
      this.#logger.warn('ignored a malformed message on the cluster route channel');
      return;
    }
    if (message.node !== this.#nodeId) this.#follower?.receive(message);
    else if (message.type === 'drop') this.#writer.rewrite(); // declared dead, but alive: restore the set
  }

  async #afterCommandReconnect(): Promise<void> {
    try {
      const runId = await this.#serverRunId();
      const stored = decodeVersion(await this.#command.hget(this.#keys.versions, this.#nodeId));
      if (runId !== this.#redisRunId || stored?.run !== this.#writer.run) {
        this.#logger.info(
          { redisRestarted: runId !== this.#redisRunId },
          'Redis lost this node’s routes; rewriting them',
        );
        this.#redisRunId = runId;
        this.#writer.rewrite();
      }
    } catch (error) {
      this.#logger.warn({ err: error }, 'checking this node’s routes after a Redis reconnect failed');
      this.#writer.rewrite();
    }
  }

  async #afterSubscriberReconnect(): Promise<void> {
    try {
      await this.#subscriber.subscribe(this.#keys.channel);
      await this.#follower?.syncAll();
    } catch (error) {
      // The connection dropped again: its next 'ready' repeats this.
      this.#logger.warn({ err: error }, 'reloading cluster routes after a Redis reconnect failed');
    }
  }

  async #serverRunId(): Promise<string | undefined> {
    const info = await this.#command.info('server');
    return /^run_id:(\w+)/m.exec(info)?.[1];
  }
}

/** Waits for the pending write at close, but not for a Redis that stopped answering. */
async function settledWithin(writer: RouteWriter, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([writer.settled(), timeout]);
  clearTimeout(timer);
}

async function quit(connection: Redis): Promise<void> {
  if (connection.status === 'ready') {
    await connection.quit().catch(() => connection.disconnect());
  } else connection.disconnect();
}

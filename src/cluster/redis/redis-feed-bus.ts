import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { NodeId } from '../types.js';
import { pingAll } from './redis-connection.js';

export interface RedisFeedBusOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://`). */
  readonly url: string;
  readonly nodeId: NodeId;
  /** Key and channel prefix shared by the cluster's nodes. */
  readonly prefix?: string;
  readonly logger: Logger;
}

/** What the bus calls: each message of the channel, and each time the channel is (re)subscribed. */
export interface FeedBusReceiver {
  receive(text: string): void;
  joined(): void;
}

const PING_TIMEOUT_MS = 2_000;

/**
 * One Redis pub/sub channel for the device feed relay (`{prefix}:device-feed`): a command
 * connection that publishes and one in subscriber mode. Nothing queues in ioredis: with Redis away
 * a publish fails at once (the relay counts what is lost), and pub/sub keeps nothing for a
 * subscriber that was away, so every resubscription is reported (`joined`) for the relay to ask
 * the other nodes for their state again. Redis drops a subscriber that lets more than its
 * `client-output-buffer-limit pubsub` pile up; it then reconnects like after any outage.
 */
export class RedisFeedBus {
  readonly #channel: string;
  readonly #logger: Logger;
  readonly #command: Redis;
  readonly #subscriber: Redis;
  #receiver: FeedBusReceiver | undefined;
  #lastError: string | undefined;
  #closed = false;

  constructor(options: RedisFeedBusOptions) {
    this.#channel = `${options.prefix ?? 'devgate'}:device-feed`;
    this.#logger = options.logger.child({ component: 'cluster-feed' });
    this.#command = this.#connection(options.url, `devgate-feed:${options.nodeId}`, true);
    this.#subscriber = this.#connection(options.url, `devgate-feed-sub:${options.nodeId}`, false);
    this.#subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.#channel) this.#receiver?.receive(text);
    });
  }

  /** Connects, subscribes, and from then on hands every message to `receiver`. */
  async start(receiver: FeedBusReceiver): Promise<void> {
    this.#receiver = receiver;
    try {
      await Promise.all([this.#command.connect(), this.#subscriber.connect()]);
      await this.#subscriber.subscribe(this.#channel);
      receiver.joined();
      // From now on a 'ready' is a reconnect: messages published meanwhile are gone.
      this.#subscriber.on('ready', () => void this.#resubscribe());
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  publish(text: string): Promise<void> {
    if (this.#closed || this.#command.status !== 'ready') return Promise.reject(new Error('Redis is away'));
    return this.#command.publish(this.#channel, text).then(() => undefined);
  }

  /** Resolves when Redis answers on both connections within the timeout. */
  ping(): Promise<void> {
    return pingAll([this.#command, this.#subscriber], PING_TIMEOUT_MS);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([quit(this.#command), quit(this.#subscriber)]);
  }

  async #resubscribe(): Promise<void> {
    try {
      await this.#subscriber.subscribe(this.#channel);
      if (!this.#closed) this.#receiver?.joined();
    } catch (error) {
      // Dropped again: its next 'ready' repeats this.
      this.#logger.warn({ err: error }, 'resubscribing to the device feed channel failed');
    }
  }

  #connection(url: string, name: string, commands: boolean): Redis {
    const connection = new Redis(url, {
      lazyConnect: true,
      connectionName: name,
      enableOfflineQueue: !commands,
      autoResubscribe: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: commands ? 0 : null,
      connectTimeout: 2_000,
      // A Redis that stopped answering (no RST) fails the publish in flight instead of holding the
      // relay's sending forever: the connection is made again.
      ...(commands ? { socketTimeout: 15_000 } : {}),
      retryStrategy: (attempt: number) => Math.min(attempt * 50, 2_000),
    });
    connection.on('error', (error: Error) => {
      if (this.#closed || error.message === this.#lastError) return;
      this.#lastError = error.message;
      this.#logger.warn({ err: error, connection: name }, 'Redis connection of the device feed relay failed');
    });
    connection.on('ready', () => {
      this.#lastError = undefined;
    });
    return connection;
  }
}

async function quit(connection: Redis): Promise<void> {
  if (connection.status === 'ready') await connection.quit().catch(() => connection.disconnect());
  else connection.disconnect();
}

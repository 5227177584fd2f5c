import pg from 'pg';
import type { Logger } from 'pino';
import { StoreUnavailableError } from '../../store/errors.js';
import { redactDatabaseUrl } from '../../store/postgres/pool.js';
import { ChangeDelivery, type ChangeFeed } from '../changes/change-feed.js';
import { CHANGE_CHANNEL, parseChange } from '../changes/platform-change.js';

export interface PgChangeFeedOptions {
  readonly logger?: Logger;
  /** First wait before reconnecting a lost LISTEN connection; doubles up to `maxBackoffMs`. Default 250. */
  readonly minBackoffMs?: number;
  /** Longest wait between reconnection attempts. Default 5000. */
  readonly maxBackoffMs?: number;
  /** How often the LISTEN connection is checked with a query (a silent drop surfaces). Default 15 000. */
  readonly heartbeatMs?: number;
  /** A connection attempt or heartbeat without an answer after this long fails. Default 5000. */
  readonly timeoutMs?: number;
}

/** The PostgreSQL change feed, with what the tests and the operator's logs look at. */
export interface PgChangeFeed extends ChangeFeed {
  /** Whether the LISTEN connection is up now. */
  readonly connected: boolean;
  /** The server process of the LISTEN connection (pg_stat_activity.pid), while connected. */
  readonly listenerPid: number | undefined;
}

const APPLICATION_NAME = 'devgate change feed';

/**
 * Listens on `devgate_platform_changes` over a dedicated connection (not one of the pool's: a
 * pooled connection is shared and released, a LISTEN belongs to one session). When it is lost the
 * process cannot know what it missed: it logs that its caches may be stale, reconnects with
 * backoff, and once listening again delivers a `resync`, which drops every cache. Resolves once
 * the first LISTEN is in place (before the caches load, so no change falls in between).
 */
export async function openPostgresChangeFeed(
  url: string,
  options: PgChangeFeedOptions = {},
): Promise<PgChangeFeed> {
  const feed = new ListeningFeed(url, options);
  await feed.start();
  return feed;
}

class ListeningFeed implements PgChangeFeed {
  readonly #url: string;
  readonly #logger: Logger | undefined;
  readonly #minBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #timeoutMs: number;
  readonly #delivery: ChangeDelivery;
  readonly #heartbeat: NodeJS.Timeout;
  #client: pg.Client | undefined;
  #retry: NodeJS.Timeout | undefined;
  #backoffMs: number;
  #closed = false;

  constructor(url: string, options: PgChangeFeedOptions) {
    this.#url = url;
    this.#logger = options.logger;
    this.#minBackoffMs = options.minBackoffMs ?? 250;
    this.#maxBackoffMs = Math.max(this.#minBackoffMs, options.maxBackoffMs ?? 5000);
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#backoffMs = this.#minBackoffMs;
    this.#delivery = new ChangeDelivery(options.logger);
    this.#heartbeat = setInterval(() => this.#check(), options.heartbeatMs ?? 15_000);
    this.#heartbeat.unref();
  }

  get connected(): boolean {
    return this.#client !== undefined;
  }

  get listenerPid(): number | undefined {
    return (this.#client as { processID?: number } | undefined)?.processID;
  }

  async start(): Promise<void> {
    try {
      this.#client = await this.#listen();
    } catch (err) {
      clearInterval(this.#heartbeat);
      throw new StoreUnavailableError(redactDatabaseUrl(this.#url), { cause: err });
    }
  }

  subscribe(handler: Parameters<ChangeFeed['subscribe']>[0]): () => void {
    return this.#delivery.subscribe(handler);
  }

  settled(): Promise<void> {
    return this.#delivery.settled();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#heartbeat);
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
    await this.#delivery.settled(); // no handler reads the store after the pool ends
  }

  async #listen(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.#url,
      application_name: APPLICATION_NAME,
      keepAlive: true,
      connectionTimeoutMillis: this.#timeoutMs,
      query_timeout: this.#timeoutMs,
    });
    client.on('notification', (message) => {
      const change = message.channel === CHANGE_CHANNEL ? parseChange(message.payload ?? '') : undefined;
      if (change !== undefined) this.#delivery.push(change);
    });
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw err;
    }
    return client;
  }

  /** A silent drop (no FIN, no RST) shows up as a heartbeat that fails or times out. */
  #check(): void {
    const client = this.#client;
    client?.query('SELECT 1').catch((err: unknown) => this.#lost(client, err));
  }

  #lost(client: pg.Client, err?: unknown): void {
    if (this.#closed || client !== this.#client) return;
    this.#client = undefined;
    client.end().catch(() => undefined);
    this.#logger?.warn(
      { err },
      "platform changes: LISTEN connection lost; this process's caches may be stale until it is back",
    );
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed) return;
    const wait = this.#backoffMs;
    this.#backoffMs = Math.min(this.#maxBackoffMs, this.#backoffMs * 2);
    this.#retry = setTimeout(() => void this.#reconnect(), wait);
    this.#retry.unref();
  }

  async #reconnect(): Promise<void> {
    let client: pg.Client;
    try {
      client = await this.#listen();
    } catch (err) {
      this.#logger?.warn({ err, retryInMs: this.#backoffMs }, 'platform changes: reconnecting failed');
      this.#schedule();
      return;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    this.#backoffMs = this.#minBackoffMs;
    this.#logger?.info(
      'platform changes: listening again; every cache is dropped (changes may have been missed)',
    );
    this.#delivery.push({ kind: 'resync' });
  }
}

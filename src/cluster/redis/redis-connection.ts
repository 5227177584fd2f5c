import { Redis } from 'ioredis';
import type { Logger } from 'pino';

const SOCKET_TIMEOUT_MS = 15_000;

/** Reconnect delay after the n-th failed attempt: 50 ms growing to 2 s, forever. */
function reconnectDelayMs(attempt: number): number {
  return Math.min(attempt * 50, 2000);
}

/**
 * An ioredis connection for the cluster. Commands never queue inside ioredis: with Redis away
 * they fail at once (callers keep their own bounded queues), and commands in flight when the
 * connection drops fail instead of being silently resent. Errors are logged once per outage:
 * an `error` event without a listener would stop the process.
 */
export function openRedisConnection(url: string, role: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    // A connection that went silent (no RST: a partition, a frozen host) is noticed while a
    // command waits; longer than the reader's blocking XREAD, which answers within 5 s.
    socketTimeout: SOCKET_TIMEOUT_MS,
    retryStrategy: reconnectDelayMs,
    connectionName: `devgate-${role}`,
    lazyConnect: false,
  });
  let down = false;
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn({ role, err: error.message }, 'redis unreachable; reconnecting');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info({ role }, 'redis reachable again');
  });
  return redis;
}

/** Whether Redis itself refused a command (kept by Redis), as opposed to a lost connection. */
export function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}

/** Resolves when every connection answers PING; rejects saying so after `timeoutMs` (readiness). */
export async function pingAll(connections: readonly Redis[], timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([Promise.all(connections.map((connection) => connection.ping())), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Back-off before retrying a failed command: 50 ms doubling to 2 s. */
export function retryDelayMs(failures: number): number {
  return Math.min(50 * 2 ** Math.max(0, failures - 1), 2000);
}

/**
 * Resolves on the connection's next `ready` (a reconnect: retry at once), after `ms`, or when the
 * connection ends for good, whichever comes first.
 */
export function nextReadyOrAfter(redis: Redis, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      redis.off('ready', done);
      redis.off('end', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    redis.once('ready', done);
    redis.once('end', done);
  });
}

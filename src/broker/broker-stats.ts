import type { ConnectionInfo } from './auth.js';
import type { Session } from './session.js';

/** One accepted connection as the metrics see it: no client id, no address. */
export interface ConnectionDescription {
  readonly transport: ConnectionInfo['transport'];
  /** The listener's port; undefined when the transport does not know it. */
  readonly port: number | undefined;
  readonly protocolVersion: 3 | 4 | 5;
}

/** What the broker holds now, walked on each metrics scrape and `$SYS` update. */
export interface SessionStats {
  /** Sessions with a live connection. */
  readonly connected: number;
  /** Sessions kept for a client that is not connected (waiting for their expiry). */
  readonly disconnected: number;
  readonly subscriptions: number;
  /** Outbound QoS 1/2 messages held for sessions: in flight or queued. */
  readonly pending: number;
}

/** Accepted connections per transport and protocol version (those not yet described are left out). */
export function connectionStats(
  connections: Iterable<{ describe?(): ConnectionDescription | undefined }>,
): Map<string, { description: ConnectionDescription; count: number }> {
  const stats = new Map<string, { description: ConnectionDescription; count: number }>();
  for (const connection of connections) {
    const description = connection.describe?.();
    if (description === undefined) continue;
    const key = `${description.transport}/${description.port}/${description.protocolVersion}`;
    const entry = stats.get(key);
    if (entry === undefined) stats.set(key, { description, count: 1 });
    else entry.count++;
  }
  return stats;
}

/** Sessions by state, subscriptions and pending messages: one walk of every session. */
export function sessionStats(sessions: Iterable<Session>, total: number): SessionStats {
  let connected = 0;
  let subscriptions = 0;
  let pending = 0;
  for (const session of sessions) {
    if (session.link !== undefined) connected++;
    subscriptions += session.subscriptionCount;
    pending += session.pendingCount;
  }
  return { connected, disconnected: total - connected, subscriptions, pending };
}

import type { ClientIdentity } from '../broker/auth.js';
import type { BrokerMessage } from '../broker/message.js';
import type { PersistedOutbound, PersistedSession } from '../broker/store-ports.js';
import { decodeSubscriptions, decodeWill } from './message-codec.js';

/**
 * Session and outbound rows as every SQL backend reads them. Integer columns are numbers in SQLite
 * and strings for PostgreSQL's bigint (node-postgres does not narrow them): Number() serves both.
 */
export interface SessionRow {
  client_id: string;
  protocol_version: 3 | 4 | 5;
  expiry_interval: number | string;
  disconnected_at: number | string | null;
  subscriptions: string;
  will: string | null;
  identity: string | null;
}

export interface OutboundRowFields {
  client_id: string;
  seq: number | string;
  packet_id: number | null;
  state: PersistedOutbound['state'];
  subscription_ids: string | null;
}

export function rowToSession(row: SessionRow): PersistedSession {
  const session: PersistedSession = {
    clientId: row.client_id,
    protocolVersion: row.protocol_version,
    expiryInterval: Number(row.expiry_interval),
    disconnectedAt: row.disconnected_at === null ? null : Number(row.disconnected_at),
    subscriptions: decodeSubscriptions(row.subscriptions),
  };
  const will = decodeWill(row.will);
  const identity = row.identity === null ? undefined : (JSON.parse(row.identity) as ClientIdentity);
  return {
    ...session,
    ...(will === undefined ? {} : { will }),
    ...(identity === undefined ? {} : { identity }),
  };
}

/** An outbound row with its message already decoded by the backend's own message columns. */
export function rowToOutbound(row: OutboundRowFields, message: BrokerMessage): PersistedOutbound {
  const outbound: PersistedOutbound = {
    seq: Number(row.seq),
    packetId: row.packet_id,
    state: row.state,
    message,
  };
  if (row.subscription_ids === null) return outbound;
  return { ...outbound, subscriptionIds: JSON.parse(row.subscription_ids) as number[] };
}

/** Rows arrive sorted by (client_id, key), so each group keeps that order. */
export function groupByClient<R extends { client_id: string }, T>(
  rows: Iterable<R>,
  map: (row: R) => T,
): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    let list = groups.get(row.client_id);
    if (list === undefined) {
      list = [];
      groups.set(row.client_id, list);
    }
    list.push(map(row));
  }
  return groups;
}

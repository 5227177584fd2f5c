import { encodeSubscriptions, encodeWill } from '../message-codec.js';
import {
  groupByClient,
  type OutboundRowFields,
  rowToOutbound,
  rowToSession,
  type SessionRow,
} from '../session-rows.js';
import type { LoadedSession, PersistedOutbound, PersistedSession, SessionStore } from '../types.js';
import { MESSAGE_SELECT, messageValues, type PgMessageRow, rowToMessage } from './pg-retained-store.js';
import type { PgWrite } from './statements.js';
import { type PgStoreHandle, PgStoreState, keySeparator as sep } from './store-state.js';

type OutboundRow = PgMessageRow & OutboundRowFields;

const SELECT_SESSIONS = `SELECT client_id, protocol_version, expiry_interval, disconnected_at,
  subscriptions::text AS subscriptions, will::text AS will, identity::text AS identity FROM engine_sessions`;
const SELECT_OUTBOUND = `SELECT client_id, seq, packet_id, state, ${MESSAGE_SELECT},
  subscription_ids::text AS subscription_ids FROM engine_outbound ORDER BY client_id, seq`;
const SELECT_INBOUND = 'SELECT client_id, packet_id FROM engine_inbound_qos2 ORDER BY client_id, packet_id';

/** What `load` reads: a session row (part 0), an outbound row (1) or an inbound QoS 2 id (2). */
type LoadRow = SessionRow & OutboundRow & { part: 0 | 1 | 2 };

/**
 * The three tables of some clients in one statement (one snapshot, one round trip): the parts are
 * stacked with UNION ALL, each filling its own columns, and arrive grouped by client, in order.
 */
const SELECT_SOME = `
  SELECT 0 AS part, client_id, protocol_version, expiry_interval, disconnected_at,
    subscriptions::text AS subscriptions, will::text AS will, identity::text AS identity,
    NULL::bigint AS seq, NULL::integer AS packet_id, NULL::text AS state, NULL::text AS topic,
    NULL::bytea AS payload, NULL::smallint AS qos, NULL::boolean AS retain, NULL::text AS properties,
    NULL::bigint AS expires_at, NULL::bigint AS created_at, NULL::text AS publisher_id,
    NULL::text AS subscription_ids
  FROM engine_sessions WHERE client_id = ANY($1::text[])
  UNION ALL
  SELECT 1, client_id, NULL, NULL, NULL, NULL, NULL, NULL, seq, packet_id, state, ${MESSAGE_SELECT},
    subscription_ids::text
  FROM engine_outbound WHERE client_id = ANY($1::text[])
  UNION ALL
  SELECT 2, client_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, packet_id, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, NULL, NULL
  FROM engine_inbound_qos2 WHERE client_id = ANY($1::text[])
  ORDER BY client_id, part, seq, packet_id`;

/**
 * SessionStore on PostgreSQL. Every write becomes column values at call time (later changes to
 * the caller's objects do not leak in) and is queued on the shared batcher, keyed by row so
 * repeated writes coalesce, grouped by client so deleteSession drops that client's pending writes.
 */
export class PgSessionStore implements SessionStore {
  readonly #state: PgStoreState;

  constructor(handle: PgStoreHandle) {
    this.#state = new PgStoreState(handle, 'postgres session store');
  }

  async loadAll(): Promise<LoadedSession[]> {
    this.#state.assertOpen();
    await this.#state.handle.batcher.settle(); // sees earlier writes; a failure stays for flush()
    const { pool } = this.#state.handle;
    // One snapshot for the three reads, so a concurrent batch cannot split a session.
    const client = await pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const sessions = await client.query<SessionRow>(SELECT_SESSIONS);
      const outbound = groupByClient((await client.query<OutboundRow>(SELECT_OUTBOUND)).rows, (row) =>
        rowToOutbound(row, rowToMessage(row)),
      );
      const inbound = groupByClient(
        (await client.query<{ client_id: string; packet_id: number }>(SELECT_INBOUND)).rows,
        (row) => row.packet_id,
      );
      await client.query('COMMIT');
      return sessions.rows.map((row) => ({
        session: rowToSession(row),
        outbound: outbound.get(row.client_id) ?? [],
        inboundQoS2: inbound.get(row.client_id) ?? [],
      }));
    } finally {
      client.release();
    }
  }

  async load(clientIds: readonly string[]): Promise<LoadedSession[]> {
    this.#state.assertOpen();
    await this.#state.handle.batcher.settle(); // sees earlier writes; a failure stays for flush()
    const { rows } = await this.#state.handle.pool.query<LoadRow>(SELECT_SOME, [[...new Set(clientIds)]]);
    const found = new Map<
      string,
      { session?: PersistedSession; outbound: PersistedOutbound[]; inbound: number[] }
    >();
    for (const row of rows) {
      let entry = found.get(row.client_id);
      if (entry === undefined) {
        entry = { outbound: [], inbound: [] };
        found.set(row.client_id, entry);
      }
      if (row.part === 0) entry.session = rowToSession(row);
      else if (row.part === 1) entry.outbound.push(rowToOutbound(row, rowToMessage(row)));
      else entry.inbound.push(row.packet_id as number);
    }
    const loaded: LoadedSession[] = [];
    for (const { session, outbound, inbound } of found.values()) {
      if (session !== undefined) loaded.push({ session, outbound, inboundQoS2: inbound });
    }
    return loaded;
  }

  putSession(session: PersistedSession): void {
    this.#enqueue(`s${sep}${session.clientId}`, session.clientId, {
      kind: 'putSession',
      values: [
        session.clientId,
        session.protocolVersion,
        session.expiryInterval,
        session.disconnectedAt,
        encodeSubscriptions(session.subscriptions),
        encodeWill(session.will),
        session.identity === undefined ? null : JSON.stringify(session.identity),
      ],
    });
  }

  deleteSession(clientId: string): void {
    this.#state.assertOpen();
    this.#state.handle.batcher.supersedeGroup(clientId);
    this.#enqueue(`d${sep}${clientId}`, clientId, { kind: 'deleteSession', values: [clientId] });
  }

  putOutbound(clientId: string, outbound: PersistedOutbound): void {
    const [topic, ...message] = messageValues(outbound.message);
    this.#enqueue(`o${sep}${clientId}${sep}${outbound.seq}`, clientId, {
      kind: 'putOutbound',
      values: [
        clientId,
        outbound.seq,
        outbound.packetId,
        outbound.state,
        topic,
        ...message,
        outbound.subscriptionIds ? JSON.stringify(outbound.subscriptionIds) : null,
      ],
    });
  }

  deleteOutbound(clientId: string, seq: number): void {
    this.#enqueue(`o${sep}${clientId}${sep}${seq}`, clientId, {
      kind: 'deleteOutbound',
      values: [clientId, seq],
    });
  }

  addInboundQoS2(clientId: string, packetId: number): void {
    this.#enqueue(`i${sep}${clientId}${sep}${packetId}`, clientId, {
      kind: 'addInbound',
      values: [clientId, packetId],
    });
  }

  deleteInboundQoS2(clientId: string, packetId: number): void {
    this.#enqueue(`i${sep}${clientId}${sep}${packetId}`, clientId, {
      kind: 'deleteInbound',
      values: [clientId, packetId],
    });
  }

  async flush(): Promise<void> {
    return this.#state.flush();
  }

  async close(): Promise<void> {
    return this.#state.close();
  }

  #enqueue(key: string, clientId: string, write: PgWrite): void {
    this.#state.assertOpen();
    this.#state.handle.batcher.enqueue(key, clientId, write);
  }
}

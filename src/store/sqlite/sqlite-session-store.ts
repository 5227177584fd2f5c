import type { Statement } from 'better-sqlite3';
import type {
  LoadedSession,
  PersistedOutbound,
  PersistedSession,
  SessionStore,
} from '../../broker/store-ports.js';
import {
  columnsToMessage,
  encodeSubscriptions,
  encodeWill,
  type MessageColumns,
  messageToColumns,
} from '../message-codec.js';
import {
  groupByClient,
  type OutboundRowFields,
  rowToOutbound,
  rowToSession,
  type SessionRow,
} from '../session-rows.js';
import { BatchedStoreState } from './batched-store-state.js';
import { type StoreHandle, keySeparator as sep } from './store-handle.js';

type OutboundRow = MessageColumns & OutboundRowFields;

interface InboundRow {
  client_id: string;
  packet_id: number;
}

function prepare(handle: StoreHandle) {
  const { db } = handle;
  return {
    putSession: db.prepare(
      `INSERT OR REPLACE INTO sessions
         (client_id, protocol_version, expiry_interval, disconnected_at, subscriptions, will, identity)
       VALUES (@client_id, @protocol_version, @expiry_interval, @disconnected_at, @subscriptions, @will, @identity)`,
    ),
    deleteSession: db.prepare('DELETE FROM sessions WHERE client_id = ?'),
    deleteAllOutbound: db.prepare('DELETE FROM outbound WHERE client_id = ?'),
    deleteAllInbound: db.prepare('DELETE FROM inbound_qos2 WHERE client_id = ?'),
    putOutbound: db.prepare(
      `INSERT OR REPLACE INTO outbound (client_id, seq, packet_id, state, topic, payload, qos, retain,
         properties, expires_at, created_at, publisher_id, subscription_ids)
       VALUES (@client_id, @seq, @packet_id, @state, @topic, @payload, @qos, @retain,
         @properties, @expires_at, @created_at, @publisher_id, @subscription_ids)`,
    ),
    deleteOutbound: db.prepare('DELETE FROM outbound WHERE client_id = ? AND seq = ?'),
    addInbound: db.prepare('INSERT OR IGNORE INTO inbound_qos2 (client_id, packet_id) VALUES (?, ?)'),
    deleteInbound: db.prepare('DELETE FROM inbound_qos2 WHERE client_id = ? AND packet_id = ?'),
    selectSessions: db.prepare('SELECT * FROM sessions') as Statement<[], SessionRow>,
    selectOutbound: db.prepare('SELECT * FROM outbound ORDER BY client_id, seq') as Statement<
      [],
      OutboundRow
    >,
    selectInbound: db.prepare(
      'SELECT client_id, packet_id FROM inbound_qos2 ORDER BY client_id, packet_id',
    ) as Statement<[], InboundRow>,
    // The ids arrive as one JSON array parameter: any number of them, one statement each.
    selectSessionsIn: db.prepare(
      'SELECT * FROM sessions WHERE client_id IN (SELECT value FROM json_each(?))',
    ) as Statement<[string], SessionRow>,
    selectOutboundIn: db.prepare(
      `SELECT * FROM outbound WHERE client_id IN (SELECT value FROM json_each(?))
       ORDER BY client_id, seq`,
    ) as Statement<[string], OutboundRow>,
    selectInboundIn: db.prepare(
      `SELECT client_id, packet_id FROM inbound_qos2 WHERE client_id IN (SELECT value FROM json_each(?))
       ORDER BY client_id, packet_id`,
    ) as Statement<[string], InboundRow>,
  };
}

/**
 * SessionStore on SQLite. Every write is turned into row parameters at call time (so later
 * changes to the caller's objects do not leak in) and queued on the shared batcher, keyed so that
 * repeated writes to one row coalesce. All keys of a client share its id as group, which lets
 * deleteSession discard the client's pending writes that it would delete anyway.
 */
export class SqliteSessionStore implements SessionStore {
  readonly #handle: StoreHandle;
  readonly #sql: ReturnType<typeof prepare>;
  readonly #state: BatchedStoreState;

  constructor(handle: StoreHandle) {
    this.#handle = handle;
    this.#state = new BatchedStoreState(handle, 'sqlite session store');
    this.#sql = prepare(handle);
  }

  async loadAll(): Promise<LoadedSession[]> {
    this.#assertOpen();
    // Apply pending writes without consuming a failure that the next flush() must report.
    this.#handle.batcher.commit();
    const outbound = groupByClient(this.#sql.selectOutbound.iterate(), (row) =>
      rowToOutbound(row, columnsToMessage(row)),
    );
    const inbound = groupByClient(this.#sql.selectInbound.iterate(), (row) => row.packet_id);
    return this.#sql.selectSessions.all().map((row) => ({
      session: rowToSession(row),
      outbound: outbound.get(row.client_id) ?? [],
      inboundQoS2: inbound.get(row.client_id) ?? [],
    }));
  }

  async load(clientIds: readonly string[]): Promise<LoadedSession[]> {
    this.#assertOpen();
    this.#handle.batcher.commit();
    const ids = JSON.stringify([...new Set(clientIds)]);
    // Synchronous reads in one turn: no write of this process can land between them.
    const outbound = groupByClient(this.#sql.selectOutboundIn.iterate(ids), (row) =>
      rowToOutbound(row, columnsToMessage(row)),
    );
    const inbound = groupByClient(this.#sql.selectInboundIn.iterate(ids), (row) => row.packet_id);
    return this.#sql.selectSessionsIn.all(ids).map((row) => ({
      session: rowToSession(row),
      outbound: outbound.get(row.client_id) ?? [],
      inboundQoS2: inbound.get(row.client_id) ?? [],
    }));
  }

  putSession(session: PersistedSession): void {
    this.#assertOpen();
    const row: SessionRow = {
      client_id: session.clientId,
      protocol_version: session.protocolVersion,
      expiry_interval: session.expiryInterval,
      disconnected_at: session.disconnectedAt,
      subscriptions: encodeSubscriptions(session.subscriptions),
      will: encodeWill(session.will),
      identity: session.identity === undefined ? null : JSON.stringify(session.identity),
    };
    this.#enqueue(`s${sep}${session.clientId}`, session.clientId, () => this.#sql.putSession.run(row));
  }

  deleteSession(clientId: string): void {
    this.#assertOpen();
    this.#handle.batcher.supersedeGroup(clientId);
    this.#enqueue(`d${sep}${clientId}`, clientId, () => {
      this.#sql.deleteSession.run(clientId);
      this.#sql.deleteAllOutbound.run(clientId);
      this.#sql.deleteAllInbound.run(clientId);
    });
  }

  putOutbound(clientId: string, outbound: PersistedOutbound): void {
    this.#assertOpen();
    const row: OutboundRow = {
      client_id: clientId,
      seq: outbound.seq,
      packet_id: outbound.packetId,
      state: outbound.state,
      subscription_ids: outbound.subscriptionIds ? JSON.stringify(outbound.subscriptionIds) : null,
      ...messageToColumns(outbound.message),
    };
    this.#enqueue(`o${sep}${clientId}${sep}${outbound.seq}`, clientId, () => this.#sql.putOutbound.run(row));
  }

  deleteOutbound(clientId: string, seq: number): void {
    this.#assertOpen();
    this.#enqueue(`o${sep}${clientId}${sep}${seq}`, clientId, () =>
      this.#sql.deleteOutbound.run(clientId, seq),
    );
  }

  addInboundQoS2(clientId: string, packetId: number): void {
    this.#assertOpen();
    this.#enqueue(`i${sep}${clientId}${sep}${packetId}`, clientId, () =>
      this.#sql.addInbound.run(clientId, packetId),
    );
  }

  deleteInboundQoS2(clientId: string, packetId: number): void {
    this.#assertOpen();
    this.#enqueue(`i${sep}${clientId}${sep}${packetId}`, clientId, () =>
      this.#sql.deleteInbound.run(clientId, packetId),
    );
  }

  async flush(): Promise<void> {
    return this.#state.flush();
  }

  async close(): Promise<void> {
    return this.#state.close();
  }

  #enqueue(key: string, clientId: string, apply: () => void): void {
    this.#handle.batcher.enqueue(key, clientId, apply);
  }

  #assertOpen(): void {
    this.#state.assertOpen();
  }
}

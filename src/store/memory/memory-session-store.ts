import type {
  LoadedSession,
  PersistedOutbound,
  PersistedSession,
  SessionStore,
} from '../../broker/store-ports.js';
import { StoreClosedError } from '../errors.js';
import { copyOutbound, copySession } from './copy.js';

/**
 * SessionStore kept in process memory: nothing survives a restart. Used when persistence is off
 * and as the reference backend of the contract suite. Writes apply immediately, so flush() has
 * nothing to wait for.
 */
export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, PersistedSession>();
  /** Keyed by client id, then seq. May exist before the session row is written. */
  readonly #outbound = new Map<string, Map<number, PersistedOutbound>>();
  readonly #inbound = new Map<string, Set<number>>();
  #closed = false;

  async loadAll(): Promise<LoadedSession[]> {
    this.#assertOpen();
    return [...this.#sessions.keys()].map((clientId) => this.#loadOne(clientId) as LoadedSession);
  }

  async load(clientIds: readonly string[]): Promise<LoadedSession[]> {
    this.#assertOpen();
    const loaded: LoadedSession[] = [];
    for (const clientId of new Set(clientIds)) {
      const one = this.#loadOne(clientId);
      if (one !== undefined) loaded.push(one);
    }
    return loaded;
  }

  /** A copy of one session with its queue sorted by seq; undefined without a session row. */
  #loadOne(clientId: string): LoadedSession | undefined {
    const session = this.#sessions.get(clientId);
    if (session === undefined) return undefined;
    const outbound = [...(this.#outbound.get(clientId)?.values() ?? [])]
      .sort((a, b) => a.seq - b.seq)
      .map(copyOutbound);
    const inboundQoS2 = [...(this.#inbound.get(clientId) ?? [])].sort((a, b) => a - b);
    return { session: copySession(session), outbound, inboundQoS2 };
  }

  putSession(session: PersistedSession): void {
    this.#assertOpen();
    this.#sessions.set(session.clientId, copySession(session));
  }

  deleteSession(clientId: string): void {
    this.#assertOpen();
    this.#sessions.delete(clientId);
    this.#outbound.delete(clientId);
    this.#inbound.delete(clientId);
  }

  putOutbound(clientId: string, outbound: PersistedOutbound): void {
    this.#assertOpen();
    let queue = this.#outbound.get(clientId);
    if (queue === undefined) {
      queue = new Map();
      this.#outbound.set(clientId, queue);
    }
    queue.set(outbound.seq, copyOutbound(outbound));
  }

  deleteOutbound(clientId: string, seq: number): void {
    this.#assertOpen();
    const queue = this.#outbound.get(clientId);
    queue?.delete(seq);
    if (queue?.size === 0) this.#outbound.delete(clientId);
  }

  addInboundQoS2(clientId: string, packetId: number): void {
    this.#assertOpen();
    let ids = this.#inbound.get(clientId);
    if (ids === undefined) {
      ids = new Set();
      this.#inbound.set(clientId, ids);
    }
    ids.add(packetId);
  }

  deleteInboundQoS2(clientId: string, packetId: number): void {
    this.#assertOpen();
    const ids = this.#inbound.get(clientId);
    ids?.delete(packetId);
    if (ids?.size === 0) this.#inbound.delete(clientId);
  }

  async flush(): Promise<void> {
    this.#assertOpen();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreClosedError('memory session store');
  }
}

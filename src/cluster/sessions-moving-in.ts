import type { RelayedCopy } from '../broker/cluster-port.js';
import type { NodeId } from './types.js';

/** Sessions being taken over from another node at once, at most (older ones are forgotten first). */
const MAX_MOVING = 10_000;
/** Relayed copies held for one session while it is loaded here, at most (beyond: dropped, counted). */
const MAX_HELD = 10_000;
/** A session claimed from another node but never restored here (its CONNECT failed) is forgotten after this. */
const FORGET_AFTER_MS = 5_000;

interface MovingIn {
  readonly epoch: number;
  /** The first claim of this node on the session from `from` whose copies are held here. */
  readonly since: number;
  readonly from: NodeId;
  readonly held: RelayedCopy[];
  readonly timer: NodeJS.Timeout;
}

/**
 * The new owner's side of a takeover between nodes: from the kick until the session is restored
 * here, the copies it relays are held in order (they are read from the inbox
 * while the session's state is still being loaded), then handed to the restored session.
 */
export class SessionsMovingIn {
  /** Relayed copies dropped: held beyond the bound. */
  dropped = 0;
  readonly #moving = new Map<string, MovingIn>();

  /**
   * This node claimed `sessionKey` at `epoch` and asks its owner `from` to let go. An earlier claim
   * of it from the same node that was refused (no answer in time) keeps what was held for it: that
   * node may still have let go late, relaying from the state the new claim will load.
   */
  expect(sessionKey: string, epoch: number, from: NodeId): void {
    const earlier = this.#moving.get(sessionKey);
    const carried = earlier?.from === from ? earlier : undefined;
    this.#forget(sessionKey);
    if (this.#moving.size >= MAX_MOVING) {
      const oldest = this.#moving.keys().next().value;
      if (oldest !== undefined) this.#forget(oldest);
    }
    const timer = setTimeout(() => this.#forget(sessionKey, epoch), FORGET_AFTER_MS);
    timer.unref();
    const since = carried?.since ?? epoch;
    this.#moving.set(sessionKey, { epoch, since, from, held: carried?.held ?? [], timer });
  }

  /** Holds `copy` when `sessionKey` is being loaded after a claim at `epoch`; false when it is not. */
  hold(sessionKey: string, epoch: number, copy: RelayedCopy): boolean {
    const moving = this.#moving.get(sessionKey);
    if (moving === undefined || epoch < moving.since || epoch > moving.epoch) return false;
    if (moving.held.length < MAX_HELD) moving.held.push(copy);
    else this.dropped++;
    return true;
  }

  /** The session is restored: what was held for it, and the node to tell. */
  arrived(sessionKey: string, epoch: number): { held: readonly RelayedCopy[]; from: NodeId } | undefined {
    const moving = this.#moving.get(sessionKey);
    if (moving === undefined || moving.epoch !== epoch) return undefined;
    this.#forget(sessionKey);
    return { held: moving.held, from: moving.from };
  }

  /** Drops every entry (closing). */
  clear(): void {
    for (const key of [...this.#moving.keys()]) this.#forget(key);
  }

  #forget(sessionKey: string, epoch?: number): void {
    const moving = this.#moving.get(sessionKey);
    if (moving === undefined || (epoch !== undefined && moving.epoch !== epoch)) return;
    clearTimeout(moving.timer);
    this.#moving.delete(sessionKey);
  }
}

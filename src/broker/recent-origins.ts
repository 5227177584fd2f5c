import type { MessageOrigin } from './cluster-port.js';

/**
 * How long a session that moved in from another node remembers the messages it took: past the
 * longest the previous node relays (5 s after it was told, plus the grace for third nodes'
 * copies still on their way there), after which no relayed copy can arrive any more.
 */
export const MOVED_IN_MEMORY_MS = 10_000;
/** Names remembered per session at most: the oldest go first (a copy may then come twice). */
const MAX_REMEMBERED = 65_536;

/**
 * The names of the messages a session took since it moved in from another node (MessageOrigin).
 * During the move a message may reach it twice: forwarded to its new node directly and relayed by
 * its old node, whose routes the publisher's node still saw. The second copy is dropped.
 */
export class RecentOrigins {
  readonly #names = new Set<string>();

  constructor(readonly until: number) {}

  /** True the first time `origin` is given; false for a copy of a message already taken. */
  firstTime(origin: MessageOrigin): boolean {
    const name = `${origin.node}\u0000${origin.seq}`;
    if (this.#names.has(name)) return false;
    if (this.#names.size >= MAX_REMEMBERED) this.#names.delete(this.#names.values().next().value as string);
    this.#names.add(name);
    return true;
  }
}

import type { Logger } from 'pino';
import type { NodeId } from './types.js';

/** Where the live member list comes from (PostgreSQL heartbeats). */
export interface MemberList {
  liveNodes(): Promise<NodeId[]>;
}

/** How often the list is read again; a node that joined is known to the others within this. */
const REFRESH_MS = 2000;

/**
 * The live members as this node last read them: asked on every takeover and retained copy, so it
 * is kept in memory and refreshed in the background rather than read per question.
 */
export class LiveNodes {
  #nodes: ReadonlySet<NodeId> = new Set();
  #others: readonly NodeId[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly members: MemberList,
    private readonly self: NodeId,
    private readonly logger: Logger,
  ) {}

  has(node: NodeId): boolean {
    return this.#nodes.has(node);
  }

  /** Like `has`, reading the list again for a node not in it (it may have joined since). */
  async isLive(node: NodeId): Promise<boolean> {
    if (this.#nodes.has(node)) return true;
    await this.refresh();
    return this.#nodes.has(node);
  }

  /** The other live nodes. */
  others(): readonly NodeId[] {
    return this.#others;
  }

  /** The survivor that adopts `dead`'s sessions: the first live node by name, so only one does. */
  adopterFor(dead: NodeId): NodeId | undefined {
    return [...this.#nodes].filter((node) => node !== dead).sort()[0];
  }

  async refresh(): Promise<void> {
    const nodes = new Set(await this.members.liveNodes());
    nodes.add(this.self);
    this.#nodes = nodes;
    this.#others = [...nodes].filter((node) => node !== this.self);
  }

  start(): void {
    this.#timer ??= setInterval(() => {
      this.refresh().catch((err: unknown) => this.logger.debug({ err }, 'cluster: live nodes not refreshed'));
    }, REFRESH_MS);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

import { routeKey } from './route-key.js';
import type { Route, RouteChange } from './types.js';

interface Counted {
  readonly route: Route;
  count: number;
}

/**
 * This node's routes with a reference count each (one per local subscription or share-group
 * membership on the route). A route is announced when it gains its first subscriber and withdrawn
 * when it loses its last; everything else stays local.
 *
 * Changes are batched until the next `setImmediate` rather than a microtask: the sockets read in
 * one poll phase of the event loop (a burst of SUBSCRIBEs, or a reconnect storm in which sessions
 * drop and come back) all land in one batch, so an add and a remove of the same route in that
 * window cancel out and Redis sees fewer, larger writes. The cost is at most one loop turn of
 * delay, which replication over Redis adds anyway.
 */
export class LocalRoutes {
  readonly #counts = new Map<string, Counted>();
  /** Routes touched since the last flush → whether they existed at the last flush. */
  readonly #touched = new Map<string, { readonly route: Route; readonly existed: boolean }>();
  readonly #onChange: (change: RouteChange) => void;
  #scheduled: NodeJS.Immediate | undefined;

  /** `onChange` receives each non-empty batch; it must not throw. */
  constructor(onChange: (change: RouteChange) => void) {
    this.#onChange = onChange;
  }

  /** Distinct routes held. */
  get size(): number {
    return this.#counts.size;
  }

  add(route: Route): void {
    const key = routeKey(route);
    const counted = this.#counts.get(key);
    if (counted !== undefined) {
      counted.count++;
      return;
    }
    const copy = copyOf(route);
    this.#touch(key, copy, false);
    this.#counts.set(key, { route: copy, count: 1 });
  }

  /** Drops one reference; a route that has none is ignored. */
  remove(route: Route): void {
    const key = routeKey(route);
    const counted = this.#counts.get(key);
    if (counted === undefined) return;
    if (--counted.count > 0) return;
    this.#touch(key, counted.route, true);
    this.#counts.delete(key);
  }

  /** Every route held now, whether or not its change has been emitted yet. */
  snapshot(): Route[] {
    return Array.from(this.#counts.values(), (counted) => counted.route);
  }

  /** Emits the pending batch now (e.g. before shutdown) instead of on the next loop turn. */
  flush(): void {
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    const added: Route[] = [];
    const removed: Route[] = [];
    for (const [key, { route, existed }] of this.#touched) {
      const exists = this.#counts.has(key);
      if (exists && !existed) added.push(route);
      else if (!exists && existed) removed.push(route);
    }
    this.#touched.clear();
    if (added.length > 0 || removed.length > 0) this.#onChange({ added, removed });
  }

  /** Records the state at the last flush on the first touch of a route in this batch. */
  #touch(key: string, route: Route, existed: boolean): void {
    if (!this.#touched.has(key)) this.#touched.set(key, { route, existed });
    this.#scheduled ??= setImmediate(() => this.flush());
  }
}

/** A frozen copy without extra properties: callers may pass richer objects. */
function copyOf(route: Route): Route {
  return Object.freeze(
    route.share === undefined ? { filter: route.filter } : { filter: route.filter, share: route.share },
  );
}

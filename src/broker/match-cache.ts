import { topicMatches } from '../mqtt/topic/match.js';

/**
 * Most topics whose match result is kept. Covers the distinct topics of a large fleet's steady
 * traffic; beyond it the oldest entries go first (a topic seen again is simply matched again).
 */
export const MAX_CACHED_TOPICS = 10_000;
/**
 * Most weight (deliveries + share groups + 1 per topic) over all entries, so wide fan-outs stay
 * bounded too: a delivery costs ~40–80 bytes, so this caps the cache at a few MB.
 */
export const MAX_CACHED_WEIGHT = 100_000;
/** Longer topics are matched every time, which bounds the key memory (10,000 × 256 chars). */
export const MAX_CACHED_TOPIC_LENGTH = 256;
/**
 * A wildcard filter change scans at most this many cached topics for the ones it matches; a
 * larger cache is cleared instead, so a burst of SUBSCRIBEs never costs O(cache) each.
 */
const MAX_INVALIDATION_SCAN = 16;
/** Lookups per admission window (see `admitting`). */
const WINDOW = 4096;
/** Windows without admission after a window in which most lookups missed. */
const PAUSE_WINDOWS = 16;

export interface MatchCacheLimits {
  readonly maxTopics?: number;
  readonly maxWeight?: number;
}

interface Slot<E> {
  readonly entry: E;
  readonly weight: number;
}

/**
 * Topic → match result, bounded by topic count and total weight, evicting the oldest insertion
 * first (FIFO: a hit costs one Map lookup and moves nothing). The owner invalidates by topic
 * filter whenever an entry on that filter is added or removed.
 */
export class MatchCache<E> {
  readonly #slots = new Map<string, Slot<E>>();
  readonly #maxTopics: number;
  readonly #maxWeight: number;
  #weight = 0;
  #lookups = 0;
  #misses = 0;
  #paused = 0;

  constructor(limits: MatchCacheLimits = {}) {
    this.#maxTopics = limits.maxTopics ?? MAX_CACHED_TOPICS;
    this.#maxWeight = limits.maxWeight ?? MAX_CACHED_WEIGHT;
  }

  /** False when nothing can be cached (a limit of 0): callers take their uncached path. */
  get enabled(): boolean {
    return this.#maxTopics > 0 && this.#maxWeight > 0;
  }

  get size(): number {
    return this.#slots.size;
  }

  /** Sum of the weights of the cached entries. */
  get weight(): number {
    return this.#weight;
  }

  /**
   * False for a while after a window in which most lookups missed: more distinct topics flow than
   * the cache holds, or subscriptions change faster than topics repeat. New entries would then be
   * dropped before their next use, and churning them costs more than matching; the entries
   * already cached keep serving hits meanwhile.
   */
  get admitting(): boolean {
    return this.#paused === 0;
  }

  get(topic: string): E | undefined {
    const slot = this.#slots.get(topic);
    if (slot === undefined) this.#misses++;
    if (++this.#lookups === WINDOW) this.#endWindow();
    return slot?.entry;
  }

  /** Keeps `entry` unless the topic is too long or the entry alone is over the weight limit. */
  set(topic: string, entry: E, weight: number): void {
    if (topic.length > MAX_CACHED_TOPIC_LENGTH || weight > this.#maxWeight) return;
    this.#delete(topic);
    if (this.#slots.size >= this.#maxTopics || this.#weight + weight > this.#maxWeight) this.#evict(weight);
    this.#slots.set(topic, { entry, weight });
    this.#weight += weight;
  }

  /** Drops every cached topic that `filter` (a valid, non-shared filter) matches. */
  invalidate(filter: string): void {
    if (this.#slots.size === 0) return;
    if (!hasWildcard(filter)) {
      this.#delete(filter); // a filter without wildcards matches exactly the topic of the same name
      return;
    }
    if (this.#slots.size > MAX_INVALIDATION_SCAN) {
      this.clear();
      return;
    }
    for (const topic of this.#slots.keys()) {
      if (topicMatches(filter, topic)) this.#delete(topic);
    }
  }

  clear(): void {
    this.#slots.clear();
    this.#weight = 0;
  }

  /**
   * Drops the oldest entries until an eighth of each limit is free besides `incoming`. In batches
   * with one iterator: V8 leaves deleted Map entries as holes until it rehashes, so looking up the
   * first key after each single delete would rescan them (quadratic under a stream of new topics).
   */
  #endWindow(): void {
    if (this.#paused > 0) this.#paused--;
    else if (this.#misses * 2 > this.#lookups) this.#paused = PAUSE_WINDOWS;
    this.#lookups = 0;
    this.#misses = 0;
  }

  #evict(incoming: number): void {
    const topics = this.#maxTopics - Math.ceil(this.#maxTopics / 8);
    const weight = this.#maxWeight - Math.ceil(this.#maxWeight / 8) - incoming;
    for (const topic of this.#slots.keys()) {
      if (this.#slots.size < Math.max(topics, 1) && this.#weight <= weight) break;
      this.#delete(topic);
    }
  }

  #delete(topic: string): void {
    const slot = this.#slots.get(topic);
    if (slot === undefined) return;
    this.#slots.delete(topic);
    this.#weight -= slot.weight;
  }
}

function hasWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}

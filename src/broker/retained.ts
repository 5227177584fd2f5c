import { topicMatches } from '../mqtt/topic/match.js';
import type { BrokerMessage } from './message.js';
import type { RetainedStore } from './store-ports.js';
import { isSysTopic } from './sys-topic.js';

const hasWildcard = (filter: string): boolean => filter.includes('+') || filter.includes('#');

/** Retained messages by topic [MQTT-3.3.1-5..11], written through to the store when persistence is on. */
export class RetainedMessages {
  private readonly byTopic = new Map<string, BrokerMessage>();
  /** How many of them are the broker's own `$SYS` values, which the quota leaves out. */
  private sysCount = 0;

  /** Told of every retained message set or cleared by a client here (the cluster copies it). */
  onChange: ((message: BrokerMessage) => void) | undefined;

  constructor(
    private readonly store: RetainedStore | undefined,
    private readonly maxMessages: number,
  ) {}

  load(messages: readonly BrokerMessage[]): void {
    for (const message of messages) this.byTopic.set(message.topic, message);
  }

  get size(): number {
    return this.byTopic.size;
  }

  /**
   * Stores, replaces or (empty payload) clears the retained message of a topic [MQTT-3.3.1-10/11].
   * Returns false when a new topic would exceed the configured maximum.
   */
  set(message: BrokerMessage): boolean {
    if (message.payload.length === 0) {
      this.remove(message.topic, message);
      return true;
    }
    // The broker's own `$SYS` values (a fixed set) neither use nor are refused by the quota.
    const sys = isSysTopic(message.topic);
    const isNew = !this.byTopic.has(message.topic);
    if (!sys && isNew && this.byTopic.size - this.sysCount >= this.maxMessages) return false;
    if (sys && isNew) this.sysCount++;
    this.byTopic.set(message.topic, message);
    // `$SYS` values describe this run only: kept in memory, never stored for the next one.
    if (!sys) {
      this.store?.put(message);
      this.onChange?.(message);
    }
    return true;
  }

  /**
   * A retained message another node of the cluster set or cleared: this node's copy follows; that
   * node stored it and checked its quota.
   */
  applyFromCluster(message: BrokerMessage): void {
    if (isSysTopic(message.topic)) return; // each node's own
    if (message.payload.length === 0) this.byTopic.delete(message.topic);
    else this.byTopic.set(message.topic, message);
  }

  /** Retained messages matching a filter, skipping (and dropping) expired ones. */
  match(filter: string, now: number): BrokerMessage[] {
    if (!hasWildcard(filter)) {
      const message = this.byTopic.get(filter);
      return message !== undefined && this.alive(message, now) ? [message] : [];
    }
    const out: BrokerMessage[] = [];
    for (const message of this.byTopic.values()) {
      if (topicMatches(filter, message.topic) && this.alive(message, now)) out.push(message);
    }
    return out;
  }

  private alive(message: BrokerMessage, now: number): boolean {
    if (message.expiresAt === undefined || message.expiresAt > now) return true;
    this.remove(message.topic);
    return false;
  }

  private remove(topic: string, message?: BrokerMessage): void {
    if (!this.byTopic.delete(topic)) return;
    if (isSysTopic(topic)) this.sysCount--;
    else {
      this.store?.delete(topic);
      if (message !== undefined) this.onChange?.(message);
    }
  }
}

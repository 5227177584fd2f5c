import { topicMatches } from '../mqtt/topic/match.js';
import type { RetainedStore } from '../store/types.js';
import type { BrokerMessage } from './message.js';
import { isSysTopic } from './sys-topic.js';

const hasWildcard = (filter: string): boolean => filter.includes('+') || filter.includes('#');

/** Retained messages by topic [MQTT-3.3.1-5..11], written through to the store when persistence is on. */
export class RetainedMessages {
  private readonly byTopic = new Map<string, BrokerMessage>();

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
      if (this.byTopic.delete(message.topic)) this.store?.delete(message.topic);
      return true;
    }
    if (!this.byTopic.has(message.topic) && this.byTopic.size >= this.maxMessages) return false;
    this.byTopic.set(message.topic, message);
    // `$SYS` values describe this run only: kept in memory, never stored for the next one.
    if (!isSysTopic(message.topic)) this.store?.put(message);
    return true;
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
    this.byTopic.delete(message.topic);
    this.store?.delete(message.topic);
    return false;
  }
}

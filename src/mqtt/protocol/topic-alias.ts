import { MqttError } from '../codec/errors.js';
import { ReasonCode } from '../codec/reason-codes.js';

/** Aliases a client defined towards us (v5 §3.3.2.3.4); reset with each connection. */
export class InboundTopicAliases {
  /** Made on the first alias: a Map costs about 180 bytes even empty. */
  private topics: Map<number, string> | undefined;

  constructor(private readonly maximum: number) {}

  /** Resolves the PUBLISH topic: records `topic` under `alias`, or looks the alias up when the topic is empty. */
  resolve(topic: string, alias: number): string {
    if (alias === 0 || alias > this.maximum) {
      throw new MqttError(ReasonCode.TopicAliasInvalid, `topic alias ${alias} outside 1..${this.maximum}`); // [MQTT-3.3.2-8/9]
    }
    if (topic !== '') {
      this.topics ??= new Map();
      this.topics.set(alias, topic);
      return topic;
    }
    const known = this.topics?.get(alias);
    if (known === undefined) throw new MqttError(ReasonCode.ProtocolError, `unknown topic alias ${alias}`);
    return known;
  }
}

/**
 * Aliases we use towards a client, up to the lower of its Topic Alias Maximum and ours
 * [MQTT-3.3.2-10]. First come, first served; once full, other topics go without alias.
 */
export class OutboundTopicAliases {
  /** Made on the first alias assigned. */
  private aliases: Map<string, number> | undefined;

  constructor(private readonly maximum: number) {}

  /** The alias for `topic` and whether the client already knows it; undefined when none is free. */
  aliasFor(topic: string): { alias: number; known: boolean } | undefined {
    const alias = this.aliases?.get(topic);
    if (alias !== undefined) return { alias, known: true };
    const size = this.aliases?.size ?? 0;
    if (size >= this.maximum) return undefined;
    const next = size + 1;
    this.aliases ??= new Map();
    this.aliases.set(topic, next);
    return { alias: next, known: false };
  }

  /** Undoes a fresh assignment whose PUBLISH was never sent. */
  forget(topic: string): void {
    this.aliases?.delete(topic);
  }
}

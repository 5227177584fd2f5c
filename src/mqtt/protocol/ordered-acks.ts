import type { PublishPacket } from '../codec/packet.js';
import type { ReasonCode } from '../codec/reason-codes.js';

interface Entry {
  readonly packet: PublishPacket;
  code: ReasonCode | undefined;
}

interface Waiter {
  readonly below: number;
  readonly resolve: () => void;
}

/**
 * Acknowledgements of inbound PUBLISH packets, sent in the order the packets arrived
 * [MQTT-4.6.0-2] even when an earlier one completes later (an adapter's deferred decision: a
 * store write still pending). Empty in the usual case, where every ack goes out at once.
 * Bounded by the channel, which stops handing over PUBLISH packets while `size` is at its limit.
 */
export class OrderedAcks {
  readonly #send: (packet: PublishPacket, code: ReasonCode) => void;
  #entries: Entry[] = [];
  #head = 0;
  #waiter: Waiter | undefined;

  constructor(send: (packet: PublishPacket, code: ReasonCode) => void) {
    this.#send = send;
  }

  /** PUBLISH packets taken but not yet acknowledged (or, QoS 0, not yet complete). */
  get size(): number {
    return this.#entries.length - this.#head;
  }

  /** An acknowledgement known now: sent at once unless earlier ones are still pending. */
  now(packet: PublishPacket, code: ReasonCode): void {
    if (this.size === 0) this.#send(packet, code);
    else if (packet.qos === 0)
      return; // nothing to send, nothing to keep in line
    else this.#entries.push({ packet, code });
  }

  /** Holds this packet's place in line; the returned function settles it with its code. */
  defer(packet: PublishPacket): (code: ReasonCode) => void {
    const entry: Entry = { packet, code: undefined };
    this.#entries.push(entry);
    return (code) => {
      if (entry.code !== undefined) return;
      entry.code = code;
      this.#drain();
    };
  }

  /** Resolves once fewer than `below` packets are pending (at once if that already holds). */
  whenBelow(below: number): Promise<void> {
    if (this.size < below) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiter = { below, resolve };
    });
  }

  #drain(): void {
    while (this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head]!;
      if (entry.code === undefined) break;
      this.#head++;
      this.#send(entry.packet, entry.code);
    }
    if (this.#head === this.#entries.length) {
      this.#entries = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    const waiter = this.#waiter;
    if (waiter !== undefined && this.size < waiter.below) {
      this.#waiter = undefined;
      waiter.resolve();
    }
  }
}

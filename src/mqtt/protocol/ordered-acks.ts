import Denque from 'denque';
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
 * An O(1) FIFO, made when an ack must wait and dropped once empty.
 */
export class OrderedAcks {
  readonly #send: (packet: PublishPacket, code: ReasonCode) => void;
  #entries: Denque<Entry> | undefined;
  #waiter: Waiter | undefined;

  constructor(send: (packet: PublishPacket, code: ReasonCode) => void) {
    this.#send = send;
  }

  /** PUBLISH packets taken but not yet acknowledged (or, QoS 0, not yet complete). */
  get size(): number {
    return this.#entries?.length ?? 0;
  }

  /** An acknowledgement known now: sent at once unless earlier ones are still pending. */
  now(packet: PublishPacket, code: ReasonCode): void {
    if (this.size === 0) this.#send(packet, code);
    else if (packet.qos === 0)
      return; // nothing to send, nothing to keep in line
    else this.#entries!.push({ packet, code });
  }

  /** Holds this packet's place in line; the returned function settles it with its code. */
  defer(packet: PublishPacket): (code: ReasonCode) => void {
    const entry: Entry = { packet, code: undefined };
    this.#entries ??= new Denque();
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
    const entries = this.#entries;
    for (let entry = entries?.peekFront(); entry?.code !== undefined; entry = entries!.peekFront()) {
      entries!.shift();
      this.#send(entry.packet, entry.code);
    }
    if (entries?.length === 0) this.#entries = undefined;
    const waiter = this.#waiter;
    if (waiter !== undefined && this.size < waiter.below) {
      this.#waiter = undefined;
      waiter.resolve();
    }
  }
}

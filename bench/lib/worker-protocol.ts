import type { QoS } from '../../src/mqtt/codec/packet.js';
import type { HistogramData } from './histogram.js';
import type { PayloadKind } from './wire.js';

/** Messages between the orchestrator (run.ts) and its forked load-generator workers. */

export interface ClientSpec {
  readonly clientId: string;
  readonly username?: string;
  readonly password?: string;
  readonly source: string;
}

/** Clients are addressed by their index in the worker, in the order they were connected. */
export interface PublisherSpec {
  readonly client: number;
  readonly topics: readonly string[];
}

export interface SubscriberSpec {
  readonly client: number;
  readonly filters: readonly string[];
}

/**
 * `window`: closed loop, at most `window` messages per worker not yet seen by the subscribers
 * (saturation throughput). `rate`: open loop, a fixed number of messages per second (latency).
 * `inflight`: as fast as each connection's QoS 1 window (maxInflight unacknowledged) allows.
 */
export type Pacing =
  | { readonly kind: 'window'; readonly window: number }
  | { readonly kind: 'rate'; readonly perSecond: number }
  | { readonly kind: 'inflight' };

/** How a subscriber reads a payload: binary stamp, decimal µs text, or not at all. */
export type ReceiveFormat = 'stamp' | 'text-micros' | 'none';

export type WorkerCommand =
  | {
      readonly op: 'connect';
      readonly id: number;
      readonly host: string;
      readonly port: number;
      readonly clients: readonly ClientSpec[];
      readonly concurrency: number;
      readonly keepalive: number;
      readonly timeoutMs: number;
    }
  | {
      readonly op: 'subscribe';
      readonly id: number;
      readonly subs: readonly SubscriberSpec[];
      readonly qos: QoS;
    }
  | {
      readonly op: 'publish';
      readonly id: number;
      readonly publishers: readonly PublisherSpec[];
      readonly qos: QoS;
      readonly payload: PayloadKind;
      readonly durationMs: number;
      readonly pacing: Pacing;
      /** Deliveries each message makes (subscribers matching), for the window accounting. */
      readonly fanout: number;
      /** Unacknowledged QoS 1 PUBLISHes per connection. */
      readonly maxInflight: number;
      /**
       * Each PUBLISH its own `socket.write` (one TCP segment with no-delay), and the next one sent
       * as soon as a PUBACK opens the window, as devices that wait for their PUBACK do. Default:
       * the packets one turn writes for a connection go out in one write.
       */
      readonly perPacketWrites?: boolean;
    }
  | { readonly op: 'credit'; readonly delivered: number }
  | {
      readonly op: 'recv-reset';
      readonly id: number;
      readonly format: ReceiveFormat;
      readonly credits: boolean;
    }
  | { readonly op: 'recv-stats'; readonly id: number; readonly stop: boolean }
  | { readonly op: 'ping'; readonly id: number; readonly sample: number }
  | { readonly op: 'close'; readonly id: number }
  | { readonly op: 'exit' };

export interface ConnectResult {
  readonly ok: number;
  readonly failed: number;
  readonly refused: number;
  readonly errors: readonly string[];
  readonly hist: HistogramData;
  readonly firstMicros: number;
  readonly lastMicros: number;
}

export interface PublishResult {
  readonly sent: number;
  readonly acked: number;
  readonly ackHist: HistogramData;
  readonly elapsedMs: number;
  /** Window mode: deliveries given up on after a stall (messages the broker dropped). */
  readonly lost: number;
}

export interface ReceiveResult {
  readonly received: number;
  readonly hist: HistogramData;
  readonly elapsedMicros: number;
}

export type WorkerReply =
  | { readonly op: 'ready' }
  | { readonly op: 'done'; readonly id: number; readonly result: unknown }
  | { readonly op: 'error'; readonly id: number; readonly message: string }
  /** Cumulative deliveries since the last recv-reset, by origin worker. */
  | { readonly op: 'delivered'; readonly counts: number[]; readonly other: number }
  | { readonly op: 'progress'; readonly sent: number; readonly received: number };

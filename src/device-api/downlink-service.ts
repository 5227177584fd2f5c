import type { Broker } from '../broker/broker.js';
import type { BrokerMessage } from '../broker/message.js';
import type { Clock } from '../lib/clock.js';
import type { QoS } from '../mqtt/codec/packet.js';
import type { DeviceApiMetrics } from '../observability/device-api-metrics.js';
import { deviceSessionKey, deviceTopic } from './internal-topics.js';
import type { DownlinkService } from './types.js';

/** How long a `downlink/ping` waits for its PUBACK. */
export const PING_TIMEOUT_MS = 10_000;

export interface DownlinkDeps {
  readonly broker: Broker;
  readonly clock: Clock;
  readonly metrics: DeviceApiMetrics;
}

/** A server-originated downlink: never retained (spec §3.1), no publisher (no No Local). */
export function downlinkMessage(
  clock: Clock,
  topic: string,
  payload: Buffer | string,
  qos: QoS,
  onAcknowledged?: (at: number) => void,
): BrokerMessage {
  return {
    topic,
    payload: typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload,
    qos,
    retain: false,
    properties: {},
    createdAt: clock.now(),
    ...(onAcknowledged === undefined ? {} : { onAcknowledged }),
  };
}

/**
 * Downlinks for a device (spec §3.3): published under `$dev/{id}/downlink/…`, so they reach the
 * device's own subscription and every gateway subscribed to it, each capped by its granted QoS.
 */
export function createDownlinkService(deps: DownlinkDeps): DownlinkService & { close(): void } {
  const { broker, clock, metrics } = deps;
  // Pings in flight, bounded by the devices connected (one per device at a time is typical).
  const pending = new Set<() => void>();
  return {
    publish(deviceId, topic, payload, qos = 1) {
      metrics.downlinks++;
      // spec §3.1 [CHOICE]: at most QoS 1.
      broker.publish(downlinkMessage(clock, deviceTopic(deviceId, topic), payload, qos === 0 ? 0 : 1));
    },

    unsolicited(deviceId, topic, payload) {
      metrics.downlinks++;
      const message = downlinkMessage(clock, deviceTopic(deviceId, topic), payload, 0);
      // spec §3.1: reaches the device without a subscription, at QoS 0 (on whichever node of a
      // cluster it is connected to); a subscribed device gets it through broker.publish, once.
      broker.deliverUnsolicited(deviceSessionKey(deviceId), message);
      broker.publish(message);
    },

    ping(deviceId) {
      const key = deviceSessionKey(deviceId);
      // In a cluster, a device connected to another node is pinged there (spec §3.3, same message);
      // that node counts the downlink and times the PUBACK.
      if (!broker.isConnected(key))
        return broker.pingElsewhere(
          key,
          downlinkMessage(clock, deviceTopic(deviceId, 'downlink/ping'), '', 1),
        );
      metrics.downlinks++;
      return new Promise((resolve) => {
        // The PUBACK time comes from the engine's clock, so the send time does too.
        const sentAt = broker.clock.now();
        const finish = (rtt: number | undefined): void => {
          if (!pending.delete(cancel)) return;
          timer.cancel();
          resolve(rtt);
        };
        const cancel = (): void => finish(undefined);
        const timer = clock.schedule(PING_TIMEOUT_MS, cancel);
        pending.add(cancel);
        // spec §3.3: always QoS 1; the client's automatic PUBACK is the pong.
        const message = downlinkMessage(clock, deviceTopic(deviceId, 'downlink/ping'), '', 1, (at) =>
          finish(Math.max(0, at - sentAt)),
        );
        if (!broker.deliverTo(key, message)) finish(undefined);
      });
    },

    /** Resolves every ping in flight with undefined. */
    close() {
      for (const cancel of [...pending]) cancel();
    },
  };
}

import type { MqttClient } from 'mqtt';
import type { QoS } from 'mqtt-packet';
import { type Connected, type Received, uniqueId } from './mqtt-client.js';

/**
 * Proves "nothing else arrived" without sleeping: the subscriber listens on a fresh marker topic,
 * `publisher` publishes a marker after whatever the test published, and we collect what the
 * subscriber got before the marker. Relies on the server forwarding one connection's messages in
 * order [MQTT-4.6.0-5] (3.1.1 §4.6).
 */
export async function untilMarker(
  publisher: MqttClient,
  subscriber: Connected,
  qos: QoS = 1,
): Promise<Received[]> {
  const topic = `marker/${uniqueId('m')}`;
  await subscriber.client.subscribeAsync(topic, { qos });
  await publisher.publishAsync(topic, 'marker', { qos });
  return subscriber.inbox.until(topic);
}

/** Payloads as strings, for compact assertions. */
export function payloads(messages: readonly Received[]): string[] {
  return messages.map((m) => m.payload.toString());
}

/** Topics of received messages. */
export function topics(messages: readonly Received[]): string[] {
  return messages.map((m) => m.topic);
}

import type { MqttClient } from 'mqtt';
import type { IPubackPacket } from 'mqtt-packet';
import { nextPacketOf, subscribeCodes } from '../../helpers/mqtt-client.js';

/** Publishes at QoS 1 and resolves with the PUBACK reason code (3.1.1: always 0). */
export async function publishCode(
  client: MqttClient,
  topic: string,
  payload: string | Buffer,
): Promise<number> {
  const ack = await nextPacketOf<IPubackPacket>(client, 'puback', () => {
    // A v5 failure code rejects the callback; the code is read from the packet instead.
    client.publish(topic, payload, { qos: 1 }, () => undefined);
  });
  return ack.reasonCode ?? 0;
}

/** SUBACK code of one filter at QoS 1. */
export async function subscribeCode(client: MqttClient, filter: string): Promise<number> {
  const [code] = await subscribeCodes(client, filter, { qos: 1 });
  return code ?? -1;
}

import { MqttError } from '../codec/errors.js';
import type { DisconnectPacket } from '../codec/packet.js';
import { ReasonCode } from '../codec/reason-codes.js';
import type { Channel } from './channel.js';

/**
 * Client DISCONNECT: a normal one discards the will [MQTT-3.1.2-10]; v5 0x04 keeps it; a new
 * Session Expiry Interval may be set, but not from 0 to non-zero [MQTT-3.14.2-2].
 */
export function handleDisconnect(ch: Channel, packet: DisconnectPacket): void {
  const session = ch.session!;
  const requested = ch.protocolVersion === 5 ? packet.properties?.sessionExpiryInterval : undefined;
  if (requested !== undefined) {
    if (session.expiryInterval === 0 && requested !== 0) {
      throw new MqttError(ReasonCode.ProtocolError, 'session expiry cannot be raised from 0 on DISCONNECT');
    }
    session.setExpiryInterval(Math.min(requested, ch.broker.limits.maxSessionExpiryInterval));
  }
  ch.clientDisconnected(packet.reasonCode);
}

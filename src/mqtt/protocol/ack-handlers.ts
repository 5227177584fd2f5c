import type { PubrecPacket, PubrelPacket } from '../codec/packet.js';
import { isFailure, ReasonCode } from '../codec/reason-codes.js';
import type { Channel } from './channel.js';

/** PUBREC for one of our QoS 2 sends: release it with PUBREL [MQTT-4.3.3-4]. */
export function handlePubrec(ch: Channel, packet: PubrecPacket): void {
  const session = ch.session!;
  const id = packet.messageId!;
  if (ch.protocolVersion === 5 && packet.reasonCode !== undefined && isFailure(packet.reasonCode)) {
    session.complete(id); // the receiver refused it: the exchange ends here [MQTT-4.3.3 v5]
    session.drain();
    return;
  }
  if (session.released(id)) {
    ch.send({ cmd: 'pubrel', messageId: id });
    return;
  }
  ch.send(
    ch.protocolVersion === 5
      ? { cmd: 'pubrel', messageId: id, reasonCode: ReasonCode.PacketIdentifierNotFound }
      : { cmd: 'pubrel', messageId: id },
  );
}

/** PUBREL for an inbound QoS 2 message: forget its id and complete [MQTT-4.3.3-11]. */
export function handlePubrel(ch: Channel, packet: PubrelPacket): void {
  const id = packet.messageId!;
  const known = ch.session!.deleteInboundQoS2(id);
  ch.send(
    ch.protocolVersion === 5 && !known
      ? { cmd: 'pubcomp', messageId: id, reasonCode: ReasonCode.PacketIdentifierNotFound }
      : { cmd: 'pubcomp', messageId: id },
  );
}

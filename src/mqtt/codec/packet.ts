/** Typed packets. mqtt-packet's shapes are the in-memory model; only this folder imports it. */
export type {
  IAuthPacket as AuthPacket,
  IConnackPacket as ConnackPacket,
  IConnectPacket as ConnectPacket,
  IDisconnectPacket as DisconnectPacket,
  IPingreqPacket as PingreqPacket,
  IPingrespPacket as PingrespPacket,
  IPubackPacket as PubackPacket,
  IPubcompPacket as PubcompPacket,
  IPublishPacket as PublishPacket,
  IPubrecPacket as PubrecPacket,
  IPubrelPacket as PubrelPacket,
  ISubackPacket as SubackPacket,
  ISubscribePacket as SubscribePacket,
  ISubscription as Subscription,
  IUnsubackPacket as UnsubackPacket,
  IUnsubscribePacket as UnsubscribePacket,
  Packet,
  QoS,
  UserProperties,
} from 'mqtt-packet';

/** Protocol levels on the wire: 3 = MQTT 3.1 (MQIsdp), 4 = 3.1.1, 5 = 5.0. */
export type ProtocolVersion = 3 | 4 | 5;

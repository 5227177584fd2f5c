import { ReasonCode } from './reason-codes.js';

/**
 * The one failure type of the MQTT layers: every error carries the v5 reason code that the
 * wire should see. `protocol/error-mapping.ts` turns it into CONNACK/DISCONNECT per version.
 */
export class MqttError extends Error {
  readonly reasonCode: ReasonCode;
  readonly code: string;

  constructor(reasonCode: ReasonCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.reasonCode = reasonCode;
    this.code = `MQTT_${reasonCode.toString(16).padStart(2, '0').toUpperCase()}`;
  }
}

/** Bytes that do not form a valid packet (0x81). The connection must be closed. */
export class MalformedPacketError extends MqttError {
  constructor(message: string, options?: ErrorOptions) {
    super(ReasonCode.MalformedPacket, message, options);
  }
}

/** A well-formed packet that breaks a protocol rule (0x82). */
export class ProtocolError extends MqttError {
  constructor(message: string, options?: ErrorOptions) {
    super(ReasonCode.ProtocolError, message, options);
  }
}

/** A packet larger than the negotiated Maximum Packet Size (0x95). */
export class PacketTooLargeError extends MqttError {
  constructor(message: string) {
    super(ReasonCode.PacketTooLarge, message);
  }
}

/**
 * A CONNECT whose protocol name or level is not supported (0x84). `protocolLevel` is the level byte
 * the client sent, when present, so the channel can pick the CONNACK format [MQTT-3.1.2-2].
 */
export class UnsupportedProtocolVersionError extends MqttError {
  readonly protocolLevel: number | undefined;

  constructor(message: string, protocolLevel?: number) {
    super(ReasonCode.UnsupportedProtocolVersion, message);
    this.protocolLevel = protocolLevel;
  }
}

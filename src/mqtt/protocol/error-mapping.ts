import type { ConnackPacket, DisconnectPacket, ProtocolVersion } from '../codec/packet.js';
import { type ReasonCode, toV3ConnectReturnCode } from '../codec/reason-codes.js';

/**
 * The one place where a reason code becomes a CONNACK, per protocol version: v5 carries the code
 * (and a reason string unless the client asked for none), 3.1.1 the downgraded return code.
 */
export function connackFor(code: ReasonCode, version: ProtocolVersion, reasonString?: string): ConnackPacket {
  if (version === 5) {
    return {
      cmd: 'connack',
      sessionPresent: false,
      reasonCode: code,
      ...(reasonString === undefined ? {} : { properties: { reasonString } }),
    };
  }
  return { cmd: 'connack', sessionPresent: false, returnCode: toV3ConnectReturnCode(code) };
}

/** The DISCONNECT a server sends before closing; 3.1.1 has no server DISCONNECT, so null. */
export function disconnectFor(
  code: ReasonCode,
  version: ProtocolVersion,
  reasonString?: string,
): DisconnectPacket | null {
  if (version !== 5) return null;
  return {
    cmd: 'disconnect',
    reasonCode: code,
    ...(reasonString === undefined ? {} : { properties: { reasonString } }),
  };
}

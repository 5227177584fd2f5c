import { MqttError } from '../codec/errors.js';
import type { ConnackPacket, DisconnectPacket, ProtocolVersion } from '../codec/packet.js';
import { ReasonCode, toV3ConnectReturnCode, toV3SubackCode } from '../codec/reason-codes.js';
import { redactTopic } from '../topic/redact.js';

/** Longest reason string sent, bytes: enough to explain a refusal, never an echo of client input. */
export const MAX_REASON_STRING_BYTES = 128;
const ELLIPSIS = '…'; // 3 bytes in UTF-8

/** CONNACK reason codes MQTT 5.0 allows (§3.2.2.2); others are sent as 0x80 Unspecified error. */
const V5_CONNACK_CODES: ReadonlySet<number> = new Set([
  0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a,
  0x9b, 0x9c, 0x9d, 0x9f,
]);

/** DISCONNECT reason codes a server may send (MQTT 5.0 §3.14.2.1; 0x04 is the client's only). */
const V5_DISCONNECT_CODES: ReadonlySet<number> = new Set([
  0x00, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98,
  0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2,
]);

/** PUBACK and PUBREC reason codes (MQTT 5.0 §3.4.2.1, §3.5.2.1). */
const V5_PUBLISH_ACK_CODES: ReadonlySet<number> = new Set([
  0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99,
]);

/** The code a v5 PUBACK/PUBREC carries for an outcome: one the packet may carry, else 0x80. */
export function publishAckCode(code: ReasonCode): ReasonCode {
  return V5_PUBLISH_ACK_CODES.has(code) ? code : ReasonCode.UnspecifiedError;
}

/** SUBACK reason codes (MQTT 5.0 §3.9.3): granted QoS 0-2 or these failures. */
const V5_SUBACK_FAILURES: ReadonlySet<number> = new Set([
  0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2,
]);

/** A SUBACK code per version: v5 a code SUBACK may carry (else 0x80), 3.1.1 QoS or 0x80 [MQTT-3.9.3-2]. */
export function subackCode(code: number, version: ProtocolVersion): number {
  if (version !== 5) return toV3SubackCode(code);
  return code <= ReasonCode.GrantedQoS2 || V5_SUBACK_FAILURES.has(code) ? code : ReasonCode.UnspecifiedError;
}

/**
 * The one place a text becomes a v5 reason string: device tokens redacted, then cut to
 * MAX_REASON_STRING_BYTES on a UTF-8 character boundary (a reason string built from a 64 KiB
 * topic would not even fit the packet's 65,535-byte string).
 */
export function wireReasonString(text: string): string {
  const redacted = redactTopic(text);
  // A UTF-16 unit is at most 3 UTF-8 bytes: short texts need no measuring.
  if (redacted.length * 3 <= MAX_REASON_STRING_BYTES) return redacted;
  const bytes = Buffer.from(redacted, 'utf8');
  if (bytes.length <= MAX_REASON_STRING_BYTES) return redacted;
  let end = MAX_REASON_STRING_BYTES - Buffer.byteLength(ELLIPSIS);
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--; // never inside a multi-byte character
  return `${bytes.toString('utf8', 0, end)}${ELLIPSIS}`;
}

/**
 * The one place where a reason code becomes a CONNACK, per protocol version: v5 carries the code
 * (one CONNACK may carry; others become 0x80) and a bounded reason string, 3.1.1 the downgraded
 * return code and nothing else.
 */
export function connackFor(code: ReasonCode, version: ProtocolVersion, reasonString?: string): ConnackPacket {
  if (version === 5) {
    return {
      cmd: 'connack',
      sessionPresent: false,
      reasonCode: V5_CONNACK_CODES.has(code) ? code : ReasonCode.UnspecifiedError,
      ...(reasonString === undefined ? {} : { properties: { reasonString: wireReasonString(reasonString) } }),
    };
  }
  return { cmd: 'connack', sessionPresent: false, returnCode: toV3ConnectReturnCode(code) };
}

/**
 * The DISCONNECT a server sends before closing: v5 only (a code DISCONNECT may carry, else 0x80,
 * and a bounded reason string); 3.1.1 has no server DISCONNECT, so null.
 */
export function disconnectFor(
  code: ReasonCode,
  version: ProtocolVersion,
  reasonString?: string,
): DisconnectPacket | null {
  if (version !== 5) return null;
  return {
    cmd: 'disconnect',
    reasonCode: V5_DISCONNECT_CODES.has(code) ? code : ReasonCode.UnspecifiedError,
    ...(reasonString === undefined ? {} : { properties: { reasonString: wireReasonString(reasonString) } }),
  };
}

/** A client broke the protocol (or was refused), or the server failed while serving it. */
export type FailureKind = 'protocol' | 'internal';

/** A failure of one connection, as the wire, the logs and the metrics see it. */
export interface Failure {
  readonly kind: FailureKind;
  readonly code: ReasonCode;
  /** What the client may be told (before wireReasonString); none for internal failures. */
  readonly text: string | undefined;
}

/**
 * Client errors are MqttErrors; anything else, and 0x83 (what the encoder throws), is ours:
 * the client is told only "implementation specific error".
 */
export function classifyFailure(err: unknown): Failure {
  if (err instanceof MqttError && err.reasonCode !== ReasonCode.ImplementationSpecificError) {
    return { kind: 'protocol', code: err.reasonCode, text: err.message };
  }
  return { kind: 'internal', code: ReasonCode.ImplementationSpecificError, text: undefined };
}

/** Where the connection stood when it failed: no CONNECT yet, CONNECT being handled, accepted. */
export type FailureStage = 'new' | 'connecting' | 'connected';

/** The packet that answers a failure and the version to encode it in; null = close unanswered. */
export interface FailureAnswer {
  readonly packet: ConnackPacket | DisconnectPacket;
  readonly version: ProtocolVersion;
}

/**
 * How a failure is answered, decided from the stage and the connection's version only:
 * - before any CONNECT was read, only an unsupported protocol gets an answer, in the 3.1.1
 *   format every client can read [MQTT-3.1.2-2];
 * - while CONNECT is handled, a CONNACK: any v5 refusal; on 3.1.x only refusals that have a
 *   return code, a protocol violation closes unanswered [MQTT-4.8.0-1 (3.1.1)];
 * - once accepted, a v5 DISCONNECT; 3.1.x closes.
 * An unsupported protocol level after the first CONNECT is a second CONNECT [MQTT-3.1.0-2].
 */
export function failureAnswer(
  failure: Failure,
  stage: FailureStage,
  version: ProtocolVersion,
): FailureAnswer | null {
  if (stage === 'new') {
    if (failure.code !== ReasonCode.UnsupportedProtocolVersion) return null;
    return { packet: connackFor(ReasonCode.UnsupportedProtocolVersion, 4), version: 4 };
  }
  const code =
    failure.code === ReasonCode.UnsupportedProtocolVersion ? ReasonCode.ProtocolError : failure.code;
  const text = code === failure.code ? failure.text : 'second CONNECT';
  if (stage === 'connecting') {
    if (version !== 5 && (code === ReasonCode.ProtocolError || code === ReasonCode.MalformedPacket))
      return null;
    return { packet: connackFor(code, version, version === 5 ? text : undefined), version };
  }
  const disconnect = disconnectFor(code, version, text);
  return disconnect === null ? null : { packet: disconnect, version };
}

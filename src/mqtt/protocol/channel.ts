import type { Logger } from 'pino';
import type { ClientIdentity, ConnectionInfo } from '../../broker/auth.js';
import type { Broker } from '../../broker/broker.js';
import type { ClientAdapter } from '../../broker/client-adapter.js';
import type { BrokerMessage } from '../../broker/message.js';
import type { Session } from '../../broker/session.js';
import type { SendOutcome, SessionLink } from '../../broker/session-link.js';
import { isSysTopic } from '../../broker/sys-topic.js';
import type { WillSpec } from '../../broker/will.js';
import {
  type ConnectionEnd,
  clientEnd,
  serverEnd,
  TRANSPORT_CLOSED,
} from '../../observability/connection-log.js';
import { encodePacket } from '../codec/encoder.js';
import { MqttError } from '../codec/errors.js';
import type { Packet, ProtocolVersion } from '../codec/packet.js';
import { ReasonCode } from '../codec/reason-codes.js';
import { handlePubrec, handlePubrel } from './ack-handlers.js';
import { ChannelAdapterLink } from './adapter-link.js';
import { handleConnect } from './connect-handler.js';
import { handleDisconnect } from './disconnect-handler.js';
import { classifyFailure, disconnectFor, type FailureAnswer, wireReasonString } from './error-mapping.js';
import { answerFailure, reportInternal } from './failure.js';
import { OrderedAcks } from './ordered-acks.js';
import { buildOutboundPublish } from './outbound-publish.js';
import { handlePublish, sendPublishAck } from './publish-handler.js';
import { handleSubscribe, handleUnsubscribe } from './subscribe-handler.js';
import { InboundTopicAliases, OutboundTopicAliases } from './topic-alias.js';

/** What the channel needs from its transport shell. Nothing here is a socket. */
export interface ChannelSink {
  write(bytes: Buffer): void;
  /** Bytes written but not yet flushed to the network. */
  bufferedBytes(): number;
  /** Flush, then close the transport. */
  end(): void;
  /** Close the transport at once, unflushed (the answer to a failure could not even be encoded). */
  destroy(): void;
  /** Keepalive the shell enforces from now on, ms (0 = none). */
  setKeepalive(ms: number): void;
  /** CONNECT accepted: stop the connect timer. */
  connected(): void;
}

type State = 'new' | 'connecting' | 'connected' | 'closed';

/** The largest packet MQTT can frame: 268,435,455 bytes of body plus a 5-byte fixed header. */
const MAX_FRAME = 268_435_455 + 5;
const NO_OUTBOUND_ALIASES = new OutboundTopicAliases(0);

/**
 * One connection's MQTT state machine: packets in, packets out through the sink, session and
 * routing through the broker. Socket-free, so every rule is testable without a network.
 */
export class Channel implements SessionLink {
  state: State = 'new';
  protocolVersion: ProtocolVersion = 4;
  session: Session | undefined;
  identity: ClientIdentity | undefined;
  will: WillSpec | undefined;
  /** The API layered on this connection (device/gateway API), if any: maps topics at the edge. */
  adapter: ClientAdapter | undefined;
  clientId = '';
  /** The CONNECT username, for the connection log lines. */
  username: string | undefined;
  /** Why the connection ended, for the disconnect log line: the first cause recorded wins. */
  private end: ConnectionEnd | undefined;
  /** The broker's key for this connection's session (the client id unless the adapter says otherwise). */
  sessionKey = '';
  sendQuota: number;
  /** The largest frame MQTT can carry until the client says less (a small integer, not a boxed Infinity). */
  clientMaxPacketSize = MAX_FRAME;
  /** v5 Request Problem Information: false forbids reason strings outside CONNACK/DISCONNECT/PUBLISH. */
  problemInformation = true;
  /** Until a v5 client allows aliases: the shared table that never assigns one. */
  outboundAliases = NO_OUTBOUND_ALIASES;
  readonly logger: Logger;
  // Made when first needed: an idle connection never needs them.
  private inboundAliasTable: InboundTopicAliases | undefined;
  private ackQueue: OrderedAcks | undefined;

  constructor(
    readonly broker: Broker,
    private readonly sink: ChannelSink,
    readonly info: ConnectionInfo,
  ) {
    this.sendQuota = broker.limits.maxInflightOutgoing;
    this.logger = broker.logger;
  }

  /** Aliases the client defined towards us (v5 §3.3.2.3.4). */
  get inboundAliases(): InboundTopicAliases {
    this.inboundAliasTable ??= new InboundTopicAliases(this.broker.limits.topicAliasMaximum);
    return this.inboundAliasTable;
  }

  /** Inbound PUBLISH acknowledgements, kept in arrival order while deferred ones complete. */
  get acks(): OrderedAcks {
    this.ackQueue ??= new OrderedAcks((packet, code) => sendPublishAck(this, packet, code));
    return this.ackQueue;
  }

  /** Handles one decoded packet. A returned promise must settle before the next packet is handled. */
  handle(packet: Packet): void | Promise<void> {
    const turn = this.waitTurn(packet);
    if (turn !== undefined) return turn.then(() => this.handle(packet));
    this.broker.metrics.packetsReceived[packet.cmd]++;
    try {
      const result = this.dispatch(packet);
      if (result instanceof Promise) return result.catch((err: unknown) => this.fail(err));
    } catch (err) {
      this.fail(err);
    }
    return undefined;
  }

  /**
   * While deferred PUBLISH packets complete, further PUBLISH packets may pass up to Receive
   * Maximum of them; any other packet waits until all are acknowledged, so it sees (and its
   * answer follows) everything sent before it.
   */
  private waitTurn(packet: Packet): Promise<void> | undefined {
    const pending = this.ackQueue?.size ?? 0;
    if (pending === 0 || this.state !== 'connected') return undefined;
    const below = packet.cmd === 'publish' ? this.broker.limits.receiveMaximum : 1;
    return pending < below ? undefined : this.acks.whenBelow(below);
  }

  private dispatch(packet: Packet): void | Promise<void> {
    if (this.state === 'closed') return;
    if (this.state === 'new') {
      if (packet.cmd !== 'connect') return this.close(undefined, false); // [MQTT-3.1.0-1]
      this.state = 'connecting';
      return handleConnect(this, packet);
    }
    if (this.state === 'connecting') return; // packets after CONNECT wait for auth; dropped if it fails
    switch (packet.cmd) {
      case 'publish':
        return handlePublish(this, packet);
      case 'puback':
      case 'pubcomp':
        this.session!.complete(packet.messageId!);
        this.session!.drain();
        return;
      case 'pubrec':
        return handlePubrec(this, packet);
      case 'pubrel':
        return handlePubrel(this, packet);
      case 'subscribe':
        return handleSubscribe(this, packet);
      case 'unsubscribe':
        return handleUnsubscribe(this, packet);
      case 'pingreq':
        this.send({ cmd: 'pingresp' });
        return;
      case 'disconnect':
        return handleDisconnect(this, packet);
      case 'connect':
        throw new MqttError(ReasonCode.ProtocolError, 'second CONNECT'); // [MQTT-3.1.0-2]
      case 'auth':
        throw new MqttError(ReasonCode.ProtocolError, 'AUTH without an authentication method'); // [MQTT-4.12.0-1]
      default:
        throw new MqttError(ReasonCode.ProtocolError, `unexpected ${packet.cmd} from a client`);
    }
  }

  /**
   * Encodes and writes a packet in this connection's protocol version. Never throws: a packet
   * that cannot be encoded fails this connection (callers find it closed).
   */
  send(packet: Packet): void {
    if (this.state === 'closed') return;
    let bytes: Buffer;
    try {
      bytes = encodePacket(packet, this.protocolVersion);
    } catch (err) {
      this.fail(err);
      return;
    }
    this.written(packet, bytes);
  }

  private written(packet: Packet, bytes: Buffer): void {
    this.broker.metrics.packetsSent[packet.cmd]++;
    this.broker.metrics.bytesSent += bytes.length;
    this.sink.write(bytes);
  }

  /** The connection is accepted: start keepalive and session delivery. */
  markConnected(keepaliveSeconds: number): void {
    if (this.state !== 'connecting') return; // failed while answering CONNECT
    this.state = 'connected';
    this.sink.connected();
    this.sink.setKeepalive(keepaliveSeconds * 1500); // 1.5 x keepalive [MQTT-3.1.2-24]
    this.adapter?.onConnected?.(new ChannelAdapterLink(this));
  }

  /**
   * Turns any failure into the wire answer (error-mapping.ts: CONNACK while connecting, v5
   * DISCONNECT once connected, per version) and closes this connection, whatever failed. Never
   * throws: if even the answer cannot be encoded, the transport is destroyed. Logged and counted
   * once (failure.ts). `releaseLater`: the failure happened on another connection's call stack (a
   * delivery), whose work must not be re-entered by this one's teardown (will, adapter).
   */
  fail(err: unknown, releaseLater = false): void {
    if (this.state === 'closed') return;
    const stage = this.state;
    const failure = classifyFailure(err);
    const detail = failure.text === undefined ? undefined : wireReasonString(failure.text);
    if (stage === 'connecting') this.logRefused(failure.code, detail);
    this.end ??= serverEnd(failure.code, detail);
    const answerError = answerFailure(this, err, stage);
    this.state = 'closed';
    if (answerError === undefined) this.sink.end();
    else this.sink.destroy();
    const publishWill = stage === 'connected'; // [MQTT-3.1.2-8] not a normal DISCONNECT
    if (releaseLater) process.nextTick(releaseAfterFailure, this, publishWill);
    else this.release(publishWill);
  }

  /** Writes the answer to a failure; returns the error if it could not be encoded. */
  writeAnswer(answer: FailureAnswer): unknown {
    let bytes: Buffer;
    try {
      bytes = encodePacket(answer.packet, answer.version);
      // [MQTT-3.1.2-25] the answer too must fit the client's Maximum Packet Size: drop the reason string.
      if (bytes.length > this.clientMaxPacketSize && answer.packet.properties !== undefined) {
        const { properties: _dropped, ...bare } = answer.packet;
        bytes = encodePacket(bare, answer.version);
      }
    } catch (err) {
      return err;
    }
    this.written(answer.packet, bytes);
    return undefined;
  }

  private logRefused(reasonCode: number, detail: string | undefined): void {
    this.broker.connectionLog.refused({
      clientId: this.clientId,
      username: this.username,
      connection: this.info,
      reasonCode,
      detail,
    });
  }

  /** A client DISCONNECT ends the connection (logged once the session is released). */
  clientDisconnected(reasonCode: number | undefined): void {
    this.end ??= clientEnd(reasonCode);
    this.close(undefined, this.protocolVersion === 5 && reasonCode === ReasonCode.DisconnectWithWill);
  }

  /** Closes the connection, sending a v5 DISCONNECT with `code` first when given. Never throws. */
  close(code: ReasonCode | undefined, publishWill: boolean, reasonString?: string): void {
    if (this.state === 'closed') return;
    let answerError: unknown;
    this.end ??= serverEnd(code, reasonString === undefined ? undefined : wireReasonString(reasonString));
    if (code !== undefined && this.state === 'connected') {
      const disconnect = disconnectFor(code, this.protocolVersion, reasonString);
      if (disconnect !== null)
        answerError = this.writeAnswer({ packet: disconnect, version: this.protocolVersion });
    }
    this.state = 'closed';
    if (answerError === undefined) {
      this.sink.end();
    } else {
      reportInternal(this, answerError, 'DISCONNECT could not be encoded: connection destroyed');
      this.sink.destroy();
    }
    this.release(publishWill);
  }

  /** Ends the adapter and the session's link; each step is isolated so one failing skips no other. */
  release(publishWill: boolean): void {
    const adapter = this.adapter;
    this.adapter = undefined;
    if (adapter?.onDisconnected !== undefined) {
      try {
        adapter.onDisconnected();
      } catch (err) {
        reportInternal(this, err, 'adapter failed on disconnect');
      }
    }
    const session = this.session;
    if (session === undefined) return;
    this.session = undefined;
    // Only accepted connections have a session: one line per connection that was logged in.
    this.broker.connectionLog.disconnected({
      clientId: this.clientId,
      username: this.username,
      connection: this.info,
      end: this.end ?? TRANSPORT_CLOSED,
    });
    const will = publishWill ? this.will : undefined;
    this.will = undefined;
    try {
      this.broker.connectionLost(session, this, will);
    } catch (err) {
      reportInternal(this, err, 'releasing the session failed');
    }
  }

  /** The transport closed under us (peer, network error): an abnormal end, so the will goes out. */
  transportClosed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.end ??= TRANSPORT_CLOSED;
    this.release(true);
  }

  keepaliveExpired(): void {
    this.logger.debug({ clientId: this.clientId }, 'keepalive timeout');
    this.close(ReasonCode.KeepAliveTimeout, true); // [MQTT-3.1.2-24]
  }

  /** The client left a packet incomplete for longer than the limit: a slow sender holds no connection. */
  incompletePacketExpired(limitMs: number): void {
    // 0x8D: bytes of a packet that never completes are no sign of life [MQTT-3.1.2-24].
    this.fail(new MqttError(ReasonCode.KeepAliveTimeout, `packet incomplete after ${limitMs} ms`));
  }

  connectTimedOut(): void {
    if (this.state === 'new' || this.state === 'connecting') this.close(undefined, false);
  }

  /** Server shutdown: DISCONNECT 0x8B to v5 clients; the session is kept, no will. */
  shutdown(): void {
    this.close(ReasonCode.ServerShuttingDown, false);
  }

  // SessionLink

  /** [MQTT-3.1.4-3] The will is published as for any non-normal close (subject to its delay). */
  takeOver(): void {
    this.close(ReasonCode.SessionTakenOver, true);
  }

  isCongested(): boolean {
    return this.sink.bufferedBytes() > this.broker.limits.maxWriteBufferBytes;
  }

  sendPublish(
    message: BrokerMessage,
    packetId: number | undefined,
    dup: boolean,
    subscriptionIds: readonly number[] | undefined,
  ): SendOutcome {
    if (this.state !== 'connected') return 'sent'; // stays in flight until the next connection
    let outcome: ReturnType<typeof buildOutboundPublish>;
    try {
      outcome = buildOutboundPublish(this, message, packetId, dup, subscriptionIds);
    } catch (err) {
      // This runs on the publisher's call stack: only this (the receiving) connection closes. The
      // message is dropped, not kept to fail again on every reconnect.
      this.fail(err, true);
      return 'skipped';
    }
    if (typeof outcome === 'string') return outcome;
    const metrics = this.broker.metrics;
    metrics.messagesSent++;
    metrics.messagesSentByQos[message.qos]++;
    metrics.bytesSent += outcome.length;
    if (isSysTopic(message.topic)) {
      // Counted apart so that `$SYS/broker/messages/sent` does not report its own publications.
      metrics.sysMessagesSent++;
      metrics.sysBytesSent += outcome.length;
    }
    this.sink.write(outcome);
    return 'sent';
  }

  sendPubrel(packetId: number): void {
    this.send({ cmd: 'pubrel', messageId: packetId });
  }
}

function releaseAfterFailure(channel: Channel, publishWill: boolean): void {
  channel.release(publishWill);
}

import type {
  AdapterLink,
  ClientAdapter,
  PublishDecision,
  SubscribeMapping,
} from '../broker/client-adapter.js';
import type { BrokerMessage } from '../broker/message.js';
import type { Timer } from '../lib/clock.js';
import type { QoS } from '../mqtt/codec/packet.js';
import { ReasonCode } from '../mqtt/codec/reason-codes.js';
import { topicMatches } from '../mqtt/topic/match.js';
import { redactTopic } from '../mqtt/topic/redact.js';
import type { Device } from '../platform/model.js';
import { mapDeviceFilter } from './device-subscriptions.js';
import { diagText } from './diag-texts.js';
import { downlinkMessage } from './downlink-service.js';
import { deviceSessionKey, deviceTopic } from './internal-topics.js';
import { REDIRECT_GRACE_MS, redirectTarget } from './redirect.js';
import type { DeviceApiRuntime, ReplyChannel, UplinkTarget } from './types.js';
import { parseUplinkTopic } from './uplink-topic.js';
import { isValueWrite } from './uplink-values.js';

/** The device as it is now (status, org and template may change while it is connected). */
async function currentTarget(runtime: DeviceApiRuntime, deviceId: number): Promise<UplinkTarget | undefined> {
  return targetOf(runtime, await runtime.platform.devices.byId(deviceId));
}

/** `currentTarget` when both are in memory (the device in the authentication cache); else undefined. */
function knownTarget(runtime: DeviceApiRuntime, deviceId: number): UplinkTarget | undefined {
  return targetOf(runtime, runtime.platform.devices.peekById(deviceId));
}

function targetOf(runtime: DeviceApiRuntime, device: Device | undefined): UplinkTarget | undefined {
  const template = device === undefined ? undefined : runtime.platform.templates.byId(device.templateId);
  return device === undefined || template === undefined ? undefined : { device, template };
}

/** The highest QoS the session was granted for `internalTopic`; undefined = not subscribed. */
function grantedQos(runtime: DeviceApiRuntime, sessionKey: string, internalTopic: string): QoS | undefined {
  let best: QoS | undefined;
  for (const sub of runtime.broker.subscriptionsOf(sessionKey)?.values() ?? []) {
    if (topicMatches(sub.topicFilter, internalTopic) && (best === undefined || sub.qos > best))
      best = sub.qos;
  }
  return best;
}

/** Diags for one device: throttled per device (spec §8 #1), to it and its subscribed gateways. */
export function deviceDiag(runtime: DeviceApiRuntime, deviceId: number, diag: string): void {
  const text = redactTopic(diag); // texts may quote what the client sent: never a token
  if (!runtime.diagThrottle.allow(deviceId)) {
    runtime.metrics.diagsThrottled++;
    runtime.logger.debug({ deviceId, diag: text }, 'diag throttled');
    return;
  }
  runtime.metrics.diagsSent++;
  runtime.downlinks.unsolicited(deviceId, 'downlink/diag', text);
}

/** Wills go nowhere to answer: replies are dropped, diags logged. */
function willReply(runtime: DeviceApiRuntime, deviceId: number): ReplyChannel {
  return {
    send: () => undefined,
    diag: (text) => runtime.logger.debug({ deviceId, diag: redactTopic(text) }, 'device will refused'),
  };
}

/** A settled region check (the steady state keeps no promise chain per connection). */
const SETTLED: Promise<void> = Promise.resolve();

/**
 * The Device MQTT API mount for one device connection (spec §3): topics are device-relative on
 * the wire and `$dev/{id}/…` inside; the session key is the device, so one token has one live
 * connection and the newest wins (the engine's takeover: DISCONNECT 0x8E in v5).
 *
 * One object per connection with its methods on the prototype (idle connections are many). It is
 * also the connection's ReplyChannel: answers to its requests (`get/ds` → `downlink/ds/…`) go to
 * this session only, and only where it subscribed (spec §3.3), at the QoS it was granted.
 */
class DeviceAdapter implements ClientAdapter, ReplyChannel {
  readonly sessionKey: string;
  /** `$dev/{id}/`: outbound topics lose it on the wire. */
  private readonly prefix: string;
  private link: AdapterLink | undefined;
  private redirecting = false;
  private graceTimer: Timer | undefined;
  private ready: Promise<void> = SETTLED;
  /** `ready` has settled (tracked so the steady state need not await a resolved promise). */
  private regionSettled = false;
  /** The fast path's settle callbacks: made on the first deferred uplink, then reused. */
  private settle: ((code: ReasonCode) => ReasonCode) | undefined;
  private fail: ((err: unknown) => ReasonCode) | undefined;

  constructor(
    private readonly runtime: DeviceApiRuntime,
    private readonly id: number,
    /** The org at CONNECT (the region check's input); the row itself stays in the platform cache. */
    private readonly orgId: number,
  ) {
    this.sessionKey = deviceSessionKey(id);
    this.prefix = deviceTopic(id, '');
  }

  send(topic: string, payload: Buffer | string, qos: 0 | 1): void {
    const internal = deviceTopic(this.id, topic);
    const granted = grantedQos(this.runtime, this.sessionKey, internal);
    if (granted === undefined) return;
    const effective = Math.min(qos, granted) as QoS;
    this.runtime.broker.deliverTo(
      this.sessionKey,
      downlinkMessage(this.runtime.clock, internal, payload, effective),
    );
  }

  diag(text: string): void {
    deviceDiag(this.runtime, this.id, text);
  }

  limitPacketSize(bytes: number): void {
    this.link?.limitOutboundPacketSize(bytes);
  }

  onConnected(l: AdapterLink): void {
    this.link = l;
    this.runtime.presence.connected(this.id, l.connection.remoteAddress);
    this.regionSettled = false;
    this.ready = this.checkRegion(l)
      .catch((err: unknown) => this.runtime.logger.error({ err, deviceId: this.id }, 'region check failed'))
      .finally(() => {
        if (this.link !== l) return;
        this.regionSettled = true;
        this.ready = SETTLED;
      });
  }

  onPublish(topic: string, message: BrokerMessage): PublishDecision | Promise<PublishDecision> {
    // The steady state: region settled, device and template in memory, a value write. Its
    // effect starts inside `handle` before it first awaits, so the next PUBLISH may be taken
    // while this one's write becomes durable (the engine keeps the acks in order).
    if (this.regionSettled && !this.redirecting && isValueWrite(topic)) {
      const target = knownTarget(this.runtime, this.id);
      if (target !== undefined) {
        const pending = this.runtime.uplinks.handle(target, topic, message.payload, this);
        this.settle ??= (code) => this.ackCode(code);
        this.fail ??= (err) => this.failed(err);
        return { kind: 'deferred', reasonCode: pending.then(this.settle, this.fail) };
      }
    }
    return this.publishSlowly(topic, message.payload);
  }

  /** spec §1.2 wills: one on a Device API uplink topic is handled as that uplink; others are dropped. */
  onWill(message: BrokerMessage): undefined {
    if (parseUplinkTopic(message.topic) === undefined) return undefined;
    const { runtime, id } = this;
    currentTarget(runtime, id)
      .then((target) =>
        target === undefined
          ? undefined
          : runtime.uplinks.handle(target, message.topic, message.payload, willReply(runtime, id)),
      )
      .catch((err: unknown) => runtime.logger.error({ err, deviceId: id }, 'device will failed'));
    return undefined;
  }

  onSubscribe(filter: string): SubscribeMapping {
    const mapping = mapDeviceFilter(this.id, filter);
    if (mapping.ok) return { filter: mapping.filter, maxQos: mapping.maxQos };
    this.diag(mapping.diag);
    return mapping.code;
  }

  toWireTopic(internal: string): string | undefined {
    const prefix = this.prefix;
    return internal.startsWith(prefix) ? internal.slice(prefix.length) : undefined;
  }

  onDisconnected(): void {
    this.graceTimer?.cancel();
    this.link = undefined;
    this.runtime.presence.disconnected(this.id);
  }

  /** 0x96 (flooding, spec §7.1): the connection closes; the PUBACK, if it gets out, says 0x97. */
  private ackCode(code: ReasonCode): ReasonCode {
    if (code !== ReasonCode.MessageRateTooHigh) return code;
    this.runtime.metrics.floodDisconnects++;
    this.runtime.logger.warn({ deviceId: this.id }, 'device flooding: disconnected');
    this.link?.close(ReasonCode.MessageRateTooHigh);
    return ReasonCode.QuotaExceeded;
  }

  /** A deferred decision's code must not reject. */
  private failed(err: unknown): ReasonCode {
    this.runtime.logger.error({ err, deviceId: this.id }, 'device uplink failed');
    return ReasonCode.UnspecifiedError;
  }

  /** Any uplink, any time: waits for the region check, reads the device if it is not cached. */
  private async publishSlowly(topic: string, payload: Buffer): Promise<PublishDecision> {
    await this.ready;
    // spec §3.4: after a redirect the session's data is not processed.
    if (this.redirecting) return { kind: 'handled', reasonCode: ReasonCode.NotAuthorized };
    const target = await currentTarget(this.runtime, this.id);
    if (target === undefined) {
      this.link?.close(ReasonCode.NotAuthorized, diagText.deviceGone());
      return { kind: 'handled', reasonCode: ReasonCode.NotAuthorized };
    }
    const code = await this.runtime.uplinks.handle(target, topic, payload, this);
    return { kind: 'handled', reasonCode: this.ackCode(code) };
  }

  /** spec §2.5: right after CONNECT, a device of another region gets `downlink/redirect`. */
  private async checkRegion(l: AdapterLink): Promise<void> {
    const runtime = this.runtime;
    const uri = await redirectTarget(
      runtime.platform,
      runtime.options.regionUrl,
      this.orgId,
      l.connection.transport,
    );
    if (uri === undefined || this.link !== l) return;
    this.redirecting = true;
    runtime.metrics.redirects++;
    runtime.logger.info({ deviceId: this.id, uri }, 'device redirected to its home region');
    runtime.broker.deliverTo(
      this.sessionKey,
      downlinkMessage(runtime.clock, deviceTopic(this.id, 'downlink/redirect'), uri, 0),
    );
    this.graceTimer = runtime.clock.schedule(REDIRECT_GRACE_MS, () => l.close(ReasonCode.UseAnotherServer));
  }
}

export function createDeviceAdapter(runtime: DeviceApiRuntime, device: Device): ClientAdapter {
  return new DeviceAdapter(runtime, device.id, device.orgId);
}

import type { AdapterLink, ClientAdapter, PublishDecision } from '../broker/client-adapter.js';
import type { Timer } from '../broker/clock.js';
import type { QoS } from '../mqtt/codec/packet.js';
import { ReasonCode } from '../mqtt/codec/reason-codes.js';
import { topicMatches } from '../mqtt/topic/match.js';
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
  const device = await runtime.platform.devices.byId(deviceId);
  const template = device === undefined ? undefined : runtime.platform.templates.byId(device.templateId);
  return device === undefined || template === undefined ? undefined : { device, template };
}

/** `currentTarget` when both are in memory (the device in the authentication cache); else undefined. */
function knownTarget(runtime: DeviceApiRuntime, deviceId: number): UplinkTarget | undefined {
  const device = runtime.platform.devices.peekById(deviceId);
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
export function deviceDiag(runtime: DeviceApiRuntime, deviceId: number, text: string): void {
  if (!runtime.diagThrottle.allow(deviceId)) {
    runtime.metrics.diagsThrottled++;
    runtime.logger.debug({ deviceId, diag: text }, 'diag throttled');
    return;
  }
  runtime.metrics.diagsSent++;
  runtime.downlinks.unsolicited(deviceId, 'downlink/diag', text);
}

/**
 * Answers to this connection's requests (`get/ds` → `downlink/ds/…`): to this session only, and
 * only where it subscribed (spec §3.3), at the QoS it was granted.
 */
function replyChannel(
  runtime: DeviceApiRuntime,
  deviceId: number,
  linkOf: () => AdapterLink | undefined,
): ReplyChannel {
  const key = deviceSessionKey(deviceId);
  return {
    send(topic, payload, qos) {
      const internal = deviceTopic(deviceId, topic);
      const granted = grantedQos(runtime, key, internal);
      if (granted === undefined) return;
      const effective = Math.min(qos, granted) as QoS;
      runtime.broker.deliverTo(key, downlinkMessage(runtime.clock, internal, payload, effective));
    },
    diag: (text) => deviceDiag(runtime, deviceId, text),
    limitPacketSize: (bytes) => linkOf()?.limitOutboundPacketSize(bytes),
  };
}

/** Wills go nowhere to answer: replies are dropped, diags logged. */
function willReply(runtime: DeviceApiRuntime, deviceId: number): ReplyChannel {
  return {
    send: () => undefined,
    diag: (text) => runtime.logger.debug({ deviceId, diag: text }, 'device will refused'),
  };
}

/**
 * The Device MQTT API mount for one device connection (spec §3): topics are device-relative on
 * the wire and `$dev/{id}/…` inside; the session key is the device, so one token has one live
 * connection and the newest wins (the engine's takeover: DISCONNECT 0x8E in v5).
 */
export function createDeviceAdapter(runtime: DeviceApiRuntime, device: Device): ClientAdapter {
  const id = device.id;
  const sessionKey = deviceSessionKey(id);
  const prefix = deviceTopic(id, '');
  let link: AdapterLink | undefined;
  let redirecting = false;
  let graceTimer: Timer | undefined;
  let ready: Promise<void> = Promise.resolve();
  /** `ready` has settled (tracked so the steady state need not await a resolved promise). */
  let regionSettled = false;
  const reply = replyChannel(runtime, id, () => link);

  /** 0x96 (flooding, spec §7.1): the connection closes; the PUBACK, if it gets out, says 0x97. */
  const ackCode = (code: ReasonCode): ReasonCode => {
    if (code !== ReasonCode.MessageRateTooHigh) return code;
    runtime.metrics.floodDisconnects++;
    runtime.logger.warn({ deviceId: id }, 'device flooding: disconnected');
    link?.close(ReasonCode.MessageRateTooHigh);
    return ReasonCode.QuotaExceeded;
  };
  /** A deferred decision's code must not reject. */
  const failed = (err: unknown): ReasonCode => {
    runtime.logger.error({ err, deviceId: id }, 'device uplink failed');
    return ReasonCode.UnspecifiedError;
  };

  /** Any uplink, any time: waits for the region check, reads the device if it is not cached. */
  const publishSlowly = async (topic: string, payload: Buffer): Promise<PublishDecision> => {
    await ready;
    // spec §3.4: after a redirect the session's data is not processed.
    if (redirecting) return { kind: 'handled', reasonCode: ReasonCode.NotAuthorized };
    const target = await currentTarget(runtime, id);
    if (target === undefined) {
      link?.close(ReasonCode.NotAuthorized, diagText.deviceGone());
      return { kind: 'handled', reasonCode: ReasonCode.NotAuthorized };
    }
    const code = await runtime.uplinks.handle(target, topic, payload, reply, 'device');
    return { kind: 'handled', reasonCode: ackCode(code) };
  };

  /** spec §2.5: right after CONNECT, a device of another region gets `downlink/redirect`. */
  const checkRegion = async (l: AdapterLink): Promise<void> => {
    const uri = await redirectTarget(
      runtime.platform,
      runtime.options.regionUrl,
      device.orgId,
      l.connection.transport,
    );
    if (uri === undefined || link !== l) return;
    redirecting = true;
    runtime.metrics.redirects++;
    runtime.logger.info({ deviceId: id, uri }, 'device redirected to its home region');
    runtime.broker.deliverTo(
      sessionKey,
      downlinkMessage(runtime.clock, deviceTopic(id, 'downlink/redirect'), uri, 0),
    );
    graceTimer = runtime.clock.schedule(REDIRECT_GRACE_MS, () => l.close(ReasonCode.UseAnotherServer));
  };

  return {
    sessionKey,
    onConnected(l) {
      link = l;
      runtime.presence.connected(id, l.connection.remoteAddress);
      regionSettled = false;
      ready = checkRegion(l)
        .catch((err: unknown) => runtime.logger.error({ err, deviceId: id }, 'region check failed'))
        .finally(() => {
          if (link === l) regionSettled = true;
        });
    },

    onPublish(topic, message) {
      // The steady state: region settled, device and template in memory, a value write. Its
      // effect starts inside `handle` before it first awaits, so the next PUBLISH may be taken
      // while this one's write becomes durable (the engine keeps the acks in order).
      if (regionSettled && !redirecting && isValueWrite(topic)) {
        const target = knownTarget(runtime, id);
        if (target !== undefined) {
          const pending = runtime.uplinks.handle(target, topic, message.payload, reply, 'device');
          return { kind: 'deferred', reasonCode: pending.then(ackCode, failed) };
        }
      }
      return publishSlowly(topic, message.payload);
    },

    /** spec §1.2 wills: one on a Device API uplink topic is handled as that uplink; others are dropped. */
    onWill(message) {
      if (parseUplinkTopic(message.topic) === undefined) return undefined;
      currentTarget(runtime, id)
        .then((target) =>
          target === undefined
            ? undefined
            : runtime.uplinks.handle(
                target,
                message.topic,
                message.payload,
                willReply(runtime, id),
                'device',
              ),
        )
        .catch((err: unknown) => runtime.logger.error({ err, deviceId: id }, 'device will failed'));
      return undefined;
    },

    onSubscribe(filter) {
      const mapping = mapDeviceFilter(id, filter);
      if (mapping.ok) return { filter: mapping.filter, maxQos: mapping.maxQos };
      reply.diag(mapping.diag);
      return mapping.code;
    },

    toWireTopic: (internal) => (internal.startsWith(prefix) ? internal.slice(prefix.length) : undefined),

    onDisconnected() {
      graceTimer?.cancel();
      link = undefined;
      runtime.presence.disconnected(id);
    },
  };
}

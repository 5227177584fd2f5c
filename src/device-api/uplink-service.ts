import { isFailure, ReasonCode } from '../mqtt/codec/reason-codes.js';
import type { DeviceApiMetrics } from '../observability/device-api-metrics.js';
import { PlatformError, ValidationError } from '../platform/errors.js';
import { diagText } from './diag-texts.js';
import type { UplinkService } from './types.js';
import type { Uplink, UplinkDeps } from './uplink-context.js';
import { handleEvent, handleInfo, handleMeta } from './uplink-device.js';
import { handleProperty } from './uplink-properties.js';
import { handleGetDs, handleGetDsAll, handleGetLoc, handleGetMeta, handleGetUtc } from './uplink-requests.js';
import { parseUplinkTopic, type UplinkTopic } from './uplink-topic.js';
import { handleBatch, handleDs, handleErase, handleTimestamped } from './uplink-values.js';

export interface UplinkServiceDeps extends UplinkDeps {
  readonly metrics: DeviceApiMetrics;
}

function dispatch(deps: UplinkDeps, topic: UplinkTopic, up: Uplink): Promise<ReasonCode> {
  switch (topic.kind) {
    case 'info-mcu':
      return handleInfo(deps, up);
    case 'ds':
      return handleDs(deps, up, topic.name);
    case 'batch-ds':
      return handleBatch(deps, up);
    case 'ds-batch':
      return handleTimestamped(deps, up, topic.name);
    case 'ds-erase':
      return handleErase(deps, up, topic.name);
    case 'prop':
      return handleProperty(deps, up, topic.name, topic.prop, false);
    case 'prop-erase':
      return handleProperty(deps, up, topic.name, topic.prop, true);
    case 'event':
      return handleEvent(deps, up, topic.code);
    case 'meta':
      return handleMeta(deps, up, topic.name);
    case 'get-ds':
      return handleGetDs(deps, up);
    case 'get-ds-all':
      return handleGetDsAll(deps, up);
    case 'get-meta':
      return handleGetMeta(deps, up);
    case 'get-utc':
      return handleGetUtc(deps, up);
    case 'get-loc':
      return handleGetLoc(deps, up);
    default:
      return topic satisfies never;
  }
}

/** A platform refusal the handlers did not expect (e.g. a limit): 0x99 with its message. */
function platformFailure(deps: UplinkDeps, up: Uplink, err: unknown): ReasonCode {
  if (err instanceof ValidationError) {
    up.reply.diag(err.message);
    return ReasonCode.PayloadFormatInvalid;
  }
  if (err instanceof PlatformError) {
    up.reply.diag(err.message);
    return ReasonCode.UnspecifiedError;
  }
  deps.logger.error({ err, deviceId: up.target.device.id }, 'device uplink failed');
  return ReasonCode.ImplementationSpecificError;
}

/**
 * The Device API uplinks (spec §3.2) for any connection kind. Each message first passes the
 * device's rate limit: over it, the message is dropped with a diag (v5 PUBACK 0x97 Quota
 * exceeded, the PUBACK code closest to "rate too high"); flooding for `floodDisconnectSec`
 * answers 0x96, on which a device connection closes (DISCONNECT 0x96).
 */
export function createUplinkService(deps: UplinkServiceDeps): UplinkService {
  const { metrics } = deps;
  const counted = (code: ReasonCode): ReasonCode => {
    if (isFailure(code)) metrics.uplinksRefused++;
    return code;
  };
  return {
    // Not async, and nothing awaited before `dispatch`: value writes start synchronously
    // (isValueWrite), and the hot path allocates no suspended frame.
    handle(target, topic, payload, reply, options) {
      metrics.uplinks++;
      const deviceId = target.device.id;
      // spec §8 #16: one rate per device, shared by direct, gateway and HTTP traffic.
      const verdict = options?.rateTaken === true ? 'ok' : deps.limits.rate(deviceId);
      if (verdict !== 'ok') {
        reply.diag(verdict === 'flood' ? diagText.flood() : diagText.rateLimit());
        // Counted as rate limited (by the limiter), not as refused.
        return Promise.resolve(
          verdict === 'flood' ? ReasonCode.MessageRateTooHigh : ReasonCode.QuotaExceeded,
        );
      }
      const parsed = parseUplinkTopic(topic);
      if (parsed === undefined) {
        reply.diag(diagText.unknownTopic(topic));
        return Promise.resolve(counted(ReasonCode.TopicNameInvalid));
      }
      const up: Uplink = { target, payload, reply };
      let pending: Promise<ReasonCode>;
      try {
        pending = dispatch(deps, parsed, up);
      } catch (err) {
        pending = Promise.reject(err);
      }
      return pending.then(counted, (err: unknown) => counted(platformFailure(deps, up, err)));
    },
  };
}

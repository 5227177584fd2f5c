import type { Broker } from '../broker/broker.js';
import type { Clock } from '../lib/clock.js';
import { DeviceApiMetrics } from '../observability/device-api-metrics.js';
import type { Logger } from '../observability/logger.js';
import type { HardwareInfo } from '../platform/model.js';
import type { Platform } from '../platform/platform.js';
import { DeviceLimits } from './device-limits.js';
import { DiagThrottle } from './diag-throttle.js';
import { createDownlinkService } from './downlink-service.js';
import { GatewaySessions } from './gateway-sessions.js';
import { deviceSessionKey } from './internal-topics.js';
import { createPresenceService } from './presence-service.js';
import { type DeviceApiOptions, type DeviceApiRuntime, defaultDeviceApiOptions } from './types.js';
import { createUplinkService } from './uplink-service.js';
import { createValueWriteService } from './value-write-service.js';

/** What the composition root hands the device API. */
export interface DeviceApiDeps {
  readonly platform: Platform;
  readonly broker: Broker;
  /** Defaults to defaultDeviceApiOptions. */
  readonly options?: DeviceApiOptions;
  /** Offline delays, diag throttle, rate limits, redirect grace and ping timeouts run on it. */
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * Builds the services the device API, the gateway API and the HTTP write paths share, once per
 * process: uplinks (with the per-device rate limit), downlinks, platform value writes and
 * presence, and the per-device limits. `close()` stops every timer.
 */
export function createDeviceApiRuntime(deps: DeviceApiDeps): DeviceApiRuntime {
  const { platform, broker, clock } = deps;
  const options = deps.options ?? defaultDeviceApiOptions;
  const logger = deps.logger.child({ component: 'device-api' });
  const metrics = new DeviceApiMetrics();
  const limits = new DeviceLimits(options, clock, metrics);
  const presence = createPresenceService({
    platform,
    clock,
    logger,
    ...(broker.clustered && {
      heldElsewhere: (deviceId: number) => broker.heldElsewhere(deviceSessionKey(deviceId)),
    }),
  });
  const downlinks = createDownlinkService({ broker, clock, metrics });
  const deviceInfoListeners: Array<(deviceId: number, info: HardwareInfo) => void> = [];
  const uplinks = createUplinkService({
    platform,
    clock,
    logger,
    deviceInfoListeners,
    metrics,
    limits,
  });
  let closed = false;
  return {
    platform,
    broker,
    options,
    clock,
    logger,
    uplinks,
    downlinks,
    values: createValueWriteService({ platform, downlinks }),
    presence,
    gateways: new GatewaySessions(),
    deviceInfoListeners,
    metrics,
    limits,
    diagThrottle: new DiagThrottle(options.diagIntervalMs, clock),
    close() {
      if (closed) return;
      closed = true;
      presence.close();
      downlinks.close();
    },
  };
}

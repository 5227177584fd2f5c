import type { FastifyInstance } from 'fastify';
import { deviceSessionKey } from '../../device-api/internal-topics.js';
import type { DeviceApiRuntime } from '../../device-api/types.js';
import { PlatformError } from '../../platform/errors.js';
import { callerOf } from '../auth.js';
import type { RouteContext } from '../context.js';
import { errorResponses, idParam, noContent, operationsOf, query } from '../schemas/common.js';
import { pingResultSchema } from '../schemas/device-write.js';

const op = operationsOf('device commands');
const byDeviceId = query({ deviceId: idParam }, ['deviceId']);
type ById = { Querystring: { deviceId: number } };

/** The broker (and with it the device API) is not running yet: nothing can reach a device. */
export class DeviceApiUnavailableError extends PlatformError {
  constructor() {
    super('UNAVAILABLE', 503, 'Device API not ready.');
  }
}

/** The device API runtime, or 503 while the broker is not running. */
export function runtimeOf(ctx: RouteContext): DeviceApiRuntime {
  const runtime = ctx.deviceApi();
  if (runtime === undefined) throw new DeviceApiUnavailableError();
  return runtime;
}

/**
 * `POST …/device/ping` (devgate): `downlink/ping` at QoS 1 (spec §3.3); the device's automatic
 * PUBACK is the pong. Waits for it, records the round trip for `…/device/online`, and answers
 * `{connected, rttMs}`: rttMs null when nothing answered, connected false when the device has no
 * connection of its own either (a device behind a gateway answers through it). In a cluster, a
 * device connected to another node is pinged there (that node times the PUBACK); when that node
 * does not answer in time the device is `{connected: true, rttMs: null, otherNode: true}`.
 */
function pingRoute(app: FastifyInstance, ctx: RouteContext): void {
  const schema = op('Ping a device and measure the PUBACK round trip', {
    querystring: byDeviceId,
    response: { 200: pingResultSchema, ...errorResponses },
  });
  app.post<ById>('/api/v1/organization/device/ping', { schema }, async (request) => {
    const device = await ctx.platform.devices.get(callerOf(request), request.query.deviceId);
    const runtime = runtimeOf(ctx);
    const rttMs = await runtime.downlinks.ping(device.id);
    ctx.pings.record(device.id, rttMs);
    // Connected means a live connection now, not presence (which stays Online for the offline delay).
    const key = deviceSessionKey(device.id);
    if (rttMs !== undefined || runtime.broker.isConnected(key))
      return { connected: true, rttMs: rttMs ?? null };
    // In a cluster the ping went to the node holding the device, if another one does; unanswered
    // there (or unreachable), the session ownership table (PostgreSQL, right without Redis too)
    // still says the device is connected, elsewhere.
    const elsewhere = await runtime.broker.heldElsewhere(key);
    return elsewhere ? { connected: true, rttMs: null, otherNode: true } : { connected: false, rttMs: null };
  });
}

/**
 * A command without payload (spec §3.3/§3.4: `downlink/reboot`, `downlink/reconfigure`), sent to
 * the device's connection and to gateways subscribed for it; 204 whether or not one is listening.
 */
function commandRoute(app: FastifyInstance, ctx: RouteContext, command: 'reboot' | 'reconfigure'): void {
  const summary =
    command === 'reboot'
      ? 'Ask the device to reboot (downlink/reboot)'
      : 'Ask the device to enter provisioning mode (downlink/reconfigure)';
  const schema = op(summary, { querystring: byDeviceId, response: { 204: noContent, ...errorResponses } });
  app.post<ById>(`/api/v1/organization/device/${command}`, { schema }, async (request, reply) => {
    const device = await ctx.platform.devices.get(callerOf(request), request.query.deviceId);
    runtimeOf(ctx).downlinks.publish(device.id, `downlink/${command}`, '');
    request.log.info({ deviceId: device.id, command, actor: callerOf(request).actor }, 'device command');
    return reply.code(204).send();
  });
}

/** Device commands (ping, reboot, reconfigure through the Platform API). */
export function deviceCommandRoutes(app: FastifyInstance, ctx: RouteContext): void {
  pingRoute(app, ctx);
  commandRoute(app, ctx, 'reboot');
  commandRoute(app, ctx, 'reconfigure');
}

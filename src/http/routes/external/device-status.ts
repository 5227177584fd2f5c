import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../../context.js';
import { authenticate, hidden, oneOf, type RawQuery, writeRequestOf } from './device-request.js';
import { runUplink } from './device-uplink.js';

/**
 * `provision` parameters (spec §6.2 row 13) as the `info/mcu` JSON they stand for (spec §3.4):
 * `type` there is the firmware type, HTTP's `fwType` (HTTP's own `type` is MCU|NCP, not kept).
 */
const INFO_KEYS: ReadonlyArray<readonly [param: string, key: string]> = [
  ['templateId', 'tmpl'],
  ['ver', 'ver'],
  ['build', 'build'],
  ['fwType', 'type'],
  ['blVer', 'blynk'],
  ['boType', 'board'],
];

function infoJson(query: RawQuery): string {
  const info: Record<string, string> = {};
  for (const [param, key] of INFO_KEYS) {
    const value = oneOf(query, param);
    if (value !== undefined && value !== '') info[key] = value;
  }
  return JSON.stringify(info);
}

/** `isHardwareConnected` and `provision` (spec §6.2 rows 12–13). */
export function deviceStatusRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/external/api/isHardwareConnected', hidden, async (request, reply) => {
    const { device } = await authenticate(ctx, request);
    // Presence anywhere in a cluster (ctx.presence asks the other nodes' relayed presence too).
    const online = ctx.presence?.isOnline(device.id) ?? false;
    return reply.type('application/json').send(online ? 'true' : 'false');
  });
  app.get('/external/api/provision', hidden, async (request, reply) => {
    const { query, target } = await writeRequestOf(ctx, request);
    // The HTTP twin of the first `info/mcu` (spec §5.9): activates a PENDING device, records the
    // hardware info and tells the OTA listeners, in the device API's own handler.
    await runUplink(ctx, target, 'info/mcu', infoJson(query), {});
    return reply.send();
  });
}

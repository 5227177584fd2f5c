import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../../context.js';
import { DeviceApiError, DeviceApiText, hidden, oneOf, writeRequestOf } from './device-request.js';
import { runUplink } from './device-uplink.js';

/**
 * `GET /external/api/logEvent?token=…&code=…[&description=…]` (spec §6.2 row 8): logged exactly as
 * `event/CODE` would be (spec §3.2): by exact code, the event's own description when none is
 * given, at most 300 characters (a longer one is refused with the reason).
 */
export function eventRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/external/api/logEvent', hidden, async (request, reply) => {
    const { query, target } = await writeRequestOf(ctx, request);
    const code = oneOf(query, 'code');
    if (code === undefined || code === '') throw new DeviceApiError(DeviceApiText.noEventCode);
    // A code with `/` could never name an event: it is unknown, not a different topic.
    if (code.includes('/') || !target.template.events.some((e) => e.code === code)) {
      throw new DeviceApiError(DeviceApiText.unknownEvent);
    }
    await runUplink(ctx, target, `event/${code}`, oneOf(query, 'description') ?? '', {});
    return reply.send();
  });
}

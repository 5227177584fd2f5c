import type { FastifyInstance } from 'fastify';
import { GATEWAY_DEVICES_LISTED, type GatewaySessionView } from '../../device-api/gateway-sessions.js';
import type { Caller } from '../../platform/services.js';
import { callerOf, credentialCheck } from '../auth.js';
import type { RouteContext } from '../context.js';
import { envelope } from '../errors.js';
import { DeviceLiveStream } from '../live/device-live.js';
import type { LiveStreams } from '../live/live-streams.js';
import { errorResponses, idParam, operationsOf, query } from '../schemas/common.js';

const op = operationsOf('live');
type ById = { Querystring: { deviceId: number } };

const REFUSALS = {
  caller: { status: 429, message: 'Too many live streams open for this caller.' },
  total: { status: 503, message: 'Too many live streams open on this server.' },
} as const;

/**
 * `GET /api/v1/organization/device/live`: the console's push channel for one device, as
 * Server-Sent Events (decision 0025). The device must be in the caller's scope (404 otherwise,
 * like an unknown one); the limits of `streams` apply.
 */
export function deviceLiveRoute(app: FastifyInstance, ctx: RouteContext, streams: LiveStreams): void {
  const schema = op('Live values, presence and events of a device (text/event-stream)', {
    querystring: query({ deviceId: idParam }, ['deviceId']),
    response: {
      200: {
        description:
          'Server-Sent Events: snapshot, then value, online and event messages (docs/api/platform-api.md)',
        content: { 'text/event-stream': { schema: { type: 'string' } } },
      },
      ...errorResponses,
    },
  });
  app.get<ById>('/api/v1/organization/device/live', { schema }, async (request, reply) => {
    const caller = callerOf(request);
    const device = await ctx.platform.devices.get(caller, request.query.deviceId);
    const credentialValid = credentialCheck(request, ctx.platform);
    const live = new DeviceLiveStream(ctx, caller, device, request.log, credentialValid);
    const admission = streams.admit(callerKey(caller), live);
    if (!admission.ok) {
      const { status, message } = REFUSALS[admission.refusal];
      return reply.code(status).send(envelope(message));
    }
    // From here the response is ours: fastify sends nothing more for this request.
    reply.hijack();
    live.start(reply.raw, streams, admission.release);
    return reply;
  });
}

/** Whose share of the per-caller limit a stream takes: the OAuth client or the signed-in user. */
function callerKey(caller: Caller): string {
  return caller.actor;
}

/** One entry of `GET /api/v1/organization/gateways`. */
interface GatewayView {
  readonly sessionId: string;
  readonly clientId: string;
  readonly login: 'oauth' | 'mgmt_device';
  readonly orgId: number;
  readonly connectedAt: number;
  readonly remoteAddress: string | null;
  readonly devices: ReadonlyArray<{ deviceId: number; name: string; lastActiveAt: number }>;
}

/**
 * `GET /api/v1/organization/gateways`: Gateway API sessions connected now whose login's org is in
 * the caller's scope, each with the devices in scope it acted for most recently.
 */
export function gatewayListRoute(app: FastifyInstance, ctx: RouteContext): void {
  const schema = op('Connected Gateway API sessions and their recently active devices', {
    response: { 200: { type: 'array', items: gatewaySchema }, ...errorResponses },
  });
  app.get('/api/v1/organization/gateways', { schema }, async (request) => {
    const caller = callerOf(request);
    const sessions = ctx.deviceApi()?.gateways.list() ?? [];
    const views: GatewayView[] = [];
    for (const session of sessions) {
      const orgId = session.orgId;
      if (orgId === undefined || !ctx.platform.orgs.isInScope(caller.orgId, orgId)) continue;
      views.push({ ...sessionFields(session, orgId), devices: await devicesOf(ctx, caller, session) });
    }
    return views;
  });
}

function sessionFields(session: GatewaySessionView, orgId: number) {
  return {
    sessionId: session.sessionId,
    clientId: session.clientId,
    login: session.login,
    orgId,
    connectedAt: session.connectedAt,
    remoteAddress: session.remoteAddress ?? null,
  };
}

/** The session's recent devices as they are now: renamed ones by their new name, gone or moved-away ones left out. */
async function devicesOf(ctx: RouteContext, caller: Caller, session: GatewaySessionView) {
  const devices = ctx.platform.devices;
  const listed: Array<{ deviceId: number; name: string; lastActiveAt: number }> = [];
  for (const activity of session.devices(GATEWAY_DEVICES_LISTED)) {
    const device = devices.peekById(activity.deviceId) ?? (await devices.byId(activity.deviceId));
    if (device === undefined || !ctx.platform.orgs.isInScope(caller.orgId, device.orgId)) continue;
    listed.push({ deviceId: device.id, name: device.name, lastActiveAt: activity.lastActiveAt });
  }
  return listed;
}

const gatewaySchema = {
  type: 'object',
  properties: {
    sessionId: { type: 'string' },
    clientId: { type: 'string' },
    login: { type: 'string', enum: ['oauth', 'mgmt_device'] },
    orgId: { type: 'integer' },
    connectedAt: { type: 'integer' },
    remoteAddress: { type: ['string', 'null'] },
    devices: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          deviceId: { type: 'integer' },
          name: { type: 'string' },
          lastActiveAt: { type: 'integer' },
        },
      },
    },
  },
} as const;
